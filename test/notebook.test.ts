import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync,
  writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { resolveDataRoot } from '../lib/data/paths.js';
import { checksums } from '../lib/reporting/bundle-archive.js';
import { checkPages, pageProblems } from './browser-check.js';

const root = process.cwd();

function study(args: string[], env: Record<string, string> = {}) {
  return spawnSync('node', ['--import', 'tsx', 'bin/study.ts', ...args], {
    cwd: root, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 15 * 60 * 1000,
  });
}

function bundleCli(args: string[], env: Record<string, string>) {
  return spawnSync('node', ['--import', 'tsx', 'bin/bundle.ts', ...args], {
    cwd: root, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 5 * 60 * 1000,
  });
}

// Screenshots stay after the test, for a look (CI prints the path).
const screenshots = join(root, 'reports', 'screenshots');

test('every notebook runs end to end in the smoke profile on the real data, draws in ' +
  'Chromium, travels in a bundle; a second run on the imported runs trains nothing',
async () => {
  const reports = mkdtempSync(join(tmpdir(), 'reports-'));
  const results = mkdtempSync(join(tmpdir(), 'results-'));
  const imported = mkdtempSync(join(tmpdir(), 'imported-'));
  try {
    const result = study(['--profile', 'smoke', '--reports', reports],
      { STUDY_RESULTS: results });
    assert.equal(result.status, 0, `study failed:\n${result.stdout}\n${result.stderr}`);
    const report = (name: string): string => readFileSync(join(reports, `${name}.html`), 'utf8');
    assert.deepEqual(readdirSync(reports).sort(), ['00-dataset-characteristics.html',
      '01-baseline-generalizability.html', '02-pixel-alignment.html',
      '03-cross-center-training.html', '04-dental-status.html', 'index.html', 'reports.json']);

    const checks: [string, RegExp[]][] = [
      ['00-dataset-characteristics', [/Table 1: characteristics of the two centers/,
        /Figure 2a: representative images/, /data:image\/png;base64,/,
        /Candidate numbers of clusters/]],
      ['01-baseline-generalizability', [/fold 2: reused from the results folder/, /Sensitivity/,
        /Lesion sensitivity/, /A vs B/]],
      ['02-pixel-alignment', [/A aligned to B/, /baseline vs aligned to B/,
        /aligned, test on B/]],
      ['03-cross-center-training', [/Figure 3a/, /0% vs 100% B/, /100%/,
        /Lesion-level metrics by share of B/]],
      ['04-dental-status', [/Figure 3b/, /B with restorations/, /B without restorations/,
        /radiopacity proxy/]],
    ];
    for (const [name, patterns] of checks) {
      const html = report(name);
      assert.match(html, /plotly\.js v2/, `${name}: plotly.js is embedded for offline viewing`);
      assert.match(html, /Plotly\.newPlot\('figure-/, `${name}: a figure is drawn`);
      assert.match(html, /class="study-table"/, `${name}: a table`);
      assert.match(html, /Smoke profile/, `${name}: the smoke warning`);
      for (const pattern of patterns) assert.match(html, pattern, `${name}: ${pattern}`);
    }
    // Notebooks 02 and 04 reuse notebook 01's runs, in the same job.
    assert.match(report('04-dental-status'), /all 2 runs reused; nothing to train/);
    const index = readFileSync(join(reports, 'index.html'), 'utf8');
    for (const [name] of checks) assert.ok(index.includes(`href="${name}.html"`), name);
    assert.match(index, /Experiment 1: train on center A, test on A and on B/);
    assert.match(index, /Data hash, center B/);

    // Every report and the index, in headless Chromium: figures drawn, no console error.
    const pages = [...readdirSync(reports).filter((name) => name.endsWith('.html'))].sort();
    const checked = await checkPages(pages.map((name) => join(reports, name)), screenshots);
    console.log(`# screenshots of the reports: ${screenshots}`);
    assert.deepEqual(checked.flatMap(pageProblems), []);
    for (const check of checked.filter((page) => !page.file.endsWith('index.html'))) {
      assert.ok(check.figures > 0, `${check.file}: has figures`);
    }

    // The runs travel in a workshop bundle to a fresh results folder, where they are reused.
    const bundle = join(imported, 'bundle-smoke.tar.gz');
    const exported = bundleCli(['export', '--profile', 'smoke', '--out', bundle],
      { STUDY_RESULTS: results });
    assert.equal(exported.status, 0, `bundle export failed:\n${exported.stderr}`);
    const target = join(imported, 'results');
    const unpacked = bundleCli(['import', bundle], { STUDY_RESULTS: target });
    assert.equal(unpacked.status, 0, `bundle import failed:\n${unpacked.stderr}`);
    assert.match(unpacked.stdout, /imported 16 runs \(0 already there\)/);
    for (const run of readdirSync(join(target, 'runs'))) {
      assert.deepEqual(checksums(join(target, 'runs', run)),
        checksums(join(results, 'runs', run)), `run ${run} identical`);
    }

    const again = study(['--profile', 'smoke', '--only', '04', '--reports', reports],
      { STUDY_RESULTS: target });
    assert.equal(again.status, 0, `second study failed:\n${again.stderr}`);
    assert.doesNotMatch(again.stdout, /runs to train/, 'the second run trains nothing');
    assert.match(again.stdout, /nothing to train/);
  } finally {
    for (const folder of [reports, results, imported]) {
      rmSync(folder, { recursive: true, force: true });
    }
  }
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
    { DENTAL_DATA: data, STUDY_CACHE: cache, STUDY_RESULTS: cache });
  assert.notEqual(result.status, 0);
  assert.ok(`${result.stdout}${result.stderr}`.includes(victim),
    `the error names ${victim}:\n${result.stderr.slice(-2000)}`);
  assert.deepEqual(readdirSync(reports), [], 'no report, not even a partial one');
  const entries = existsSync(cache) ? readdirSync(cache, { recursive: true }) : [];
  assert.ok(!entries.some((name) => String(name).endsWith('.tmp')), 'no half-written entry');
  for (const folder of [data, cache, reports]) rmSync(folder, { recursive: true, force: true });
});
