/**
 * Test sets scored from a run's stored per-image counts: a center's test images, or a
 * subgroup such as B's images with restorations. Pixel scores come pooled (the study's) and
 * per image; lesion scores pool lesions and predicted regions.
 */
import { recordsOf, type Manifest } from '../data/manifest.js';
import type { Counts } from '../evaluation/confusion.js';
import { lesionScores, type LesionCounts, type LesionScores } from '../evaluation/lesions.js';
import { reduceScores, type Scores } from '../evaluation/metrics.js';
import type { RunResult } from './runs.js';

/** Images scored together, by manifest id. */
export interface TestSet {
  /** How tables name it: 'A', 'B', 'B with restorations', ... */
  name: string;
  ids: string[];
}

/** One run's scores on one test set. */
export interface ScoredSet {
  name: string;
  images: number;
  /** Counts summed over all the set's pixels, then scored (the study's pixel metrics). */
  pooled: Scores;
  /** Each image scored, then averaged; images where a score is 0/0 are skipped. */
  perImage: Scores;
  lesions: LesionScores;
}

/** A run with its scores on the test sets asked for, in their order. */
export interface FoldResult extends RunResult {
  test: ScoredSet[];
}

/**
 * The test images of each center, named 'A' and 'B'.
 * @example centerTestSets(manifest).map((set) => set.ids.length) // [20, 10]
 */
export function centerTestSets(manifest: Manifest): TestSet[] {
  return (['A', 'B'] as const).map((center) => ({
    name: center, ids: recordsOf(manifest, center, 'test').map((record) => record.id),
  }));
}

/**
 * Scores every run on every test set from its stored counts.
 * NOTE: an empty set scores NaN everywhere (0/0), which the summaries leave out.
 * @param runs finished runs (runPlans).
 * @param sets the test sets; every id must be among each run's scored images.
 * @returns the runs with `test`, one entry per set.
 * @throws Error naming the run and the id when a run was not scored on an image of a set.
 * @example const folds = scoreRuns(runs, centerTestSets(manifest))
 */
export function scoreRuns(runs: readonly RunResult[], sets: readonly TestSet[]): FoldResult[] {
  return runs.map((run) => ({
    ...run,
    test: sets.map((set) => {
      const counts: Counts[] = [];
      const lesions: LesionCounts[] = [];
      for (const id of set.ids) {
        if (run.counts[id] === undefined || run.lesions[id] === undefined) {
          throw new Error(`lib/experiments/scores.ts: run '${run.name}' was not scored on ` +
            `image '${id}' of test set '${set.name}'`);
        }
        counts.push(run.counts[id]);
        lesions.push(run.lesions[id]);
      }
      return { name: set.name, images: set.ids.length, pooled: reduceScores(counts, 'pooled'),
        perImage: reduceScores(counts, 'per-image'), lesions: lesionScores(lesions) };
    }),
  }));
}
