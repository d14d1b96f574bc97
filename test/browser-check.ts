/**
 * Opens HTML reports in Debian's headless Chromium (driven by playwright-core, which downloads
 * no browser) and says, per page, whether every Plotly figure drew, which console errors and
 * page errors occurred, and where its full-page screenshot is. Not a test file itself.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

/** The browser: Debian's package, which environment/setup.sh installs. */
export const CHROMIUM = '/usr/bin/chromium';

/** Exactly these flags, plus a temporary profile folder and playwright's control pipe. */
export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu',
  '--disable-background-networking', '--disable-component-update', '--no-first-run'];

/** Runs in the page: [figure divs, those holding a drawn plot]. */
const COUNT_FIGURES = `(() => {
  const all = [...document.querySelectorAll('div[id^="figure-"]')];
  return [all.length,
    all.filter((figure) => figure.querySelector('.main-svg, .plot-container')).length];
})()`;

/** Runs in the page: true once MathJax's loading note is gone (or there is none). */
const MATHJAX_IDLE = `(() => {
  const note = document.getElementById('MathJax_Message');
  return note === null || note.style.display === 'none' || note.textContent === '';
})()`;

/** What one page showed. */
export interface PageCheck {
  file: string;
  /** `div[id^="figure-"]` elements on the page. */
  figures: number;
  /** Of those, the ones holding a drawn plot (`.main-svg` or `.plot-container`). */
  drawn: number;
  /** Console messages of type error and uncaught page errors, as text. */
  errors: string[];
  screenshot: string;
}

/**
 * Opens each file, waits for it to load, its figures to draw (up to `drawTimeoutMs`) and
 * MathJax to finish, and saves a full-page PNG screenshot into `screenshots`
 * named after the file.
 * @param options.browser the Chromium binary (default CHROMIUM); options.drawTimeoutMs.
 * @throws Error saying to run environment/setup.sh when Chromium is not installed.
 * @example const checks = await checkPages(['reports/01.html'], 'reports/screenshots')
 */
export async function checkPages(files: readonly string[], screenshots: string,
  options: { browser?: string; drawTimeoutMs?: number } = {}): Promise<PageCheck[]> {
  const executablePath = options.browser ?? CHROMIUM;
  if (!existsSync(executablePath)) {
    throw new Error(`headless Chromium not found at ${executablePath}: run ` +
      "environment/setup.sh (it installs Debian's chromium package; CI does)");
  }
  mkdirSync(screenshots, { recursive: true });
  const profile = mkdtempSync(join(tmpdir(), 'chromium-profile-'));
  const browser = await chromium.launch({
    executablePath, ignoreDefaultArgs: true,
    args: [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`, '--remote-debugging-pipe'],
  });
  try {
    const checks: PageCheck[] = [];
    for (const file of files) {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(`console: ${message.text()}`);
      });
      page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
      // A figure that never draws is reported by the count below, not by a timeout error.
      await page.waitForFunction(`${COUNT_FIGURES}[0] === ${COUNT_FIGURES}[1]`, undefined,
        { timeout: options.drawTimeoutMs ?? 30_000 }).catch(() => undefined);
      // MathJax (a local file under Debian's Jupyter) shows a loading note until it is done.
      await page.waitForFunction(MATHJAX_IDLE, undefined, { timeout: 10_000 })
        .catch(() => undefined);
      const [figures, drawn] = await page.evaluate<[number, number]>(COUNT_FIGURES);
      const screenshot = join(screenshots, `${basename(file).replace(/\.html$/, '')}.png`);
      await page.screenshot({ path: screenshot, fullPage: true });
      await page.close();
      checks.push({ file, figures, drawn, errors, screenshot });
    }
    return checks;
  } finally {
    await browser.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

/**
 * What is wrong with a page, one line each: figures that did not draw, console errors and
 * page errors; empty when the page is fine.
 * @example pageProblems({ file: 'a.html', figures: 2, drawn: 1, errors: [], screenshot })
 */
export function pageProblems(check: PageCheck): string[] {
  const undrawn = check.figures - check.drawn;
  return [
    ...(undrawn > 0 ? [`${basename(check.file)}: ${undrawn} of ${check.figures} figures ` +
      'did not draw'] : []),
    ...check.errors.map((error) => `${basename(check.file)}: ${error}`),
  ];
}
