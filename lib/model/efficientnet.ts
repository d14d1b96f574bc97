/**
 * The study's alternative segmentation network: a U-Net whose encoder is an EfficientNet
 * (Tan & Le 2019), with the decoder of segmentation_models' Unet (Yakubovskiy 2019).
 *
 * NOTE: the encoder starts from random weights on a 1-channel grey input; ImageNet weights
 * (3-channel, not available offline) are not used, unlike segmentation_models' default.
 * NOTE: batch norm at stride 32 averages over N * (H / 32) * (W / 32) values per channel; a
 * 32x32 input with batch 2 gives 2, and training with batch statistics becomes erratic.
 */

import * as tf from '@tensorflow/tfjs';
import {
  applyLayer, convBn, efficientNetStages, mbConv, SeededInitializers,
  type EfficientNetVariant,
} from './efficientnet-blocks.js';
import { OUTPUT_PRIOR } from './unet.js';

export type { EfficientNetVariant } from './efficientnet-blocks.js';

export interface EfficientUnetOptions {
  /** Input rows and columns; both must be divisible by 32, the encoder's total stride. */
  height: number;
  width: number;
  variant: EfficientNetVariant;
  /** Filters of the five decoder steps; DECODER_FILTERS (segmentation_models') by default. */
  decoderFilters?: readonly number[];
  /** Seeds the initialisers: the same seed gives the same initial weights. */
  seed?: number;
}

/** Filters of the five decoder steps, from stride 16 up to full resolution. */
export const DECODER_FILTERS: readonly number[] = [256, 128, 64, 32, 16];
const TOTAL_STRIDE = 32;

/**
 * Builds the EfficientNet U-Net. Encoder: stem 3x3 stride 2 + BN + swish, then the
 * variant's seven stages of MBConv blocks (no 1x1 head convolution: the decoder reads the
 * last stage). Skips: the output of the last stage at strides 2, 4, 8 and 16 (for B0 16,
 * 24, 40 and 112 channels, as timm's `features_only`). Decoder: five steps of 2x nearest
 * upsampling, concatenation with the skip of that stride (none at full resolution) and two
 * 3x3 convolutions + BN + ReLU (DECODER_FILTERS unless given); a final 1x1 convolution
 * with sigmoid whose bias starts at the lesion prior OUTPUT_PRIOR, as the plain U-Net.
 * Layer names are Keras' ('stem_conv', 'block1a_dwconv', ...) in the encoder and
 * 'decoder_stage{i}{a|b}_...' in the decoder, so `loadWeightsInto` can match them.
 * @param options input size, variant 'b0' .. 'b5', optional decoder filters and seed.
 * @returns an uncompiled model, input [N, height, width, 1], output [N, height, width, 1].
 * @throws Error naming height / width and its value when it is not a positive multiple of
 *   32; naming decoderFilters when it is not five positive integers; naming the known
 *   variants when `variant` is unknown.
 * @example buildEfficientUnet({ height: 64, width: 128, variant: 'b0', seed: 1 })
 */
export function buildEfficientUnet(options: EfficientUnetOptions): tf.LayersModel {
  checkOptions(options);
  const { height, width, variant } = options;
  const { stemFilters, stages } = efficientNetStages(variant);
  const initializers = new SeededInitializers(options.seed);

  const input = tf.input({ shape: [height, width, 1], name: 'radiograph' });
  let x = convBn(input, { filters: stemFilters, kernelSize: 3, strides: 2, activation: 'swish',
    initializer: initializers.encoder(),
    names: { conv: 'stem_conv', bn: 'stem_bn', activation: 'stem_activation' } });

  // The last feature map at each stride; a later stage at the same stride replaces it.
  const features = new Map<number, tf.SymbolicTensor>();
  let stride = 2;
  stages.forEach((stage, stageIndex) => {
    for (let repeat = 0; repeat < stage.repeats; repeat++) {
      const first = repeat === 0;
      x = mbConv(x, {
        kernelSize: stage.kernelSize, strides: first ? stage.strides : 1,
        filtersIn: first ? stage.filtersIn : stage.filtersOut, filtersOut: stage.filtersOut,
        expandRatio: stage.expandRatio,
      }, `block${stageIndex + 1}${String.fromCharCode(97 + repeat)}`, initializers);
    }
    stride *= stage.strides;
    features.set(stride, x);
  });

  (options.decoderFilters ?? DECODER_FILTERS).forEach((filters, step) => {
    const name = `decoder_stage${step}`;
    x = applyLayer(tf.layers.upSampling2d({ size: [2, 2], name: `${name}_upsampling` }), x);
    const skip = features.get(TOTAL_STRIDE / 2 ** (step + 1));
    if (skip !== undefined) {
      x = applyLayer(tf.layers.concatenate({ axis: -1, name: `${name}_concat` }), [x, skip]);
    }
    for (const half of ['a', 'b']) {
      x = convBn(x, { filters, kernelSize: 3, activation: 'relu',
        initializer: initializers.decoder(), names: { conv: `${name}${half}_conv`,
          bn: `${name}${half}_bn`, activation: `${name}${half}_relu` } });
    }
  });

  const output = applyLayer(tf.layers.conv2d({
    filters: 1, kernelSize: 1, activation: 'sigmoid', name: 'lesion_probability',
    kernelInitializer: initializers.decoder(),
    // Starts at the lesion prior, as the plain U-Net (see OUTPUT_PRIOR in unet.ts).
    biasInitializer: tf.initializers.constant({
      value: Math.log(OUTPUT_PRIOR / (1 - OUTPUT_PRIOR)),
    }),
  }), x);
  return tf.model({ inputs: input, outputs: output, name: `efficientnet_${variant}_unet` });
}

function checkOptions(options: EfficientUnetOptions): void {
  const where = 'lib/model/efficientnet.ts buildEfficientUnet';
  for (const field of ['height', 'width'] as const) {
    const value = options[field];
    if (!Number.isInteger(value) || value < TOTAL_STRIDE || value % TOTAL_STRIDE !== 0) {
      throw new Error(`${where}: ${field} ${value} is not a positive multiple of ` +
        `${TOTAL_STRIDE} (the encoder's total stride); input was ` +
        `${options.height}x${options.width}.`);
    }
  }
  const filters = options.decoderFilters;
  if (filters !== undefined && (filters.length !== DECODER_FILTERS.length ||
    !filters.every((value) => Number.isInteger(value) && value >= 1))) {
    throw new Error(`${where}: decoderFilters [${filters.join(', ')}] must be ` +
      `${DECODER_FILTERS.length} positive integers, one per decoder step.`);
  }
}
