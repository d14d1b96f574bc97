/**
 * The segmentation network of the study: a plain U-Net (Ronneberger et al. 2015) that maps
 * a grey radiograph to a per-pixel caries probability.
 *
 * NOTE: no batch normalisation and no dropout; the network is kept as plain as the original.
 */

import * as tf from '@tensorflow/tfjs';

/** The lesion probability the untrained network starts from. */
export const OUTPUT_PRIOR = 0.01;

export interface UnetOptions {
  /** Input rows and columns; both must be divisible by 2^depth. */
  height: number;
  width: number;
  /** Filters of the first level; level l has baseFilters * 2^l, the bottleneck 2^depth. */
  baseFilters: number;
  /** Levels below the input (number of 2x2 max-pool steps). */
  depth: number;
  /** Seeds the He-normal initialisers: the same seed gives the same initial weights. */
  seed?: number;
  /**
   * Batch normalization between each 3x3 convolution and its ReLU (conv without bias, BN,
   * ReLU), as in the decoder of the study's segmentation-models U-Net. Default false.
   */
  batchNorm?: boolean;
}

/**
 * Builds the U-Net: on the way down each level has two 3x3 'same' convolutions with ReLU,
 * then a 2x2 max pool; a bottleneck of two convolutions; on the way up a 2x2 transposed
 * convolution with stride 2 (linear), concatenation with the skip of that level and two
 * convolutions; a final 1x1 convolution with sigmoid gives the lesion probability.
 * Upsampling is a transposed convolution because its gradient needs only the kernels a
 * plain convolution already needs (Conv2DBackpropInput / Conv2DBackpropFilter).
 * @param options input size, width of the first level, levels down, optional seed.
 * @returns an uncompiled model, input [N, height, width, 1], output [N, height, width, 1].
 * @throws Error naming the field when a size is not a positive integer or height / width
 *   is not divisible by 2^depth.
 * @example buildUnet({ height: 64, width: 128, baseFilters: 4, depth: 3, seed: 1 })
 */
export function buildUnet(options: UnetOptions): tf.LayersModel {
  checkOptions(options);
  const { height, width, baseFilters, depth, seed } = options;
  const layers = new LayerFactory(seed, options.batchNorm ?? false);

  const input = tf.input({ shape: [height, width, 1], name: 'radiograph' });
  const skips: tf.SymbolicTensor[] = [];
  let x: tf.SymbolicTensor = input;
  for (let level = 0; level < depth; level++) {
    x = layers.convBlock(x, baseFilters * 2 ** level, `down${level}`);
    skips.push(x);
    x = tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name: `down${level}_pool` })
      .apply(x) as tf.SymbolicTensor;
  }

  x = layers.convBlock(x, baseFilters * 2 ** depth, 'bottleneck');

  for (let level = depth - 1; level >= 0; level--) {
    const filters = baseFilters * 2 ** level;
    x = layers.upConv(x, filters, `up${level}`);
    x = tf.layers.concatenate({ axis: -1, name: `up${level}_concat` })
      .apply([skips[level], x]) as tf.SymbolicTensor;
    x = layers.convBlock(x, filters, `up${level}`);
  }

  const output = tf.layers.conv2d({
    filters: 1, kernelSize: 1, activation: 'sigmoid', name: 'lesion_probability',
    kernelInitializer: layers.initializer(),
    // Lesions are rare (about 0.5% of pixels): starting the output at that prior, not at 0.5,
    // spares the first epochs from unlearning a flood of false positives (Lin et al. 2017).
    biasInitializer: tf.initializers.constant({ value: Math.log(OUTPUT_PRIOR / (1 - OUTPUT_PRIOR)) }),
  }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output, name: 'unet' });
}

/** Hands out layers whose initialisers draw from consecutive seeds, so weights differ. */
class LayerFactory {
  private next: number | undefined;

  constructor(seed: number | undefined, private readonly batchNorm: boolean) {
    this.next = seed;
  }

  initializer(): ReturnType<typeof tf.initializers.heNormal> {
    if (this.next === undefined) return tf.initializers.heNormal({});
    return tf.initializers.heNormal({ seed: this.next++ });
  }

  convBlock(x: tf.SymbolicTensor, filters: number, name: string): tf.SymbolicTensor {
    for (const step of [1, 2]) {
      x = tf.layers.conv2d({
        filters, kernelSize: 3, padding: 'same', activation: this.batchNorm ? 'linear' : 'relu',
        useBias: !this.batchNorm, kernelInitializer: this.initializer(),
        name: `${name}_conv${step}`,
      }).apply(x) as tf.SymbolicTensor;
      if (this.batchNorm) {
        x = tf.layers.batchNormalization({ axis: -1, name: `${name}_bn${step}` })
          .apply(x) as tf.SymbolicTensor;
        x = tf.layers.activation({ activation: 'relu', name: `${name}_relu${step}` })
          .apply(x) as tf.SymbolicTensor;
      }
    }
    return x;
  }

  upConv(x: tf.SymbolicTensor, filters: number, name: string): tf.SymbolicTensor {
    return tf.layers.conv2dTranspose({
      filters, kernelSize: 2, strides: 2, padding: 'same',
      kernelInitializer: this.initializer(), name: `${name}_upconv`,
    }).apply(x) as tf.SymbolicTensor;
  }
}

function checkOptions(options: UnetOptions): void {
  const where = 'lib/model/unet.ts buildUnet';
  for (const field of ['height', 'width', 'baseFilters'] as const) {
    const value = options[field];
    if (!Number.isInteger(value) || value < 1) {
      throw new Error(`${where}: ${field} must be a positive integer, got ${value}.`);
    }
  }
  if (!Number.isInteger(options.depth) || options.depth < 0) {
    throw new Error(`${where}: depth must be an integer >= 0, got ${options.depth}.`);
  }
  const factor = 2 ** options.depth;
  for (const field of ['height', 'width'] as const) {
    if (options[field] % factor !== 0) {
      throw new Error(`${where}: ${field} ${options[field]} is not divisible by ` +
        `2^depth = ${factor} (depth ${options.depth}).`);
    }
  }
}
