/**
 * The study's tables: mean ± SD over fold models of each metric on each test set, and
 * independent two-sided t-tests (scipy's ttest_ind) between two sets or two groups of models.
 */
import type { Center, Manifest } from '../data/manifest.js';
import type { LesionScores } from '../evaluation/lesions.js';
import type { Scores } from '../evaluation/metrics.js';
import { formatMeanSd, meanSd } from '../statistics/summary.js';
import { ttestInd } from '../statistics/ttest.js';
import type { FoldResult, ScoredSet } from './scores.js';

/** The four pixel metrics the study reports, in its order, with their printed names. */
export const STUDY_METRICS: { key: keyof Scores; label: string }[] = [
  { key: 'f1', label: 'F1' },
  { key: 'sensitivity', label: 'Sensitivity' },
  { key: 'ppv', label: 'PPV' },
  { key: 'specificity', label: 'Specificity' },
];

/** The lesion-level metrics (lib/evaluation/lesions.ts), with their printed names. */
export const LESION_METRICS: { key: keyof LesionScores; label: string }[] = [
  { key: 'sensitivity', label: 'Lesion sensitivity' },
  { key: 'ppv', label: 'Lesion PPV' },
  { key: 'falseDetectionsPerImage', label: 'False detections per image' },
];

export type Reduction = 'pooled' | 'perImage' | 'lesions';

/** A metric of either kind: a pixel score (pooled or per image) or a lesion score. */
export type MetricKey = keyof Scores | keyof LesionScores;

function scoredSet(fold: FoldResult, set: string): ScoredSet {
  const scores = fold.test.find((entry) => entry.name === set);
  if (!scores) {
    throw new Error(`lib/experiments/summarize.ts: run '${fold.name}' has no scores on test ` +
      `set '${set}' (it has ${fold.test.map((entry) => `'${entry.name}'`).join(', ')})`);
  }
  return scores;
}

/**
 * One metric's value per fold model on one test set, leaving out models where it is
 * undefined.
 * NOTE: a model that predicts no lesion pixel has PPV 0/0 (NaN); such values are dropped,
 * so the summaries below say over how many models they were taken.
 * @param folds scored runs (scoreRuns).
 * @param set a test set's name, e.g. 'A'.
 * @param metric 'f1', 'sensitivity', ... (a lesion metric with reduction 'lesions').
 * @param reduction 'pooled' (default), 'perImage' or 'lesions'.
 * @example foldValues(folds, 'B', 'f1') // [0.18, 0.21, ...]
 */
export function foldValues(
  folds: readonly FoldResult[], set: string, metric: MetricKey,
  reduction: Reduction = 'pooled',
): number[] {
  return folds.map((fold) => {
    const scores = scoredSet(fold, set)[reduction] as unknown as Record<string, number>;
    return scores[metric];
  }).filter((value) => Number.isFinite(value));
}

/** "mean ± SD" over the values, or a note when no model gave one. */
function summaryText(values: number[]): string {
  if (values.length === 0) return 'undefined for every model';
  return formatMeanSd(meanSd(values));
}

/** The metrics of a reduction, pixel or lesion. */
function metricsOf(reduction: Reduction): { key: MetricKey; label: string }[] {
  return reduction === 'lesions' ? LESION_METRICS : STUDY_METRICS;
}

/**
 * Rows of "metric, test set, mean ± SD over fold models": the study's result table.
 * @param folds scored runs.
 * @param sets test set names, default ['A', 'B'].
 * @param reduction pixel scores 'pooled' (default) or 'perImage', or 'lesions'.
 * @example metricRows(folds)[0] // { Metric: 'F1', 'Test set': 'A', 'Mean ± SD': '0.41 ± 0.03', ...}
 */
export function metricRows(
  folds: readonly FoldResult[], sets: readonly string[] = ['A', 'B'],
  reduction: Reduction = 'pooled',
): Record<string, string | number>[] {
  const rows: Record<string, string | number>[] = [];
  for (const { key, label } of metricsOf(reduction)) {
    for (const set of sets) {
      const values = foldValues(folds, set, key, reduction);
      rows.push({ Metric: label, 'Test set': set, 'Mean ± SD': summaryText(values),
        Models: values.length });
    }
  }
  return rows;
}

