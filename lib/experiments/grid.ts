/**
 * The study's grid: which experiments' runs each notebook reads, so that the main job can
 * train every run of the chosen notebooks up front, in one pool of worker processes, before
 * the notebooks execute and read them back from the results folder.
 */
import type { Profile } from '../config/profiles.js';
import type { Manifest } from '../data/manifest.js';
import { alignedPlans, baselinePlans, crossCenterPlans, type StudySplits } from './plans.js';
import { runPlans, type RunOptions, type RunPlan, type RunResult } from './runs.js';

export type Experiment = 'baseline' | 'aligned' | 'cross-center';

/** The experiments whose runs a notebook reads, by the notebook's number. */
export const NOTEBOOK_EXPERIMENTS: Record<string, Experiment[]> = {
  '00': [],
  '01': ['baseline'],
  '02': ['baseline', 'aligned'],
  '03': ['cross-center'],
  '04': ['baseline'],
};

/**
 * The plans of the given experiments, each experiment once, in the order given.
 * @example experimentPlans(profile, splits, ['baseline', 'aligned']).length // 10 at 5 folds
 */
export function experimentPlans(
  profile: Profile, splits: StudySplits, experiments: readonly Experiment[],
): RunPlan[] {
  const build: Record<Experiment, () => RunPlan[]> = {
    baseline: () => baselinePlans(profile, splits),
    aligned: () => alignedPlans(profile, splits),
    'cross-center': () => crossCenterPlans(profile, splits),
  };
  return [...new Set(experiments)].flatMap((experiment) => build[experiment]());
}

/**
 * The experiments the given notebooks need (file names starting with their number).
 * @example gridExperiments(['01-baseline.ipynb', '04-dental-status.ipynb']) // ['baseline']
 */
export function gridExperiments(notebooks: readonly string[]): Experiment[] {
  return [...new Set(notebooks.flatMap((name) => NOTEBOOK_EXPERIMENTS[name.slice(0, 2)] ?? []))];
}

/**
 * Trains (or reuses) every run of the given experiments in one pool of workers, printing a
 * line with the runs done and an estimate of the time left after each trained run.
 * @param manifest the study's image list.
 * @param profile the study profile.
 * @param splits both centers' folds (studySplits).
 * @param experiments which experiments.
 * @param options workers, log, resultsRoot (runPlans).
 * @returns the runs, plan order.
 * @example await trainGrid(manifest, profile, splits, ['baseline', 'cross-center'])
 */
export async function trainGrid(
  manifest: Manifest, profile: Profile, splits: StudySplits,
  experiments: readonly Experiment[], options: RunOptions = {},
): Promise<RunResult[]> {
  const log = options.log ?? ((line: string) => console.log(line));
  const started = Date.now();
  return runPlans(manifest, profile, experimentPlans(profile, splits, experiments), {
    ...options, log,
    onTrained: (done, total) => {
      const elapsed = (Date.now() - started) / 1000;
      const left = (elapsed / done) * (total - done);
      log(`grid: ${done}/${total} runs trained ${progressBar(done / total)} elapsed ` +
        `${formatDuration(elapsed)}, about ${formatDuration(left)} left`);
    },
  });
}

/** '[######----]' for a share in [0, 1]. */
function progressBar(share: number, width = 20): string {
  const filled = Math.round(share * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

/**
 * Seconds as '42 s', '7 min' or '2 h 05 min'.
 * @example formatDuration(7500) // '2 h 05 min'
 */
export function formatDuration(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 120) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}
