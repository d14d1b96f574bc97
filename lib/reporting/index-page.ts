/**
 * The reports folder's index page: one line per report and the main job's provenance. Plain
 * HTML with inline style and no script, so it opens offline from the folder.
 */
import { join } from 'node:path';
import { escapeHtml } from '../figures/display.js';
import { writeFileAtomic } from '../util/atomic.js';
import { INDEX_FILE, readReportRecords, type ReportRecord } from './report-records.js';

const STYLE = `body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 70em;
  padding: 0 1em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border-bottom: 1px solid #ccc; padding: 0.3em 0.8em; text-align: left;
  vertical-align: top; }
td.value { font-family: monospace; word-break: break-all; }
caption { font-weight: bold; text-align: left; padding: 0.3em 0; }`;

/** Seconds as '31 s' or '4 min 05 s'; '' when unknown. */
function duration(seconds: number | undefined): string {
  if (seconds === undefined) return '';
  if (seconds < 60) return `${seconds.toFixed(0)} s`;
  const whole = Math.round(seconds);
  return `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, '0')} s`;
}

function reportRow(record: ReportRecord): string {
  const cells = [
    `<a href="${encodeURIComponent(record.file)}">${escapeHtml(record.title)}</a>`,
    escapeHtml(record.file), escapeHtml(record.profile),
    escapeHtml(record.written.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')),
    escapeHtml(duration(record.seconds)),
  ];
  return `<tr>${cells.map((cell) => `<td>${cell}</td>`).join('')}</tr>`;
}

/**
 * The index page's HTML.
 * @param records the reports, in the order listed.
 * @param provenance the job's provenance rows (Item, Value).
 * @param heading the page's title.
 * @returns a complete HTML document.
 * @example indexHtml(readReportRecords('reports'), jobProvenanceRows(profile, 'wasm', manifest))
 */
export function indexHtml(
  records: readonly ReportRecord[], provenance: readonly { Item: string; Value: string }[],
  heading = 'Dental generalizability study: reports',
): string {
  const reports = records.length === 0 ? '<p>No reports yet.</p>'
    : '<table class="study-table"><caption>Reports</caption><thead><tr><th>Notebook</th>' +
      '<th>File</th><th>Profile</th><th>Written</th><th>Duration</th></tr></thead>' +
      `<tbody>${records.map(reportRow).join('\n')}</tbody></table>`;
  const rows = provenance.map((row) => `<tr><th>${escapeHtml(row.Item)}</th>` +
    `<td class="value">${escapeHtml(row.Value)}</td></tr>`).join('\n');
  return `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">` +
    `<title>${escapeHtml(heading)}</title><style>${STYLE}</style></head><body>\n` +
    `<h1>${escapeHtml(heading)}</h1>\n${reports}\n` +
    '<table class="study-table"><caption>How the latest job ran</caption>' +
    `<tbody>${rows}</tbody></table>\n</body></html>\n`;
}

/**
 * Writes `index.html` into the reports folder, listing every report there (also those of
 * notebooks not run by this job), atomically.
 * @param folder the reports folder.
 * @param provenance the job's provenance rows.
 * @returns the index file's path.
 * @example writeIndexPage('reports', jobProvenanceRows(profile, 'wasm', manifest, runs))
 */
export function writeIndexPage(
  folder: string, provenance: readonly { Item: string; Value: string }[],
): string {
  const file = join(folder, INDEX_FILE);
  writeFileAtomic(file, indexHtml(readReportRecords(folder), provenance));
  return file;
}
