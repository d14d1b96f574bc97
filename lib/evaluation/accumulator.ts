/**
 * A running tally of per-image counts while predictions arrive one image at a time, so a
 * whole test center never has to sit in memory. It only sums; the scores come from the
 * functions in `metrics.ts`.
 */
import { addCounts, confusionCounts, zeroCounts, type Counts } from './confusion.js';
import { reduceScores, type Reduction, type Scores } from './metrics.js';

/**
 * Collects the confusion counts of each evaluated image.
 * @example
 *   const accumulator = new MetricAccumulator();
 *   accumulator.add(binarize(probabilities, 0.5), mask);
 *   accumulator.scores('pooled').f1
 */
export class MetricAccumulator {
  private readonly counts: Counts[] = [];

  /**
   * Adds one image.
   * @param prediction 0/1 per pixel (1 = lesion).
   * @param truth 0/1 per pixel, the annotated mask, same length.
   * @returns the counts of this image.
   * @throws Error from `confusionCounts` when lengths differ or a value is not 0/1.
   */
  add(prediction: Uint8Array, truth: Uint8Array): Counts {
    const counts = confusionCounts(prediction, truth);
    this.counts.push(counts);
    return { ...counts };
  }

  /** Number of images added so far. */
  get size(): number {
    return this.counts.length;
  }

  /** @returns a copy of the counts of every image, in the order they were added. */
  perImage(): Counts[] {
    return this.counts.map((counts) => ({ ...counts }));
  }

  /** @returns the counts of all images summed. */
  pooled(): Counts {
    return this.counts.reduce(addCounts, zeroCounts());
  }

  /**
   * Scores of the images added so far; see `reduceScores` for the reductions and NaN rules.
   * @param reduction 'pooled' or 'per-image'.
   */
  scores(reduction: Reduction): Scores {
    return reduceScores(this.counts, reduction);
  }

  /** Forgets every image, e.g. before the next fold. */
  reset(): void {
    this.counts.length = 0;
  }
}
