/**
 * What the main job knows about each report of a reports folder: its title, the profile it
 * ran with, when it was written and how long its notebook took. Kept in `reports.json` next
 * to the reports, so that the index page still lists reports of notebooks not run this time.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';

/** One report of the folder. */
export interface ReportRecord {
  /** File name inside the reports folder, e.g. '01-baseline-generalizability.html'. */
  file: string;
  /** The notebook's first heading. */
  title: string;
  /** Profile name, or 'unknown' for a report written before records were kept. */
  profile: string;
  /** ISO time the report was written. */
  written: string;
  /** Seconds the notebook took to execute; undefined when unknown. */
  seconds?: number;
}

/** The records file of a reports folder. */
export const RECORDS_FILE = 'reports.json';
/** The index page, which is not itself a report. */
export const INDEX_FILE = 'index.html';

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"' };

/**
 * The text of the first <h1> (else <h2>) of a report: tags and the anchor's pilcrow removed,
 * character references decoded.
 * @param html the report.
 * @param fallback returned when there is no heading.
 * @example reportTitle('<h1 id="x">Experiment 1<a href="#x">¶</a></h1>', 'f') // 'Experiment 1'
 */
export function reportTitle(html: string, fallback: string): string {
  const heading = /<h1[^>]*>([\s\S]*?)<\/h1>/i.exec(html) ??
    /<h2[^>]*>([\s\S]*?)<\/h2>/i.exec(html);
  if (heading === null) return fallback;
  const text = heading[1].replace(/<[^>]*>/g, '')
    .replace(/&#(x?)([0-9a-f]+);/gi, (_match, hex: string, digits: string) =>
      String.fromCodePoint(parseInt(digits, hex === '' ? 10 : 16)))
    .replace(/&(amp|lt|gt|quot);/g, (_match, name: string) => ENTITIES[name])
    .replace(/¶/g, '').replace(/\s+/g, ' ').trim();
  return text === '' ? fallback : text;
}

function readStored(folder: string): Record<string, ReportRecord> {
  const file = join(folder, RECORDS_FILE);
  if (!existsSync(file)) return {};
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { reports?: ReportRecord[] };
    return Object.fromEntries((parsed.reports ?? []).map((record) => [record.file, record]));
  } catch {
    // A damaged records file only costs the profile and duration of older reports.
    return {};
  }
}

/**
 * Every report of the folder (every .html file but the index), by file name: the stored
 * record where there is one, else title and file time read from the report itself.
 * @param folder the reports folder (need not exist).
 * @returns records sorted by file name.
 * @example readReportRecords('reports').map((record) => record.title)
 */
export function readReportRecords(folder: string): ReportRecord[] {
  if (!existsSync(folder)) return [];
  const stored = readStored(folder);
  return readdirSync(folder)
    .filter((file) => file.endsWith('.html') && file !== INDEX_FILE).sort()
    .map((file) => stored[file] ?? {
      file, title: reportTitle(readFileSync(join(folder, file), 'utf8'), file),
      profile: 'unknown', written: statSync(join(folder, file)).mtime.toISOString(),
    });
}

/**
 * Adds or replaces one report's record in the folder's records file (written atomically).
 * @param folder the reports folder.
 * @param record the report just written.
 * @example recordReport('reports', { file, title, profile: 'smoke', written, seconds: 31 })
 */
export function recordReport(folder: string, record: ReportRecord): void {
  const stored = readStored(folder);
  stored[record.file] = record;
  const reports = Object.values(stored).sort((a, b) => (a.file < b.file ? -1 : 1));
  writeFileAtomic(join(folder, RECORDS_FILE), `${JSON.stringify({ reports }, null, 1)}\n`);
}
