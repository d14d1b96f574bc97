/**
 * The encoder's parts as in EfficientNet (Tan & Le 2019, Keras applications): the B0 block
 * table, its compound scaling to B1..B5, and the MBConv block with squeeze-and-excitation.
 * Layer names follow Keras ('block2a_dwconv', 'stem_bn'), so weights can be matched by name.
 *
 * NOTE: no drop-connect (stochastic depth): the study's models are trained on ~100 images
 * for few epochs, and the Keras rate (0.2 over all blocks) is a regulariser we leave out.
 */

import * as tf from '@tensorflow/tfjs';

export type EfficientNetVariant = 'b0' | 'b1' | 'b2' | 'b3' | 'b4' | 'b5';

/** Width (channels) and depth (repeats) multipliers of each variant, as in Keras. */
export const SCALING: Readonly<Record<EfficientNetVariant, { width: number; depth: number }>> = {
  b0: { width: 1.0, depth: 1.0 },
  b1: { width: 1.0, depth: 1.1 },
  b2: { width: 1.1, depth: 1.2 },
  b3: { width: 1.2, depth: 1.4 },
  b4: { width: 1.4, depth: 1.8 },
  b5: { width: 1.6, depth: 2.2 },
};

/** One stage of the encoder: `repeats` MBConv blocks of the same kernel and output width. */
export interface Stage {
  repeats: number;
  kernelSize: number;
  /** Stride of the stage's first block; the others have stride 1. */
  strides: number;
  filtersIn: number;
  filtersOut: number;
  /** Channels of the inverted bottleneck = filtersIn * expandRatio. */
  expandRatio: number;
}

/** EfficientNet-B0's seven stages (Tan & Le 2019, table 1); the stem has 32 filters. */
const B0_STAGES: readonly Stage[] = [
  { repeats: 1, kernelSize: 3, strides: 1, filtersIn: 32, filtersOut: 16, expandRatio: 1 },
  { repeats: 2, kernelSize: 3, strides: 2, filtersIn: 16, filtersOut: 24, expandRatio: 6 },
  { repeats: 2, kernelSize: 5, strides: 2, filtersIn: 24, filtersOut: 40, expandRatio: 6 },
  { repeats: 3, kernelSize: 3, strides: 2, filtersIn: 40, filtersOut: 80, expandRatio: 6 },
  { repeats: 3, kernelSize: 5, strides: 1, filtersIn: 80, filtersOut: 112, expandRatio: 6 },
  { repeats: 4, kernelSize: 5, strides: 2, filtersIn: 112, filtersOut: 192, expandRatio: 6 },
  { repeats: 1, kernelSize: 3, strides: 1, filtersIn: 192, filtersOut: 320, expandRatio: 6 },
];
const B0_STEM_FILTERS = 32;
const FILTER_DIVISOR = 8;
const SE_RATIO = 0.25;

/**
 * Channels after width scaling, rounded to a multiple of 8 but never below 90 % of the
 * scaled value (Keras `round_filters`).
 * @param filters channels in B0.
 * @param width the variant's width coefficient.
 * @returns the scaled channel count.
 * @example roundFilters(16, 1.6) // 24 (25.6 rounds to 24, which is >= 0.9 * 25.6)
 */
export function roundFilters(filters: number, width: number): number {
  const scaled = filters * width;
  let rounded = Math.max(FILTER_DIVISOR,
    Math.floor(Math.floor(scaled + FILTER_DIVISOR / 2) / FILTER_DIVISOR) * FILTER_DIVISOR);
  if (rounded < 0.9 * scaled) rounded += FILTER_DIVISOR;
  return rounded;
}

/**
 * Blocks of a stage after depth scaling, rounded up (Keras `round_repeats`).
 * @example roundRepeats(3, 2.2) // 7
 */
export function roundRepeats(repeats: number, depth: number): number {
  return Math.ceil(repeats * depth);
}

/**
 * The scaled stage table and stem width of one variant.
 * @param variant 'b0' .. 'b5'.
 * @returns stem filters and the seven stages with scaled channels and repeats.
 * @throws Error naming the known variants when `variant` is none of them.
 * @example efficientNetStages('b5').stages[0].repeats // 3
 */
export function efficientNetStages(variant: EfficientNetVariant):
  { stemFilters: number; stages: Stage[] } {
  const scaling = SCALING[variant];
  if (scaling === undefined) {
    throw new Error(`lib/model/efficientnet-blocks.ts: variant '${variant}' is unknown; ` +
      `expected one of ${Object.keys(SCALING).join(', ')}.`);
  }
  const { width, depth } = scaling;
  return {
    stemFilters: roundFilters(B0_STEM_FILTERS, width),
    stages: B0_STAGES.map((stage) => ({
      ...stage,
      repeats: roundRepeats(stage.repeats, depth),
      filtersIn: roundFilters(stage.filtersIn, width),
      filtersOut: roundFilters(stage.filtersOut, width),
    })),
  };
}

type Initializer = ReturnType<typeof tf.initializers.heNormal>;

/**
 * Hands out initialisers drawing from consecutive seeds, so no two kernels are copies.
 * NOTE: tfjs' variance scaling 'normal' is truncated without Keras' 0.88 correction of the
 * standard deviation; Keras EfficientNet draws untruncated. Only the start differs.
 */
export class SeededInitializers {
  private next: number | undefined;

  constructor(seed: number | undefined) {
    this.next = seed;
  }

  /** Keras EfficientNet's kernel initialiser: variance scaling 2.0 over fan-out. */
  encoder(): Initializer {
    return tf.initializers.varianceScaling({
      scale: 2, mode: 'fanOut', distribution: 'normal', seed: this.seed(),
    });
  }

