import type { Center } from '../data/manifest.js';
import type { FoldResult } from '../experiments/baseline.js';
import { foldValues, STUDY_METRICS, type Reduction } from '../experiments/summarize.js';
import { meanSd } from '../statistics/summary.js';
import type { Figure } from './plotly.js';

const CENTER_COLORS: Record<Center, string> = { A: '#1f77b4', B: '#d62728' };

/**
 * Grouped bars of each metric on center A and center B: mean over fold models with SD
 * error bars, and the single fold models as points.
 */
export function centerComparisonFigure(
  folds: FoldResult[], title: string, reduction: Reduction = 'pooled',
): Figure {
  const labels = STUDY_METRICS.map((metric) => metric.label);
  const data: Record<string, unknown>[] = [];
  for (const center of ['A', 'B'] as Center[]) {
    const summaries = STUDY_METRICS.map(({ key }) => {
      const values = foldValues(folds, center, key, reduction);
      return values.length > 0 ? meanSd(values) : { mean: NaN, sd: NaN, n: 0 };
    });
    data.push({
      type: 'bar', name: `test on ${center}`, x: labels,
      y: summaries.map((s) => s.mean),
      error_y: { type: 'data', array: summaries.map((s) => (Number.isNaN(s.sd) ? 0 : s.sd)) },
      marker: { color: CENTER_COLORS[center] },
    });
  }
  return {
    data,
    layout: {
      title: { text: title }, barmode: 'group',
      yaxis: { title: { text: 'score (mean ± SD over fold models)' }, range: [0, 1.05] },
      legend: { orientation: 'h' },
    },
  };
}
