/**
 * The F1-optimal cutoff: the probability threshold that maximises pooled F1 on the
 * validation images, later applied unchanged to the test centers.
 */
import { zeroCounts, type Counts } from './confusion.js';
import { f1 } from './metrics.js';

/** Candidate cutoffs 0.05, 0.10, ..., 0.95 (19 values, each the double nearest k / 20). */
export const DEFAULT_THRESHOLD_CANDIDATES: readonly number[] = Array.from(
  { length: 19 },
  (_, i) => (i + 1) / 20,
);

// Candidates whose distances to 0.5 differ by less than this are treated as equally close,
// so that 0.45 and 0.55 tie despite their rounding as doubles.
const DISTANCE_TOLERANCE = 1e-12;

/**
 * Pooled counts over all images at every candidate cutoff, in one pass over the pixels.
 * Each pixel is filed under the number of candidates it reaches (probability >= cutoff, as
 * in `binarize`), once per class; the counts at each cutoff are then sums over those bins.
 * The result is therefore exactly what `binarize` + `confusionCounts` give at each cutoff.
 * @param probabilities per image, per-pixel lesion probability.
 * @param truths per image, the 0/1 mask (1 = lesion), same lengths as `probabilities`.
 * @param candidates the cutoffs; duplicates and any order are allowed.
 * @returns one Counts per candidate, in the order of `candidates`.
 * @throws Error when image counts or pixel counts differ, a mask value is not 0/1, or
 *   `candidates` is empty or holds NaN.
 * @example countsAtThresholds([probabilities], [mask], [0.3, 0.5])[1].tp
 */
export function countsAtThresholds(
  probabilities: readonly Float32Array[],
  truths: readonly Uint8Array[],
  candidates: readonly number[],
): Counts[] {
  checkInputs(probabilities, truths, candidates);
  const order = candidates.map((_, i) => i).sort((i, j) => candidates[i] - candidates[j]);
  const sorted = Float64Array.from(order, (i) => candidates[i]);

  // reached[k]: pixels whose probability is >= exactly the k smallest candidates.
  const m = sorted.length;
  const lesionReached = new Float64Array(m + 1);
  const backgroundReached = new Float64Array(m + 1);
  const lookup = reachedLookup(sorted);
  for (let image = 0; image < truths.length; image++) {
    const probability = probabilities[image];
    const truth = truths[image];
    for (let i = 0; i < truth.length; i++) {
      const p = probability[i];
      // p * BINS is exact for p in [0, 1], so the bin holds p; NaN fails the range test.
      const shortcut = p >= 0 && p <= 1 ? lookup[Math.floor(p * BINS)] : -1;
      const k = shortcut >= 0 ? shortcut : candidatesReached(p, sorted);
      if (truth[i] === 1) lesionReached[k]++;
      else if (truth[i] === 0) backgroundReached[k]++;
      else {
        throw new Error(`threshold.ts: truths[${image}][${i}] is ${truth[i]}; expected 0 or 1`);
      }
    }
  }

  // At the j-th smallest candidate a pixel is lesion when it reached more than j of them.
  const totalLesion = lesionReached.reduce((a, b) => a + b, 0);
  const totalBackground = backgroundReached.reduce((a, b) => a + b, 0);
  const result: Counts[] = candidates.map(() => zeroCounts());
  let tp = 0;
  let fp = 0;
  for (let j = m - 1; j >= 0; j--) {
    tp += lesionReached[j + 1];
    fp += backgroundReached[j + 1];
    result[order[j]] = { tp, fp, fn: totalLesion - tp, tn: totalBackground - fp };
  }
  return result;
}

/**
 * The cutoff with the highest pooled F1 over the given (validation) images.
 * Ties in F1 go to the candidate closest to 0.5, then to the lower candidate.
 * @param probabilities per image, per-pixel lesion probability.
 * @param truths per image, the 0/1 mask (1 = lesion), same lengths as `probabilities`.
 * @param candidates cutoffs to try; default 0.05, 0.10, ..., 0.95.
 * @returns the chosen cutoff and its pooled F1. F1 is NaN only when it is NaN at every
 *   candidate (no lesion pixel and nothing predicted), and then the cutoff is the one
 *   closest to 0.5.
 * @throws Error when there is no image, or as `countsAtThresholds`.
 * @example f1OptimalThreshold(validationProbabilities, validationMasks).threshold // 0.35
 */
export function f1OptimalThreshold(
  probabilities: readonly Float32Array[],
  truths: readonly Uint8Array[],
  candidates: readonly number[] = DEFAULT_THRESHOLD_CANDIDATES,
): { threshold: number; f1: number } {
  const counts = countsAtThresholds(probabilities, truths, candidates);
  if (truths.length === 0) {
    throw new Error('threshold.ts: truths is empty; expected at least one validation image');
  }

  let best = { threshold: candidates[0], f1: f1(counts[0]) };
  for (let i = 1; i < candidates.length; i++) {
    const candidate = { threshold: candidates[i], f1: f1(counts[i]) };
    if (isBetter(candidate, best)) best = candidate;
  }
  return best;
}

function isBetter(
  candidate: { threshold: number; f1: number },
  best: { threshold: number; f1: number },
): boolean {
  const candidateNaN = Number.isNaN(candidate.f1);
  const bestNaN = Number.isNaN(best.f1);
  if (candidateNaN !== bestNaN) return bestNaN;
  if (!candidateNaN && candidate.f1 !== best.f1) return candidate.f1 > best.f1;

  const distance = Math.abs(candidate.threshold - 0.5);
  const bestDistance = Math.abs(best.threshold - 0.5);
  if (Math.abs(distance - bestDistance) > DISTANCE_TOLERANCE) return distance < bestDistance;
  return candidate.threshold < best.threshold;
}

// Fine bins of width 1 / BINS over [0, 1]: in a bin with no cutoff strictly inside, every
// probability reaches the same number of cutoffs, so one table look-up replaces the search.
const BINS = 4096;

/** Per bin, the number of cutoffs reached by every probability in it, or -1 if it varies. */
function reachedLookup(sorted: Float64Array): Int32Array {
  const lookup = new Int32Array(BINS + 1);
  for (let bin = 0; bin <= BINS; bin++) {
    const low = bin / BINS;
    const high = (bin + 1) / BINS;
    const inside = sorted.some((cutoff) => cutoff > low && cutoff < high);
    lookup[bin] = inside ? -1 : candidatesReached(low, sorted);
  }
  return lookup;
}

/** How many of the ascending `sorted` cutoffs satisfy probability >= cutoff (NaN: none). */
function candidatesReached(probability: number, sorted: Float64Array): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (probability >= sorted[middle]) low = middle + 1;
    else high = middle;
  }
  return low;
}

function checkInputs(
  probabilities: readonly Float32Array[],
  truths: readonly Uint8Array[],
  candidates: readonly number[],
): void {
  if (probabilities.length !== truths.length) {
    throw new Error(
      `threshold.ts: probabilities has ${probabilities.length} images but truths has ` +
        `${truths.length}; expected one probability map per mask`,
    );
  }
  for (let image = 0; image < truths.length; image++) {
    if (probabilities[image].length !== truths[image].length) {
      throw new Error(
        `threshold.ts: probabilities[${image}] has ${probabilities[image].length} pixels but ` +
          `truths[${image}] has ${truths[image].length}; expected equal lengths`,
      );
    }
  }
  if (candidates.length === 0 || candidates.some(Number.isNaN)) {
    throw new Error(
      `threshold.ts: candidates is [${candidates.join(', ')}]; expected at least one number`,
    );
  }
}
