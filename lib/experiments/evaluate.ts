import type { Center } from '../data/manifest.js';
import type { Sample } from '../data/preprocess.js';
import { binarize, confusionCounts, type Counts } from '../evaluation/confusion.js';
import { reduceScores, type Scores } from '../evaluation/metrics.js';
import { f1OptimalThreshold } from '../evaluation/threshold.js';
import type { TrainedModel } from '../training/train.js';

/** The scores of one fold model on one center's test images, at that model's cutoff. */
export interface CenterScores {
  center: Center;
  images: number;
  /** Counts summed over all test pixels, then scored (the study's pixel metrics). */
  pooled: Scores;
  /** Each image scored, then averaged; images where a score is 0/0 are skipped. */
  perImage: Scores;
}

/**
 * The F1-optimal cutoff of a trained model on its validation images.
 * @example const { threshold } = await chooseThreshold(trained, validationSamples)
 */
export async function chooseThreshold(
  trained: TrainedModel,
  validation: Sample[],
): Promise<{ threshold: number; f1: number }> {
  const probabilities = await trained.predict(validation.map((sample) => sample.image));
  return f1OptimalThreshold(probabilities, validation.map((sample) => sample.mask));
}

/**
 * Scores a trained model on test images of one center, binarized at `threshold`.
 * @throws Error when `samples` is empty (a center without test images has no score).
 */
export async function scoreCenter(
  trained: TrainedModel,
  center: Center,
  samples: Sample[],
  threshold: number,
): Promise<CenterScores> {
  if (samples.length === 0) throw new Error(`center ${center} has no test images to score`);
  const probabilities = await trained.predict(samples.map((sample) => sample.image));
  const counts: Counts[] = probabilities.map((p, i) =>
    confusionCounts(binarize(p, threshold), samples[i].mask));
  return {
    center,
    images: samples.length,
    pooled: reduceScores(counts, 'pooled'),
    perImage: reduceScores(counts, 'per-image'),
  };
}
