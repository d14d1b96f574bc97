import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { figureHtml } from '../lib/figures/plotly.js';
import { indexHtml, writeIndexPage } from '../lib/reporting/index-page.js';
import { readReportRecords, recordReport, reportTitle } from '../lib/reporting/report-records.js';
import { checkPages, CHROMIUM, pageProblems, type PageCheck } from './browser-check.js';

// The checker itself, on hand-made pages whose right answer is known. The study's own
// reports are opened by test/notebook.test.ts, which runs the study once for both.
describe('browser check (headless Chromium)', () => {
  let folder: string;
  let checks: Map<string, PageCheck>;
  const page = (name: string, body: string): string => {
    const file = join(folder, `${name}.html`);
    writeFileSync(file, `<!DOCTYPE html><html><head><meta charset="utf-8"></head>` +
      `<body>${body}</body></html>`);
    return file;
  };

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `headless Chromium not found at ${CHROMIUM}: run ` +
      "environment/setup.sh (it installs Debian's chromium package; CI does)");
    folder = mkdtempSync(join(tmpdir(), 'browser-check-'));
    const figure = { data: [{ x: [1, 2, 3], y: [2, 1, 3], type: 'scatter' }] };
    const files = [
      page('drawn', `<h1>Two figures</h1>${figureHtml(figure)}${figureHtml(figure)}`),
      page('empty-figure', '<div id="figure-empty" style="height:100px"></div>'),
      page('console-error', '<script>console.error("boom")</script><p>text</p>'),
      page('page-error', '<script>throw new Error("thrown on load")</script>'),
      page('no-figure', '<p>just text</p>'),
      join(folder, 'index.html'),
    ];
    writeFileSync(files[5], indexHtml([{ file: 'drawn.html', title: 'Two figures',
      profile: 'smoke', written: '2026-01-02T03:04:05.000Z', seconds: 31 }],
    [{ Item: 'Seed', Value: '1' }]));
    const found = await checkPages(files, join(folder, 'screenshots'), { drawTimeoutMs: 3000 });
    checks = new Map(found.map((check) => [basename(check.file, '.html'), check]));
  });
  after(() => rmSync(folder, { recursive: true, force: true }));

  const cases: [string, number, number, RegExp[]][] = [
    // page, figures, drawn, expected error lines
    ['drawn', 2, 2, []],
    ['empty-figure', 1, 0, []],
    ['console-error', 0, 0, [/^console: boom$/]],
    ['page-error', 0, 0, [/^page error: .*thrown on load/]],
    ['no-figure', 0, 0, []],
    ['index', 0, 0, []],
  ];
  for (const [name, figures, drawn, errors] of cases) {
    test(`${name}: ${figures} figures, ${drawn} drawn, ${errors.length} errors`, () => {
      const check = checks.get(name) as PageCheck;
      assert.equal(check.figures, figures);
      assert.equal(check.drawn, drawn);
      assert.equal(check.errors.length, errors.length, check.errors.join('\n'));
      errors.forEach((pattern, i) => assert.match(check.errors[i], pattern));
      const png = readFileSync(check.screenshot);
      assert.deepEqual([...png.subarray(1, 4)], [...Buffer.from('PNG')], 'a PNG screenshot');
      assert.equal(pageProblems(check).length === 0, figures === drawn && errors.length === 0);
    });
  }

  test('problems name the page and say what is wrong', () => {
    assert.deepEqual(pageProblems(checks.get('empty-figure') as PageCheck),
      ['empty-figure.html: 1 of 1 figures did not draw']);
  });

  test('a missing browser fails with the setup step, not a skip', async () => {
    await assert.rejects(checkPages([], folder, { browser: '/nonexistent/chromium' }),
      /headless Chromium not found at \/nonexistent\/chromium: run environment\/setup\.sh/);
  });
});

describe('index page', () => {
  const titles: [string, string][] = [
    ['<h1 id="x">Experiment 1<a class="anchor-link" href="#x">&#182;</a></h1>', 'Experiment 1'],
    ['<h1>Center B&#39;s images &amp; boxes¶</h1>', "Center B's images & boxes"],
    ['<p>no heading</p><h2>Setup</h2>', 'Setup'],
    ['<p>no heading</p>', 'fallback.html'],
    ['<h1><a href="#"></a></h1>', 'fallback.html'],
  ];
  for (const [html, title] of titles) {
    test(`reportTitle(${JSON.stringify(html)}) is ${JSON.stringify(title)}`, () => {
      assert.equal(reportTitle(html, 'fallback.html'), title);
    });
  }

  test('lists every report of the folder, recorded or not, and escapes text', () => {
    const folder = mkdtempSync(join(tmpdir(), 'index-page-'));
    try {
      writeFileSync(join(folder, '00-old.html'), '<h1>Old report</h1>');
      writeFileSync(join(folder, '01-new.html'), '<h1>New</h1>');
      recordReport(folder, { file: '01-new.html', title: 'New <1>', profile: 'smoke',
        written: '2026-01-02T03:04:05.000Z', seconds: 75 });
      const index = readFileSync(writeIndexPage(folder, [{ Item: 'Seed', Value: '7' }]), 'utf8');
      const rows = [...index.matchAll(/<tr><td>(.*?)<\/tr>/g)].map((match) =>
        match[1].replace(/<[^>]*>/g, '|'));
      assert.equal(rows.length, 2);
      assert.match(rows[0], /^\|Old report\|.*00-old\.html\|.*unknown\|/);
      assert.equal(rows[1],
        '|New &lt;1&gt;|||01-new.html||smoke||2026-01-02 03:04:05 UTC||1 min 15 s|');
      assert.match(index, /<th>Seed<\/th><td class="value">7<\/td>/);
      assert.deepEqual(readReportRecords(folder).map((record) => record.file),
        ['00-old.html', '01-new.html'], 'the index itself is not a report');
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
