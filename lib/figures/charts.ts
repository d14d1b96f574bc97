/**
 * The result figures: grouped bars of the four pixel metrics (experiments 1, 2 and 4,
 * Figure 3b) and curves over the share of center B in training (Figure 3a). Bars and points
 * are the mean over fold models, error bars one SD.
 */
import type { FoldResult } from '../experiments/scores.js';
import { byFraction, foldValues, STUDY_METRICS, type Reduction } from
  '../experiments/summarize.js';
import { meanSd, type MeanSd } from '../statistics/summary.js';
import type { Figure } from './plotly.js';

/** Colours by series position (Plotly's first four), so A and B look alike in every figure. */
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];

/** One group of bars: the scores of some models on one test set. */
export interface BarSeries {
  /** Legend entry, e.g. 'test on A' or 'aligned, test on B'. */
  name: string;
  folds: readonly FoldResult[];
  set: string;
}

function summary(values: number[]): MeanSd {
  return values.length > 0 ? meanSd(values) : { mean: NaN, sd: NaN, n: 0 };
}

/**
 * Grouped bars of F1, sensitivity, PPV and specificity, one bar per series.
 * @example metricBarsFigure([{ name: 'test on A', folds, set: 'A' }], 'Experiment 1')
 */
export function metricBarsFigure(
  series: readonly BarSeries[], title: string, reduction: Reduction = 'pooled',
): Figure {
  const labels = STUDY_METRICS.map((metric) => metric.label);
  const data = series.map((entry, i) => {
    const summaries = STUDY_METRICS.map(({ key }) =>
      summary(foldValues(entry.folds, entry.set, key, reduction)));
    return {
      type: 'bar', name: entry.name, x: labels, y: summaries.map((s) => s.mean),
      error_y: { type: 'data', array: summaries.map((s) => (Number.isNaN(s.sd) ? 0 : s.sd)) },
      marker: { color: COLORS[i % COLORS.length] },
    };
  });
  return {
    data,
    layout: {
      title: { text: title }, barmode: 'group',
      yaxis: { title: { text: 'score (mean ± SD over fold models)' }, range: [0, 1.05] },
      legend: { orientation: 'h' },
    },
  };
}

/**
 * Experiment 1's bars: each metric on center A and on center B.
 * @example centerComparisonFigure(folds, 'Models trained on A')
 */
export function centerComparisonFigure(
  folds: readonly FoldResult[], title: string, reduction: Reduction = 'pooled',
): Figure {
  return metricBarsFigure([{ name: 'test on A', folds, set: 'A' },
    { name: 'test on B', folds, set: 'B' }], title, reduction);
}

/**
 * Figure 3a: one panel per pixel metric, the share of B in training on the x axis, a curve
 * per test set with SD error bars.
 * @param folds experiment 3's scored runs (each with a fraction).
 * @param title figure title.
 * @param sets test set names, default ['A', 'B'].
 * @example fractionFigure(folds, 'Figure 3a')
 */
export function fractionFigure(
  folds: readonly FoldResult[], title: string, sets: readonly string[] = ['A', 'B'],
): Figure {
  const groups = [...byFraction(folds).entries()];
  const x = groups.map(([fraction]) => Math.round(fraction * 100));
  const data: Record<string, unknown>[] = [];
  const layout: Record<string, unknown> = {
    title: { text: title },
    grid: { rows: 2, columns: 2, pattern: 'independent' },
    legend: { orientation: 'h' },
  };
  STUDY_METRICS.forEach(({ key, label }, panel) => {
    const axis = panel === 0 ? '' : String(panel + 1);
    sets.forEach((set, i) => {
      const summaries = groups.map(([, group]) => summary(foldValues(group, set, key)));
      data.push({
        type: 'scatter', mode: 'lines+markers', name: `test on ${set}`, x,
        y: summaries.map((s) => s.mean),
        error_y: { type: 'data', array: summaries.map((s) => (Number.isNaN(s.sd) ? 0 : s.sd)) },
        line: { color: COLORS[i % COLORS.length] }, legendgroup: set, showlegend: panel === 0,
        xaxis: `x${axis}`, yaxis: `y${axis}`,
      });
    });
    layout[`xaxis${axis}`] = { title: { text: '% of B in training' }, tickvals: x };
    layout[`yaxis${axis}`] = { title: { text: label }, range: [0, 1.05] };
  });
  return { data, layout };
}
