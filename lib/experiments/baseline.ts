import type { Profile } from '../config/profiles.js';
import { kFold } from '../data/folds.js';
import { recordsOf, roisOf, type Center, type Manifest } from '../data/manifest.js';
import { loadSamples, type Sample } from '../data/preprocess.js';
import { trainModel } from '../training/train.js';
import { chooseThreshold, scoreCenter, type CenterScores } from './evaluate.js';

/** One fold model of experiment 1: where it stopped, its cutoff and its test scores. */
export interface FoldResult {
  fold: number;
  trainImages: number;
  validationImages: number;
  bestEpoch: number;
  threshold: number;
  validationF1: number;
  test: CenterScores[];
}

export interface BaselineOptions {
  log?: (line: string) => void;
}

/**
 * Experiment 1 of the study: one U-Net per cross-validation fold of center A's training
 * images, each evaluated on the held-out test images of center A and of center B.
 * NOTE: positional arguments on purpose: tslab drops a previous cell's variable used in a
 * shorthand property (`{ manifest }`), so notebooks pass them one by one.
 * @example const folds = await runBaseline(manifest, loadProfile('smoke'))
 */
export async function runBaseline(
  manifest: Manifest, profile: Profile, options: BaselineOptions = {},
): Promise<FoldResult[]> {
  const log = options.log ?? ((line: string) => console.log(line));
  const size = { height: profile.height, width: profile.width };
  const load = (center: Center, split: 'train' | 'test'): Promise<Sample[]> =>
    loadSamples(recordsOf(manifest, center, split), roisOf(manifest), size);

  const trainA = await load('A', 'train');
  const test: Record<Center, Sample[]> = { A: await load('A', 'test'), B: await load('B', 'test') };
  log(`data: ${trainA.length} training images of A; test images A ${test.A.length}, ` +
    `B ${test.B.length}; input ${profile.height}x${profile.width}`);

  const results: FoldResult[] = [];
  for (const split of kFold(trainA.length, profile.folds, profile.seed)) {
    const train = split.train.slice(0, profile.maxTrainImages).map((i) => trainA[i]);
    const validation = split.validation.map((i) => trainA[i]);
    log(`fold ${split.fold + 1}/${profile.folds}: ${train.length} training, ` +
      `${validation.length} validation images`);

    const trained = await trainModel({
      train, validation, profile, seed: profile.seed + split.fold, log,
    });
    try {
      const cutoff = await chooseThreshold(trained, validation);
      const scores = [
        await scoreCenter(trained, 'A', test.A, cutoff.threshold),
        await scoreCenter(trained, 'B', test.B, cutoff.threshold),
      ];
      results.push({
        fold: split.fold + 1,
        trainImages: train.length,
        validationImages: validation.length,
        bestEpoch: trained.bestEpoch,
        threshold: cutoff.threshold,
        validationF1: cutoff.f1,
        test: scores,
      });
      log(`fold ${split.fold + 1}: best epoch ${trained.bestEpoch}, cutoff ` +
        `${cutoff.threshold.toFixed(2)}, F1 A ${scores[0].pooled.f1.toFixed(3)}, ` +
        `B ${scores[1].pooled.f1.toFixed(3)}`);
    } finally {
      trained.dispose();
    }
  }
  return results;
}