  /** He normal (fan-in) for the ReLU decoder, as the plain U-Net. */
  decoder(): Initializer {
    return tf.initializers.heNormal({ seed: this.seed() });
  }

  private seed(): number | undefined {
    return this.next === undefined ? undefined : this.next++;
  }
}

/** One MBConv block's settings: the stage's, with this block's input width and stride. */
export interface BlockSettings {
  kernelSize: number;
  strides: number;
  filtersIn: number;
  filtersOut: number;
  expandRatio: number;
}

/**
 * Applies a layer to symbolic tensors while the model is being wired.
 * @returns the layer's single output.
 * @example x = applyLayer(tf.layers.add({ name: 'block2b_add' }), [x, inputs])
 */
export function applyLayer(layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]):
  tf.SymbolicTensor {
  return layer.apply(x) as tf.SymbolicTensor;
}

/** Layer names of one `convBn` unit; `activation` only when it has one. */
export interface ConvBnNames {
  conv: string;
  bn: string;
  activation?: string;
}

/**
 * Convolution ('same', no bias), batch normalisation, then an optional activation: the unit
 * every encoder and decoder step is made of. Keras' defaults: epsilon 1e-3, momentum 0.99.
 * @param x input feature map.
 * @param options filters, kernel, stride (1 by default), activation, initialiser, names.
 * @returns the unit's output.
 * @example convBn(x, { filters: 32, kernelSize: 3, strides: 2, activation: 'swish',
 *   initializer, names: { conv: 'stem_conv', bn: 'stem_bn', activation: 'stem_activation' } })
 */
export function convBn(x: tf.SymbolicTensor, options: {
  filters: number; kernelSize: number; strides?: number; activation?: 'swish' | 'relu';
  initializer: Initializer; names: ConvBnNames;
}): tf.SymbolicTensor {
  const { names } = options;
  x = applyLayer(tf.layers.conv2d({
    filters: options.filters, kernelSize: options.kernelSize, strides: options.strides ?? 1,
    padding: 'same', useBias: false, kernelInitializer: options.initializer, name: names.conv,
  }), x);
  x = applyLayer(tf.layers.batchNormalization({ name: names.bn }), x);
  if (options.activation === undefined) return x;
  return applyLayer(tf.layers.activation({
    activation: options.activation, name: names.activation ?? `${names.conv}_activation`,
  }), x);
}

/**
 * One MBConv block (inverted residual): 1x1 expansion + BN + swish (skipped for ratio 1),
 * depthwise kxk with the block's stride + BN + swish, squeeze-and-excitation (global mean,
 * 1x1 to filtersIn / 4 with swish, 1x1 back with sigmoid, channel-wise product), 1x1
 * projection + BN, and the identity added when stride is 1 and the width is unchanged.
 * NOTE: 'same' padding instead of Keras' explicit ZeroPadding2D before a stride-2 depthwise
 * convolution; both pad identically when the input's rows and columns are even.
 * @param x the block's input, [N, H, W, filtersIn].
 * @param settings kernel, stride, widths and expansion of this block.
 * @param name Keras prefix such as 'block2a'.
 * @param initializers seeded initialisers of the model being built.
 * @returns the block's output, [N, H / strides, W / strides, filtersOut].
 * @example x = mbConv(x, { kernelSize: 3, strides: 2, filtersIn: 16, filtersOut: 24,
 *   expandRatio: 6 }, 'block2a', initializers)
 */
export function mbConv(
  x: tf.SymbolicTensor, settings: BlockSettings, name: string,
  initializers: SeededInitializers,
): tf.SymbolicTensor {
  const { kernelSize, strides, filtersIn, filtersOut, expandRatio } = settings;
  const inputs = x;
  const filters = filtersIn * expandRatio;
  if (expandRatio !== 1) {
    x = convBn(x, { filters, kernelSize: 1, activation: 'swish',
      initializer: initializers.encoder(), names: { conv: `${name}_expand_conv`,
        bn: `${name}_expand_bn`, activation: `${name}_expand_activation` } });
  }

  x = applyLayer(tf.layers.depthwiseConv2d({
    kernelSize, strides, padding: 'same', useBias: false,
    depthwiseInitializer: initializers.encoder(), name: `${name}_dwconv`,
  }), x);
  x = applyLayer(tf.layers.batchNormalization({ name: `${name}_bn` }), x);
  x = applyLayer(tf.layers.activation({ activation: 'swish', name: `${name}_activation` }), x);

  // The squeeze width follows the block's input, not its expanded width (as in Keras).
  const squeezed = Math.max(1, Math.floor(filtersIn * SE_RATIO));
  let se = applyLayer(tf.layers.globalAveragePooling2d({ name: `${name}_se_squeeze` }), x);
  se = applyLayer(tf.layers.reshape({ targetShape: [1, 1, filters], name: `${name}_se_reshape` }),
    se);
  se = applyLayer(tf.layers.conv2d({ filters: squeezed, kernelSize: 1, activation: 'swish',
    kernelInitializer: initializers.encoder(), name: `${name}_se_reduce` }), se);
  se = applyLayer(tf.layers.conv2d({ filters, kernelSize: 1, activation: 'sigmoid',
    kernelInitializer: initializers.encoder(), name: `${name}_se_expand` }), se);
  x = applyLayer(tf.layers.multiply({ name: `${name}_se_excite` }), [x, se]);

  x = convBn(x, { filters: filtersOut, kernelSize: 1, initializer: initializers.encoder(),
    names: { conv: `${name}_project_conv`, bn: `${name}_project_bn` } });
  if (strides === 1 && filtersIn === filtersOut) {
    x = applyLayer(tf.layers.add({ name: `${name}_add` }), [x, inputs]);
  }
  return x;
}
