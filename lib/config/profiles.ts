/**
 * Every tunable number of the study, one profile per use. A notebook names its profile in
 * one cell (`loadProfile(process.env.STUDY_PROFILE ?? 'laptop')`); nothing else in `lib/`
 * holds a study setting of its own.
 */

import type { EfficientNetVariant } from '../model/efficientnet-blocks.js';

export type LossName = 'bce-dice' | 'focal';

export interface Profile {
  name: ProfileName;
  /** Network input, rows x columns; the paper resizes to 704 wide, 352 high. */
  height: number;
  width: number;
  /** Cross-validation folds over center A's training images; one model per fold. */
  folds: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  /**
   * 'unet' is the plain convolutional U-Net (baseFilters, depth, batchNorm); 'efficientnet-unet'
   * puts an EfficientNet encoder (`encoder`, B5 as published, B0 for CPUs) under the decoder.
   */
  architecture: 'unet' | 'efficientnet-unet';
  encoder?: EfficientNetVariant;
  /** U-Net: filters of the first level, doubled at each level down; levels below the input. */
  baseFilters: number;
  depth: number;
  /** Batch normalization after each 3x3 convolution (needed to train at lr 0.002). */
  batchNorm: boolean;
  loss: LossName;
  /** Binary focal loss weights (Lin et al. 2017): alpha for the lesion class, gamma focus. */
  focalAlpha: number;
  focalGamma: number;
  /** Share of each center held out as its test set, drawn once with `seed`. */
  testFraction: number;
  /** Upper bound on training images per fold (all when undefined); keeps CI short. */
  maxTrainImages?: number;
  /** Random flips and shifts during training (the geometric augmentation). */
  augment: boolean;
  seed: number;
  /**
   * A folder written by saveModel whose weights start every model (by layer name; layers it
   * lacks or of another shape keep their random start), as the study started from an
   * earlier caries model. Undefined: random initial weights.
   */
  initialWeights?: string;
}

export type ProfileName = 'paper' | 'laptop' | 'smoke';

const shared = {
  architecture: 'unet' as const,
  batchNorm: true,
  batchSize: 4,
  learningRate: 0.002,
  loss: 'bce-dice' as LossName,
  focalAlpha: 0.25,
  focalGamma: 2,
  testFraction: 0.2,
  augment: true,
  seed: 20210513,
};

export const profiles: Record<ProfileName, Profile> = {
  /** As published: 704x352 input, 5 folds, 200 epochs. Practical on a GPU only. */
  paper: { ...shared, name: 'paper', height: 352, width: 704, folds: 5, epochs: 200,
    baseFilters: 16, depth: 4 },
  /**
   * What a 2-core machine finishes in well under an hour on the wasm backend (notebook 01, two
   * worker processes). At 96x192 with batch norm the validation IoU starts to climb after about
   * 20 epochs (measured on center A), hence 40.
   */
  laptop: { ...shared, name: 'laptop', height: 96, width: 192, folds: 5, epochs: 40,
    baseFilters: 8, depth: 4 },
  /** What CI finishes in minutes: tiny input, two folds, two epochs, few images. */
  smoke: { ...shared, name: 'smoke', height: 64, width: 128, folds: 2, epochs: 2,
    baseFilters: 4, depth: 3, maxTrainImages: 16 },
};

/**
 * The profile of that name.
 * @throws Error naming the known profiles when `name` is none of them.
 * @example loadProfile('smoke').epochs // 2
 */
export function loadProfile(name: string): Profile {
  if (!(name in profiles)) {
    const known = Object.keys(profiles).join(', ');
    throw new Error(`Unknown profile '${name}': expected one of ${known} (STUDY_PROFILE).`);
  }
  return { ...profiles[name as ProfileName] };
}

/**
 * A warning for reports made with a profile that is not meant to give results: the smoke
 * profile checks the pipeline, not the science. Empty for the other profiles.
 * @example profileWarning(loadProfile('smoke')) // '**Smoke profile.** ...'
 */
export function profileWarning(profile: Profile): string {
  if (profile.name !== 'smoke') return '';
  return `**Smoke profile.** ${profile.epochs} epochs on ${profile.maxTrainImages} images at ` +
    `${profile.height}x${profile.width}: this run checks that the pipeline works end to end. ` +
    'Its scores mean nothing (models this short usually predict no lesion at all, so PPV is ' +
    'undefined and F1 is 0). Use the laptop or paper profile for results.';
}
