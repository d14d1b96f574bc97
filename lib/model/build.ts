/**
 * One entry to build the study's networks, so the training loop does not care which one:
 * the plain U-Net or the U-Net with an EfficientNet encoder.
 */

import type * as tf from '@tensorflow/tfjs';
import { buildEfficientUnet, type EfficientNetVariant } from './efficientnet.js';
import { buildUnet } from './unet.js';

export type Architecture = 'unet' | 'efficientnet-unet';

/** Which network, with the settings only that network has. */
export type ModelSpec =
  | { architecture: 'unet'; baseFilters: number; depth: number; batchNorm?: boolean }
  | { architecture: 'efficientnet-unet'; variant: EfficientNetVariant };

/** What every network shares: the input size and the seed of its initial weights. */
export interface ModelInput {
  height: number;
  width: number;
  seed?: number;
}

/**
 * Builds the network a spec names.
 * @param spec architecture and its settings.
 * @param input rows, columns, optional seed.
 * @returns an uncompiled model, input [N, height, width, 1], sigmoid output of the same size.
 * @throws Error naming `architecture` when it is unknown; the builders' errors otherwise
 *   (sizes not divisible by 2^depth or 32, unknown variant).
 * @example buildModel({ architecture: 'efficientnet-unet', variant: 'b0' },
 *   { height: 64, width: 128, seed: 1 })
 */
export function buildModel(spec: ModelSpec, input: ModelInput): tf.LayersModel {
  switch (spec.architecture) {
    case 'unet':
      return buildUnet({ ...input, baseFilters: spec.baseFilters, depth: spec.depth,
        batchNorm: spec.batchNorm });
    case 'efficientnet-unet':
      return buildEfficientUnet({ ...input, variant: spec.variant });
    default: {
      const architecture = (spec as { architecture: unknown }).architecture;
      throw new Error(`lib/model/build.ts buildModel: architecture ` +
        `${JSON.stringify(architecture)} is unknown; expected 'unet' or 'efficientnet-unet'.`);
    }
  }
}

/** The settings `modelSpecOf` reads; a Profile with `architecture` / `encoder` fits. */
export interface ModelSettings {
  /** 'unet' when absent. */
  architecture?: Architecture;
  /** EfficientNet variant; required when architecture is 'efficientnet-unet'. */
  encoder?: EfficientNetVariant;
  baseFilters: number;
  depth: number;
  /** U-Net only: batch normalisation after each 3x3 convolution. */
  batchNorm?: boolean;
}

/**
 * The spec of a profile-like settings object, so a training loop calls
 * `buildModel(modelSpecOf(profile), { height, width, seed })`.
 * @param settings architecture (default 'unet'), encoder, baseFilters, depth, batchNorm.
 * @returns the ModelSpec; baseFilters / depth / batchNorm are ignored for
 *   'efficientnet-unet' (its encoder and decoder always normalise).
 * @throws Error naming `encoder` when architecture is 'efficientnet-unet' without it.
 * @example modelSpecOf({ architecture: 'efficientnet-unet', encoder: 'b5', baseFilters: 16,
 *   depth: 4 }) // { architecture: 'efficientnet-unet', variant: 'b5' }
 */
export function modelSpecOf(settings: ModelSettings): ModelSpec {
  const architecture = settings.architecture ?? 'unet';
  if (architecture === 'unet') {
    const { baseFilters, depth, batchNorm } = settings;
    return batchNorm === undefined ? { architecture, baseFilters, depth }
      : { architecture, baseFilters, depth, batchNorm };
  }
  if (settings.encoder === undefined) {
    throw new Error("lib/model/build.ts modelSpecOf: encoder is missing; expected 'b0' .. 'b5' " +
      "when architecture is 'efficientnet-unet'.");
  }
  return { architecture, variant: settings.encoder };
}
