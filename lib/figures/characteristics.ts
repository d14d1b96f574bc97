import type { ImageCharacteristics } from '../experiments/characteristics.js';
import type { Figure } from './plotly.js';

const GROUP_COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd'];

/** Figure 2b: pixel mean against pixel SD, one point per image, colored by group. */
export function pixelScatterFigure(groups: Record<string, ImageCharacteristics[]>): Figure {
  const data = Object.entries(groups).map(([name, images], i) => ({
    type: 'scatter', mode: 'markers', name,
    x: images.map((image) => image.mean), y: images.map((image) => image.sd),
    text: images.map((image) => image.id),
    marker: { color: GROUP_COLORS[i % GROUP_COLORS.length], size: 7, opacity: 0.75 },
  }));
  return {
    data,
    layout: {
      title: { text: 'Pixel mean against pixel SD per image' },
      xaxis: { title: { text: 'pixel mean (0–255)' } },
      yaxis: { title: { text: 'pixel SD (0–255)' } },
    },
  };
}

/** Figure 2c: boxplots of the per-image pixel mean and SD for each group, side by side. */
export function pixelBoxFigure(groups: Record<string, ImageCharacteristics[]>): Figure {
  const data: Record<string, unknown>[] = [];
  Object.entries(groups).forEach(([name, images], i) => {
    const color = GROUP_COLORS[i % GROUP_COLORS.length];
    for (const [statistic, axis] of [['mean', 'y'], ['sd', 'y2']] as const) {
      data.push({
        type: 'box', name, legendgroup: name, showlegend: statistic === 'mean',
        x: images.map(() => (statistic === 'mean' ? 'pixel mean' : 'pixel SD')),
        y: images.map((image) => image[statistic]),
        yaxis: axis, xaxis: statistic === 'mean' ? 'x' : 'x2', marker: { color },
      });
    }
  });
  return {
    data,
    layout: {
      title: { text: 'Per-image pixel statistics' }, boxmode: 'group',
      grid: { rows: 1, columns: 2, pattern: 'independent' },
      yaxis: { title: { text: '0–255' } }, yaxis2: { title: { text: '0–255' } },
    },
  };
}
