/**
 * Geometric augmentation of training batches: a random horizontal flip and a small random
 * shift, drawn per image and applied identically to the radiograph and its lesion mask.
 * Intensity changes (brightness, contrast) are a separate experiment's step, not here.
 */

import * as tf from '@tensorflow/tfjs';

export interface AugmentOptions {
  /** Probability of a left-right mirror; 0.5 by default (panoramics are near symmetric). */
  flipProbability?: number;
  /** Largest shift as a fraction of height / width; 0.06 by default. */
  maxShiftFraction?: number;
}

/** One image's transform: mirror first, then move the content by whole pixels. */
export interface GeometricTransform {
  flip: boolean;
  /** Rows down (negative: up) and columns right (negative: left); uncovered pixels are 0. */
  shiftRows: number;
  shiftColumns: number;
}

/**
 * Draws one transform. A shift is a whole number of pixels, uniform in [-m, m] with
 * m = floor(maxShiftFraction * size), so an image never moves more than the fraction.
 * NOTE: at 16 pixels, 6% is under one pixel and the shift is always 0.
 * @param height rows of the image.
 * @param width columns of the image.
 * @param rand random source in [0, 1), e.g. seededRandom(seed).
 * @param options flip probability and largest shift.
 * @returns the transform; draws exactly three numbers from `rand`.
 * @example drawTransform(64, 128, seededRandom(1)) // shifts within [-3, 3] and [-7, 7]
 */
export function drawTransform(
  height: number, width: number, rand: () => number, options: AugmentOptions = {},
): GeometricTransform {
  const flipProbability = options.flipProbability ?? 0.5;
  const maxShiftFraction = options.maxShiftFraction ?? 0.06;
  const flip = rand() < flipProbability;
  const shiftRows = uniformInteger(Math.floor(maxShiftFraction * height), rand);
  const shiftColumns = uniformInteger(Math.floor(maxShiftFraction * width), rand);
  return { flip, shiftRows, shiftColumns };
}

/**
 * Applies one transform per image to a batch by mirroring, zero padding and cropping, so
 * that a 0/1 mask stays 0/1 and each mask pixel lands exactly where its image pixel lands.
 * NOTE: not tf.image.transform: its cpu kernel (tfjs 4.22) fills only the first image of a
 * batch and leaves the others at the fill value.
 * @param batch images or masks, [N, H, W, C].
 * @param transforms one per image.
 * @returns a new tensor of the same shape (the caller disposes it).
 * @throws Error when the number of transforms is not N.
 * @example applyTransforms(images, [{ flip: true, shiftRows: 0, shiftColumns: 0 }])
 */
export function applyTransforms(
  batch: tf.Tensor4D, transforms: readonly GeometricTransform[],
): tf.Tensor4D {
  const [count, height, width, channels] = batch.shape;
  if (transforms.length !== count) {
    throw new Error(`lib/training/augment.ts applyTransforms: transforms has ` +
      `${transforms.length} entries, expected one per image (${count}).`);
  }
  return tf.tidy(() => tf.concat(transforms.map(({ flip, shiftRows, shiftColumns }, i) => {
    const image = tf.slice(batch, [i, 0, 0, 0], [1, height, width, channels]);
    const mirrored = flip ? tf.reverse(image, 2) : image;
    // Zeros fill the side the content moves away from; the crop restores the size.
    const padded = tf.pad(mirrored, [[0, 0],
      [Math.max(shiftRows, 0), Math.max(-shiftRows, 0)],
      [Math.max(shiftColumns, 0), Math.max(-shiftColumns, 0)], [0, 0]]);
    return tf.slice(padded, [0, Math.max(-shiftRows, 0), Math.max(-shiftColumns, 0), 0],
      [1, height, width, channels]);
  }), 0));
}

/**
 * Random flips and shifts for a training batch, the same per image for image and mask.
 * @param images radiographs [N, H, W, 1].
 * @param masks lesion masks [N, H, W, 1].
 * @param rand random source in [0, 1); three draws per image.
 * @param options flip probability and largest shift.
 * @returns new tensors (the caller disposes both).
 * @throws Error when the shapes of images and masks differ.
 * @example const { images, masks } = augmentBatch(x, y, seededRandom(7));
 */
export function augmentBatch(
  images: tf.Tensor4D, masks: tf.Tensor4D, rand: () => number, options: AugmentOptions = {},
): { images: tf.Tensor4D; masks: tf.Tensor4D } {
  if (!tf.util.arraysEqual(images.shape, masks.shape)) {
    throw new Error(`lib/training/augment.ts augmentBatch: images shape [${images.shape}] ` +
      `and masks shape [${masks.shape}] must be equal.`);
  }
  const [count, height, width] = images.shape;
  const transforms: GeometricTransform[] = [];
  for (let i = 0; i < count; i++) transforms.push(drawTransform(height, width, rand, options));
  return { images: applyTransforms(images, transforms), masks: applyTransforms(masks, transforms) };
}

/** A whole number uniform in [-limit, limit]; one draw even when limit is 0. */
function uniformInteger(limit: number, rand: () => number): number {
  return Math.floor(rand() * (2 * limit + 1)) - limit;
}
