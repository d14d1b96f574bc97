/**
 * The runs of experiments 1 to 3 as plans (runs.ts trains them): which images each fold
 * model trains, validates and is scored on. All three share one cross-validation of each
 * center's training images, cluster-balanced as published (studyFolds), so fold 2 of
 * experiment 1 and fold 2 of experiment 2 validate on the same images.
 */
import type { Profile } from '../config/profiles.js';
import { recordsOf, type Center, type Manifest } from '../data/manifest.js';
import { loadSamples } from '../data/preprocess.js';
import { roisOf } from '../data/manifest.js';
import { mixTrainingSet, STUDY_FRACTIONS } from '../splits/fractions.js';
import { studyFolds, type StudyFolds } from '../splits/study-folds.js';
import { seededRandom, shuffled } from '../util/random.js';
import type { RunPlan } from './runs.js';

/** One center's training ids, their cluster-balanced folds and its test ids. */
export interface CenterSplit {
  center: Center;
  /** Training ids in manifest order; folds index into this list. */
  trainIds: string[];
  testIds: string[];
  clustering: StudyFolds;
}

/** The cross-validation of both centers, made once and shared by every experiment. */
export interface StudySplits {
  A: CenterSplit;
  B: CenterSplit;
}

/**
 * Clusters each center's training images (mini-batch k-means on the features of
 * clusterFeatures, k by silhouette and Davies–Bouldin) and deals cluster-balanced folds.
 * @param manifest the study's image list (its train/test split is kept).
 * @param profile folds and seed; the images are read at the profile's size.
 * @returns both centers' splits.
 * @throws Error when a center has fewer training images than folds.
 * @example const splits = await studySplits(manifest, profile)
 */
export async function studySplits(manifest: Manifest, profile: Profile): Promise<StudySplits> {
  const split = async (center: Center): Promise<CenterSplit> => {
    const records = recordsOf(manifest, center, 'train');
    const samples = await loadSamples(records, roisOf(manifest),
      { height: profile.height, width: profile.width });
    return {
      center,
      trainIds: records.map((record) => record.id),
      testIds: recordsOf(manifest, center, 'test').map((record) => record.id),
      clustering: studyFolds(records, samples, profile.folds, profile.seed),
    };
  };
  return { A: await split('A'), B: await split('B') };
}

/** The ids of one fold: its training ids (capped by maxTrainImages) and validation ids. */
function foldIds(split: CenterSplit, fold: number): { train: string[]; validation: string[] } {
  const { train, validation } = split.clustering.folds[fold];
  return { train: train.map((i) => split.trainIds[i]),
    validation: validation.map((i) => split.trainIds[i]) };
}

/**
 * At most `limit` of the ids, drawn at random with `seed` (all of them, in order, when there
 * is no limit): a cap must not favour the lowest ids of the fold.
 */
function capped(ids: string[], limit: number | undefined, seed: number): string[] {
  if (limit === undefined || limit >= ids.length) return ids;
  return shuffled(ids, seededRandom(seed)).slice(0, limit);
}

/**
 * Experiment 1: one model per fold of center A's training images. Each is scored on A's
 * test images and on every image of B (its test images make the B column of the tables;
 * all 50 serve the subgroups of experiment 4, since these models never saw B).
 * @example const plans = baselinePlans(profile, splits)
 */
export function baselinePlans(profile: Profile, splits: StudySplits): RunPlan[] {
  const scoreIds = [...splits.A.testIds, ...splits.B.trainIds, ...splits.B.testIds];
  return splits.A.clustering.folds.map((_, fold) => {
    const { train, validation } = foldIds(splits.A, fold);
    return {
      experiment: 'baseline', name: `fold ${fold + 1}`, fold: fold + 1,
      trainIds: capped(train, profile.maxTrainImages, profile.seed + fold),
      validationIds: validation,
      scoreIds, seed: profile.seed + fold,
    };
  });
}

/**
 * Experiment 2: experiment 1's folds with A's training images aligned to the brightness and
 * contrast of B's training images (CLAHE, then a linear match to a randomly drawn B image's
 * pixel mean and SD; no geometric transform). Validation and test images stay as they are.
 * NOTE: the alignment is drawn once per run, not anew each epoch.
 * @example const plans = alignedPlans(profile, splits)
 */
export function alignedPlans(profile: Profile, splits: StudySplits): RunPlan[] {
  return baselinePlans(profile, splits).map((plan) => ({
    ...plan, experiment: 'aligned',
    align: { targetIds: splits.B.trainIds, clahe: true, seed: plan.seed },
  }));
}

/**
 * The constant training-set size of experiment 3: the smallest fold training set of either
 * center (so that 100% B is possible), capped by the profile's maxTrainImages.
 */
export function crossCenterSize(profile: Profile, splits: StudySplits): number {
  const sizes = [splits.A, splits.B].flatMap((split) =>
    split.clustering.folds.map((fold) => fold.train.length));
  return Math.min(...sizes, profile.maxTrainImages ?? Infinity);
}

/**
 * Experiment 3: for every fraction and fold, a training set of constant size in which that
 * share comes from B's fold training images and the rest from A's (mixTrainingSet: a larger
 * fraction keeps the B images of a smaller one). Validation is the fold's validation images
 * of both centers; scores are on both centers' test images.
 * @param profile folds, seed, maxTrainImages.
 * @param splits both centers' folds (the same fold count).
 * @param fractions shares of B, default the study's 0, 0.2, ..., 1.
 * @returns fraction-major plans: all folds of 0%, then of 20%, ...
 * @example const plans = crossCenterPlans(profile, splits)
 */
export function crossCenterPlans(
  profile: Profile, splits: StudySplits, fractions: readonly number[] = STUDY_FRACTIONS,
): RunPlan[] {
  const size = crossCenterSize(profile, splits);
  const scoreIds = [...splits.A.testIds, ...splits.B.testIds];
  return fractions.flatMap((fraction) => splits.A.clustering.folds.map((_, fold) => {
    const a = foldIds(splits.A, fold);
    const b = foldIds(splits.B, fold);
    const mix = mixTrainingSet(a.train.map((_id, i) => i), b.train.map((_id, i) => i),
      fraction, size, profile.seed + fold);
    const percent = Math.round(fraction * 100);
    return {
      experiment: 'cross-center', name: `${percent}% B, fold ${fold + 1}`, fold: fold + 1,
      fraction, trainIds: [...mix.fromA.map((i) => a.train[i]), ...mix.fromB.map((i) => b.train[i])],
      validationIds: [...a.validation, ...b.validation], scoreIds, seed: profile.seed + fold,
    };
  }));
}
