/**
 * Pixel scores of the study (F1, sensitivity, PPV, specificity, IoU), each a small
 * function over `Counts`, and their reduction over many images.
 */
import { addCounts, zeroCounts, type Counts } from './confusion.js';

/** The five pixel scores reported for a model on one center. */
export interface Scores {
  f1: number;
  sensitivity: number;
  ppv: number;
  specificity: number;
  iou: number;
}

/**
 * How scores over many images are combined.
 * `pooled`: sum the counts of all images, then score once (every pixel weighs the same).
 * `per-image`: score every image, then take the mean (every image weighs the same).
 */
export type Reduction = 'pooled' | 'per-image';

const SCORE_NAMES: readonly (keyof Scores)[] = ['f1', 'sensitivity', 'ppv', 'specificity', 'iou'];

// NOTE: a 0/0 score (F1 of an empty mask and empty prediction) is NaN; per-image means skip it.
// The same holds for IoU, sensitivity and PPV of such an image; it is never scored as 0 or 1.
function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? NaN : numerator / denominator;
}

/**
 * F1 score (Dice) of the lesion class: 2 tp / (2 tp + fp + fn).
 * Written as one division of integers so that equal fractions give identical numbers,
 * which the threshold search relies on when it compares candidates.
 * @returns a value in [0, 1], or NaN when tp + fp + fn = 0.
 * @example f1({ tp: 2, fp: 1, fn: 1, tn: 6 }) // 4 / 6 = 0.667
 */
export function f1(counts: Counts): number {
  return ratio(2 * counts.tp, 2 * counts.tp + counts.fp + counts.fn);
}

/**
 * Sensitivity (recall): share of lesion pixels predicted as lesion, tp / (tp + fn).
 * @returns a value in [0, 1], or NaN when the mask has no lesion pixel.
 * @example sensitivity({ tp: 3, fp: 0, fn: 1, tn: 4 }) // 0.75
 */
export function sensitivity(counts: Counts): number {
  return ratio(counts.tp, counts.tp + counts.fn);
}

/**
 * Positive predictive value (precision): share of predicted lesion pixels that are lesion,
 * tp / (tp + fp).
 * @returns a value in [0, 1], or NaN when nothing is predicted as lesion.
 * @example ppv({ tp: 1, fp: 3, fn: 0, tn: 4 }) // 0.25
 */
export function ppv(counts: Counts): number {
  return ratio(counts.tp, counts.tp + counts.fp);
}

/**
 * Specificity: share of background pixels predicted as background, tn / (tn + fp).
 * @returns a value in [0, 1], or NaN when the mask has no background pixel.
 * @example specificity({ tp: 0, fp: 1, fn: 0, tn: 4 }) // 0.8
 */
export function specificity(counts: Counts): number {
  return ratio(counts.tn, counts.tn + counts.fp);
}

/**
 * Intersection over union (Jaccard) of the lesion class: tp / (tp + fp + fn).
 * @returns a value in [0, 1], or NaN when tp + fp + fn = 0.
 * @example iou({ tp: 2, fp: 1, fn: 1, tn: 6 }) // 0.5
 */
export function iou(counts: Counts): number {
  return ratio(counts.tp, counts.tp + counts.fp + counts.fn);
}

/**
 * All five scores of one set of counts.
 * @returns f1, sensitivity, ppv, specificity and iou; each NaN where its denominator is 0.
 * @example scores({ tp: 2, fp: 1, fn: 1, tn: 6 }).ppv // 0.667
 */
export function scores(counts: Counts): Scores {
  return {
    f1: f1(counts),
    sensitivity: sensitivity(counts),
    ppv: ppv(counts),
    specificity: specificity(counts),
    iou: iou(counts),
  };
}

/**
 * Combines the counts of many images into one set of scores.
 * @param perImage counts of every image, e.g. from `confusionCounts`.
 * @param reduction `pooled` (sum counts, then score) or `per-image` (score, then mean).
 * @returns the five scores. Per image, NaN scores are left out of the mean; a score that is
 *   NaN on every image, or a list with no image, gives NaN.
 * @throws Error when `reduction` is neither 'pooled' nor 'per-image'.
 * @example reduceScores([countsA, countsB], 'per-image').f1
 */
export function reduceScores(perImage: readonly Counts[], reduction: Reduction): Scores {
  if (reduction === 'pooled') {
    return scores(perImage.reduce(addCounts, zeroCounts()));
  }
  if (reduction !== 'per-image') {
    throw new Error(
      `metrics.ts: reduction is ${JSON.stringify(reduction)}; expected 'pooled' or 'per-image'`,
    );
  }

  const imageScores = perImage.map(scores);
  const mean = {} as Scores;
  for (const name of SCORE_NAMES) {
    mean[name] = meanSkippingNaN(imageScores.map((s) => s[name]));
  }
  return mean;
}

function meanSkippingNaN(values: readonly number[]): number {
  let sum = 0;
  let n = 0;
  for (const value of values) {
    if (!Number.isNaN(value)) {
      sum += value;
      n++;
    }
  }
  return n === 0 ? NaN : sum / n;
}
