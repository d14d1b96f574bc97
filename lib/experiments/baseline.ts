/**
 * Experiment 1 in one call, for scripts, tests and benchmarks: the cluster-balanced folds,
 * one model per fold of center A's training images (reused from the results folder when
 * finished), scored on the test images of A and of B. Notebooks run the same steps one cell
 * at a time (studySplits, baselinePlans, runPlans, scoreRuns).
 */
import type { Profile } from '../config/profiles.js';
import type { Manifest } from '../data/manifest.js';
import { baselinePlans, studySplits } from './plans.js';
import { runPlans, type RunOptions } from './runs.js';
import { centerTestSets, scoreRuns, type FoldResult } from './scores.js';

/**
 * Experiment 1 of the study (see module comment).
 * @param manifest the study's image list.
 * @param profile the study profile.
 * @param options workers, log, resultsRoot, reuse (runPlans).
 * @returns one result per fold, fold order, scored on the sets 'A' and 'B'.
 * @throws Error from loading the data, training, or a failed worker (naming its run).
 * @example const folds = await runBaseline(manifest, loadProfile('smoke'))
 */
export async function runBaseline(
  manifest: Manifest, profile: Profile, options: RunOptions = {},
): Promise<FoldResult[]> {
  const splits = await studySplits(manifest, profile);
  const runs = await runPlans(manifest, profile, baselinePlans(profile, splits), options);
  return scoreRuns(runs, centerTestSets(manifest));
}