/** One t-test row; NaN where a side has fewer than two values. */
function ttestRow(
  labels: Record<string, string>, x: number[], y: number[],
): Record<string, string | number> {
  if (x.length < 2 || y.length < 2) return { ...labels, t: NaN, df: NaN, p: NaN };
  const test = ttestInd(x, y);
  return { ...labels, t: test.statistic, df: test.df, p: test.pvalue };
}

/**
 * t-tests between two test sets scored by the same models, one per metric (experiment 1: A
 * against B; experiment 4: B with against B without restorations). Independent, two-sided,
 * equal variances, as the study (scipy's ttest_ind).
 * @example setTtestRows(folds, 'A', 'B')
 */
export function setTtestRows(
  folds: readonly FoldResult[], first: string, second: string,
  reduction: Reduction = 'pooled',
): Record<string, string | number>[] {
  return metricsOf(reduction).map(({ key, label }) => ttestRow(
    { Metric: label, Comparison: `${first} vs ${second}` },
    foldValues(folds, first, key, reduction), foldValues(folds, second, key, reduction)));
}

/**
 * t-tests between two groups of models on each test set, one per metric and set
 * (experiment 2: baseline against aligned; experiment 3: 0% against 100% B).
 * @param groups two named groups of scored runs, e.g. { baseline: folds, aligned: folds2 }.
 * @param sets test set names, default ['A', 'B'].
 * @example groupTtestRows({ '0% B': zero, '100% B': full })
 */
export function groupTtestRows(
  groups: Record<string, readonly FoldResult[]>, sets: readonly string[] = ['A', 'B'],
  reduction: Reduction = 'pooled',
): Record<string, string | number>[] {
  const names = Object.keys(groups);
  if (names.length !== 2) {
    throw new Error(`lib/experiments/summarize.ts groupTtestRows: expected two groups, got ` +
      `${names.length} (${names.join(', ')})`);
  }
  const [x, y] = names;
  return metricsOf(reduction).flatMap(({ key, label }) => sets.map((set) => ttestRow(
    { Metric: label, 'Test set': set, Comparison: `${x} vs ${y}` },
    foldValues(groups[x], set, key, reduction), foldValues(groups[y], set, key, reduction))));
}

/**
 * Runs grouped by their share of center B (experiment 3), in ascending order.
 * @throws Error naming the run when a run has no fraction.
 * @example byFraction(folds).get(0)?.length // 5 fold models at 0% B
 */
export function byFraction(folds: readonly FoldResult[]): Map<number, FoldResult[]> {
  const groups = new Map<number, FoldResult[]>();
  for (const fold of folds) {
    if (fold.fraction === undefined) {
      throw new Error(`lib/experiments/summarize.ts byFraction: run '${fold.name}' has no ` +
        'fraction (only experiment 3 runs have one)');
    }
    groups.set(fold.fraction, [...(groups.get(fold.fraction) ?? []), fold]);
  }
  return new Map([...groups.entries()].sort(([a], [b]) => a - b));
}

/**
 * Experiment 3's table: for every fraction of B and every test set, each pixel metric as
 * mean ± SD over the fold models.
 * @example fractionRows(folds)[0] // { 'B in training': '0%', 'Test set': 'A', F1: '0.35 ± 0.05', ...}
 */
export function fractionRows(
  folds: readonly FoldResult[], sets: readonly string[] = ['A', 'B'],
  reduction: Reduction = 'pooled',
): Record<string, string | number>[] {
  const rows: Record<string, string | number>[] = [];
  for (const [fraction, group] of byFraction(folds)) {
    for (const set of sets) {
      const row: Record<string, string | number> = {
        'B in training': `${Math.round(fraction * 100)}%`, 'Test set': set };
      for (const { key, label } of metricsOf(reduction)) {
        row[label] = summaryText(foldValues(group, set, key, reduction));
      }
      rows.push(row);
    }
  }
  return rows;
}

/** Rows of images and lesions per center and split, as the manifest holds them. */
export function datasetRows(manifest: Manifest): Record<string, string | number>[] {
  return (['A', 'B'] as Center[]).map((center) => {
    const records = manifest.records.filter((record) => record.center === center);
    const count = (split: 'train' | 'test'): number =>
      records.filter((record) => record.split === split).length;
    const lesions = records.reduce((sum, record) => sum + record.lesionCount, 0);
    return {
      Center: `${center} (${manifest.centers[center].name})`,
      Images: records.length, Training: count('train'), Test: count('test'),
      Lesions: lesions, Labels: records[0]?.labelSource === 'boxes' ? 'boxes' : 'pixel masks',
    };
  });
}
