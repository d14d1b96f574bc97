import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync,
  writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { resolveDataRoot } from '../lib/data/paths.js';

const root = process.cwd();

function study(args: string[], env: Record<string, string> = {}) {
  return spawnSync('node', ['--import', 'tsx', 'bin/study.ts', ...args], {
    cwd: root, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 15 * 60 * 1000,
  });
}

test('notebook 01 runs end to end in the smoke profile on the real data', () => {
  const reports = mkdtempSync(join(tmpdir(), 'reports-'));
  const result = study(['--profile', 'smoke', '--only', '01', '--reports', reports]);
  assert.equal(result.status, 0, `study failed:\n${result.stdout}\n${result.stderr}`);

  const html = readFileSync(join(reports, '01-baseline-generalizability.html'), 'utf8');
  assert.match(html, /plotly\.js v2/, 'plotly.js is embedded for offline viewing');
  assert.match(html, /Plotly\.newPlot\('figure-/, 'the figure is drawn');
  assert.match(html, /class="study-table"/);
  assert.match(html, /Sensitivity/);
  assert.match(html, /fold 2: best epoch/, 'the training log is in the report');
  rmSync(reports, { recursive: true, force: true });
});

test('a corrupt image fails the job, names the file and leaves no report or cache entry', () => {
  const data = mkdtempSync(join(tmpdir(), 'data-'));
  const cache = mkdtempSync(join(tmpdir(), 'cache-'));
  const reports = mkdtempSync(join(tmpdir(), 'reports-'));
  const real = resolveDataRoot();
  for (const center of ['dc1000', 'cariesxrays']) {
    for (const folder of readdirSync(join(real, center))) {
      mkdirSync(join(data, center, folder), { recursive: true });
      for (const file of readdirSync(join(real, center, folder))) {
        symlinkSync(join(real, center, folder, file), join(data, center, folder, file));
      }
    }
  }
  const victim = readdirSync(join(data, 'dc1000', 'images')).sort()[0];
  rmSync(join(data, 'dc1000', 'images', victim));
  writeFileSync(join(data, 'dc1000', 'images', victim), Buffer.from('not a png at all'));

  const result = study(['--profile', 'smoke', '--only', '01', '--reports', reports],
    { DENTAL_DATA: data, STUDY_CACHE: cache });
  assert.notEqual(result.status, 0);
  assert.ok(`${result.stdout}${result.stderr}`.includes(victim),
    `the error names ${victim}:\n${result.stderr.slice(-2000)}`);
  assert.deepEqual(readdirSync(reports), [], 'no report, not even a partial one');
  const entries = existsSync(cache) ? readdirSync(cache, { recursive: true }) : [];
  assert.ok(!entries.some((name) => String(name).endsWith('.tmp')), 'no half-written entry');
  for (const folder of [data, cache, reports]) rmSync(folder, { recursive: true, force: true });
});
