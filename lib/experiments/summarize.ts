import type { Center, Manifest } from '../data/manifest.js';
import type { Scores } from '../evaluation/metrics.js';
import { formatMeanSd, meanSd } from '../statistics/summary.js';
import { ttestInd } from '../statistics/ttest.js';
import type { FoldResult } from './baseline.js';

/** The four pixel metrics the study reports, in its order, with their printed names. */
export const STUDY_METRICS: { key: keyof Scores; label: string }[] = [
  { key: 'f1', label: 'F1' },
  { key: 'sensitivity', label: 'Sensitivity' },
  { key: 'ppv', label: 'PPV' },
  { key: 'specificity', label: 'Specificity' },
];

export type Reduction = 'pooled' | 'perImage';

/**
 * One metric's value per fold model on one center, leaving out models where it is undefined.
 * NOTE: a model that predicts no lesion pixel has PPV 0/0 (NaN); such values are dropped,
 * so the summaries below say over how many models they were taken.
 */
export function foldValues(
  folds: FoldResult[], center: Center, metric: keyof Scores, reduction: Reduction = 'pooled',
): number[] {
  return folds.map((fold) => {
    const scores = fold.test.find((entry) => entry.center === center);
    if (!scores) throw new Error(`fold ${fold.fold} has no scores on center ${center}`);
    return scores[reduction][metric];
  }).filter((value) => Number.isFinite(value));
}

/** "mean ± SD" over the values, or a note when no model gave one. */
function summaryText(values: number[]): string {
  if (values.length === 0) return 'undefined for every model';
  return formatMeanSd(meanSd(values));
}

/**
 * Rows of "metric, center, mean ± SD over fold models", the study's result table.
 * @example metricRows(folds)[0] // { Metric: 'F1', Center: 'A', 'Mean ± SD': '0.41 ± 0.03', ...}
 */
export function metricRows(
  folds: FoldResult[], reduction: Reduction = 'pooled',
): Record<string, string | number>[] {
  const rows: Record<string, string | number>[] = [];
  for (const { key, label } of STUDY_METRICS) {
    for (const center of ['A', 'B'] as Center[]) {
      const values = foldValues(folds, center, key, reduction);
      rows.push({ Metric: label, Center: center, 'Mean ± SD': summaryText(values),
        Models: values.length });
    }
  }
  return rows;
}

/**
 * Rows of independent two-sided t-tests (equal variances, as scipy's ttest_ind) between the
 * fold models' scores on A and on B, one per metric.
 */
export function centerTtestRows(
  folds: FoldResult[], reduction: Reduction = 'pooled',
): Record<string, string | number>[] {
  return STUDY_METRICS.map(({ key, label }) => {
    const onA = foldValues(folds, 'A', key, reduction);
    const onB = foldValues(folds, 'B', key, reduction);
    if (onA.length < 2 || onB.length < 2) {
      return { Metric: label, 't': NaN, 'df': NaN, 'p': NaN };
    }
    const test = ttestInd(onA, onB);
    return { Metric: label, 't': test.statistic, 'df': test.df, 'p': test.pvalue };
  });
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
