/**
 * The one primitive of the pixel evaluation: true/false positive/negative counts of one
 * binary prediction against one binary mask. Every score in `metrics.ts` is computed from
 * these counts and nothing else.
 */

/** Pixel counts of one prediction against one mask (1 = lesion, 0 = background). */
export interface Counts {
  /** Lesion pixels predicted as lesion. */
  tp: number;
  /** Background pixels predicted as lesion. */
  fp: number;
  /** Lesion pixels predicted as background. */
  fn: number;
  /** Background pixels predicted as background. */
  tn: number;
}

/**
 * Counts agreement between a binary prediction and a binary mask, pixel by pixel.
 * @param prediction 0/1 per pixel (1 = lesion), e.g. from `binarize`.
 * @param truth 0/1 per pixel (1 = lesion), the annotated mask, same length.
 * @returns the four counts; they sum to the number of pixels.
 * @throws Error when the lengths differ (naming both) or a value is neither 0 nor 1.
 * @example confusionCounts(Uint8Array.of(1, 1, 0), Uint8Array.of(1, 0, 0))
 *   // { tp: 1, fp: 1, fn: 0, tn: 1 }
 */
export function confusionCounts(prediction: Uint8Array, truth: Uint8Array): Counts {
  if (prediction.length !== truth.length) {
    throw new Error(
      `confusion.ts: prediction has ${prediction.length} pixels but truth has ` +
        `${truth.length}; expected equal lengths`,
    );
  }

  // Counting the two marginals and their overlap is enough; fp, fn and tn follow.
  let tp = 0;
  let predicted = 0;
  let lesion = 0;
  for (let i = 0; i < truth.length; i++) {
    const p = prediction[i];
    const t = truth[i];
    if ((p | t) > 1) {
      // A 0/255 mask passed unconverted would otherwise count silently as lesion.
      const field = p > 1 ? 'prediction' : 'truth';
      const value = p > 1 ? p : t;
      throw new Error(`confusion.ts: ${field}[${i}] is ${value}; expected 0 or 1`);
    }
    tp += p & t;
    predicted += p;
    lesion += t;
  }

  const fp = predicted - tp;
  const fn = lesion - tp;
  return { tp, fp, fn, tn: truth.length - tp - fp - fn };
}

/**
 * Turns lesion probabilities into a binary prediction at a cutoff.
 * A pixel is lesion when its probability is >= `threshold` (a probability equal to the
 * threshold counts as lesion); a NaN probability counts as background.
 * @param probabilities per-pixel lesion probability (model output after the sigmoid).
 * @param threshold the cutoff, e.g. 0.5 or the F1-optimal one from `threshold.ts`.
 * @returns 0/1 per pixel.
 * @throws Error when `threshold` is NaN.
 * @example binarize(Float32Array.of(0.2, 0.5, 0.9), 0.5) // Uint8Array [0, 1, 1]
 */
export function binarize(probabilities: Float32Array, threshold: number): Uint8Array {
  if (Number.isNaN(threshold)) {
    throw new Error('confusion.ts: threshold is NaN; expected a number such as 0.5');
  }
  const prediction = new Uint8Array(probabilities.length);
  for (let i = 0; i < probabilities.length; i++) {
    prediction[i] = probabilities[i] >= threshold ? 1 : 0;
  }
  return prediction;
}

/**
 * Adds two sets of counts, e.g. to pool the pixels of two images.
 * @returns a new Counts; the arguments are left unchanged.
 * @example addCounts({ tp: 1, fp: 0, fn: 2, tn: 5 }, { tp: 3, fp: 1, fn: 0, tn: 4 })
 *   // { tp: 4, fp: 1, fn: 2, tn: 9 }
 */
export function addCounts(a: Counts, b: Counts): Counts {
  return { tp: a.tp + b.tp, fp: a.fp + b.fp, fn: a.fn + b.fn, tn: a.tn + b.tn };
}

/**
 * Counts of no pixels at all: the start of a sum.
 * @returns a new Counts with every field 0.
 * @example [a, b].reduce(addCounts, zeroCounts())
 */
export function zeroCounts(): Counts {
  return { tp: 0, fp: 0, fn: 0, tn: 0 };
}
