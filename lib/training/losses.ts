/**
 * Training losses for the lesion probability map: binary cross-entropy plus soft Dice, and
 * binary focal loss. Both take the mask (0/1) and the predicted probabilities, same shape.
 */

import * as tf from '@tensorflow/tfjs';
import type { Profile } from '../config/profiles.js';

/** Probabilities are clipped to [EPSILON, 1 - EPSILON] before a logarithm. */
export const EPSILON = 1e-7;

/** Added to numerator and denominator of soft Dice so that empty masks give Dice 1. */
export const DICE_SMOOTH = 1;

export type SegmentationLoss = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Scalar;

/**
 * Mean binary cross-entropy over all pixels plus (1 - soft Dice).
 * Dice = (2 * sum(y * p) + 1) / (sum(y) + sum(p) + 1), with the sums taken over the whole
 * batch, not per image: an image without lesion pixels then cannot dominate the mean.
 * @param yTrue masks, 0 or 1.
 * @param yPred probabilities in [0, 1], same shape as yTrue.
 * @returns a scalar tensor (the caller disposes it).
 * @throws Error when the shapes differ.
 * @example bceDiceLoss(tf.tensor([1, 0]), tf.tensor([0.9, 0.1])) // ~0.105 + 0.067
 */
export function bceDiceLoss(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Scalar {
  checkShapes('bceDiceLoss', yTrue, yPred);
  return tf.tidy(() => {
    const y = tf.cast(yTrue, 'float32');
    const p = tf.clipByValue(yPred, EPSILON, 1 - EPSILON);
    const logLikelihood = tf.add(
      tf.mul(y, tf.log(p)),
      tf.mul(tf.sub(1, y), tf.log(tf.sub(1, p))));
    const crossEntropy = tf.neg(tf.mean(logLikelihood));

    const overlap = tf.sum(tf.mul(y, yPred));
    const dice = tf.div(
      tf.add(tf.mul(2, overlap), DICE_SMOOTH),
      tf.add(tf.add(tf.sum(y), tf.sum(yPred)), DICE_SMOOTH));
    return tf.add(crossEntropy, tf.sub(1, dice)) as tf.Scalar;
  });
}

/**
 * Binary focal loss (Lin et al. 2017), mean over pixels of
 * -alpha (1-p)^gamma y log(p) - (1-alpha) p^gamma (1-y) log(1-p).
 * alpha weights the positive (lesion) class, 1 - alpha the background; gamma = 0 gives the
 * alpha-weighted cross-entropy.
 * @param yTrue masks, 0 or 1.
 * @param yPred probabilities in [0, 1], same shape; clipped to [EPSILON, 1 - EPSILON].
 * @param alpha weight of lesion pixels, in [0, 1]; 0.25 by default.
 * @param gamma focusing exponent >= 0; 2 by default.
 * @returns a scalar tensor (the caller disposes it).
 * @throws Error when the shapes differ.
 * @example binaryFocalLoss(tf.tensor([1]), tf.tensor([0.8])) // 0.25 * 0.04 * 0.2231
 */
export function binaryFocalLoss(
  yTrue: tf.Tensor, yPred: tf.Tensor, alpha = 0.25, gamma = 2,
): tf.Scalar {
  checkShapes('binaryFocalLoss', yTrue, yPred);
  return tf.tidy(() => {
    const y = tf.cast(yTrue, 'float32');
    const p = tf.clipByValue(yPred, EPSILON, 1 - EPSILON);
    const oneMinusP = tf.sub(1, p);
    const lesion = tf.mul(alpha, tf.mul(tf.pow(oneMinusP, gamma), tf.mul(y, tf.log(p))));
    const background = tf.mul(1 - alpha,
      tf.mul(tf.pow(p, gamma), tf.mul(tf.sub(1, y), tf.log(oneMinusP))));
    return tf.neg(tf.mean(tf.add(lesion, background))) as tf.Scalar;
  });
}

/**
 * The loss a profile names: 'bce-dice' or 'focal' (with its focalAlpha and focalGamma).
 * @param profile the study profile.
 * @returns a function (yTrue, yPred) => scalar loss.
 * @throws Error naming profile.loss when it is neither.
 * @example const loss = lossFor(loadProfile('smoke')); // bceDiceLoss
 */
export function lossFor(
  profile: Pick<Profile, 'loss' | 'focalAlpha' | 'focalGamma'>,
): SegmentationLoss {
  switch (profile.loss) {
    case 'bce-dice':
      return bceDiceLoss;
    case 'focal':
      return (yTrue, yPred) =>
        binaryFocalLoss(yTrue, yPred, profile.focalAlpha, profile.focalGamma);
    default:
      throw new Error(`lib/training/losses.ts lossFor: profile.loss must be 'bce-dice' or ` +
        `'focal', got '${String(profile.loss)}'.`);
  }
}

function checkShapes(name: string, yTrue: tf.Tensor, yPred: tf.Tensor): void {
  if (!tf.util.arraysEqual(yTrue.shape, yPred.shape)) {
    throw new Error(`lib/training/losses.ts ${name}: yTrue shape [${yTrue.shape}] and ` +
      `yPred shape [${yPred.shape}] must be equal.`);
  }
}
