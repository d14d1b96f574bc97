import * as dfd from 'danfojs-node';
import { escapeHtml } from './display.js';

/**
 * A result table as a danfo DataFrame, one row per object in `rows`.
 * NOTE: danfo only shapes and renders tables here; every statistic comes from lib/statistics.
 * @example resultTable([{ metric: 'F1', center: 'A', value: '0.41 ± 0.03' }])
 */
export function resultTable(rows: Record<string, string | number>[]): dfd.DataFrame {
  if (rows.length === 0) throw new Error('resultTable: no rows to show');
  return new dfd.DataFrame(rows);
}

/** Renders a DataFrame as an HTML table with a caption; numbers with `digits` decimals. */
export function tableHtml(frame: dfd.DataFrame, caption: string, digits = 3): string {
  const head = frame.columns.map((name) => `<th>${escapeHtml(String(name))}</th>`).join('');
  const rows = (frame.values as unknown[][]).map((row) => {
    const cells = row.map((value) => {
      const text = typeof value === 'number' ? formatNumber(value, digits) : String(value);
      return `<td>${escapeHtml(text)}</td>`;
    });
    return `<tr>${cells.join('')}</tr>`;
  });
  return `<table class="study-table"><caption>${escapeHtml(caption)}</caption>` +
    `<thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function formatNumber(value: number, digits: number): string {
  if (Number.isNaN(value)) return 'n/a';
  if (Number.isInteger(value)) return String(value);
  if (value !== 0 && Math.abs(value) < 10 ** -digits) return value.toExponential(2);
  return value.toFixed(digits);
}
