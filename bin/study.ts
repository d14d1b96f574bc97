/**
 * The main job. First it trains every run the chosen notebooks read (the grid), in one pool
 * of worker processes with a line per finished run and an estimate of the time left; runs
 * already in the results folder are reused. Then it executes each notebook headless with
 * nbconvert and the tslab kernel, where the runs are read back, and writes
 * `reports/<notebook>.html`. A failing cell fails the job, and a report is replaced only by a
 * complete new one.
 *
 *   npm run study -- [--profile smoke|laptop|paper] [--only 01] [--reports DIR] [--workers N]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { chooseBackend } from '../lib/compute/backend.js';
import { loadProfile } from '../lib/config/profiles.js';
import { buildManifest } from '../lib/data/manifest.js';
import { projectRoot, resolveDataRoot } from '../lib/data/paths.js';
import { gridExperiments, trainGrid } from '../lib/experiments/grid.js';
import { studySplits } from '../lib/experiments/plans.js';
import { writeFileAtomic } from '../lib/util/atomic.js';

const usage = `usage: npm run study -- [--profile smoke|laptop|paper] [--only PREFIX] [--reports DIR]
                     [--workers N]
  --profile   study profile (default: laptop, or STUDY_PROFILE)
  --only      run only the notebooks whose file name starts with PREFIX (e.g. 01)
  --reports   folder for the HTML reports (default: reports/)
  --workers   training processes at once (default: STUDY_WORKERS, else one per core)

Finished training runs are kept in results/runs/<hash> (or STUDY_RESULTS) and reused: a second
run of the same notebooks trains nothing. Data: DENTAL_DATA (default ../shared/data).`;

interface Options { profile: string; only?: string; reports: string; workers?: string }

/** A usage error: the message and the usage, exit status 2. */
function fail(message: string): never {
  console.error(`study: ${message}\n${usage}`);
  process.exit(2);
}

function parseArguments(argv: string[], root: string): Options {
  const options: Options = {
    profile: process.env.STUDY_PROFILE ?? 'laptop',
    reports: join(root, 'reports'),
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '--help' || flag === '-h') {
      console.log(usage);
      process.exit(0);
    }
    if (!['--profile', '--only', '--reports', '--workers'].includes(flag)) {
      fail(`unexpected argument '${flag}'`);
    }
    if (value === undefined || value.startsWith('--')) fail(`${flag} needs a value`);
    if (flag === '--profile') options.profile = value;
    if (flag === '--only') options.only = value;
    if (flag === '--reports') options.reports = value;
    if (flag === '--workers') options.workers = value;
    i++;
  }
  if (options.workers !== undefined) {
    const workers = Number(options.workers);
    if (!Number.isInteger(workers) || workers < 1) {
      fail(`--workers needs a whole number of at least 1, got '${options.workers}'`);
    }
    process.env.STUDY_WORKERS = String(workers);
  }
  try {
    loadProfile(options.profile);
  } catch (error) {
    fail((error as Error).message);
  }
  return options;
}

/**
 * Runs one notebook through environment/execute_notebook.py (Debian's Python, where Jupyter
 * lives), echoing the kernel's output live; returns the report's HTML, or throws with the
 * failing cell and its error.
 */
function executeNotebook(root: string, notebook: string, profile: string): string {
  const scratch = mkdtempSync(join(tmpdir(), 'study-'));
  const html = join(scratch, 'report.html');
  try {
    const result = spawnSync('/usr/bin/python3',
      [join(root, 'environment', 'execute_notebook.py'), notebook, html], {
        cwd: root,
        stdio: ['ignore', 'inherit', 'pipe'],
        env: { ...process.env, STUDY_PROFILE: profile,
          STUDY_PROGRESS: process.stdout.isTTY ? (process.env.STUDY_PROGRESS ?? 'bar') : 'lines',
          JUPYTER_PATH: join(root, '.jupyter', 'share', 'jupyter') },
        encoding: 'utf8',
        maxBuffer: 256 * 1024 * 1024,
      });
    if (result.error) {
      throw new Error(`cannot start /usr/bin/python3 (${result.error.message}): ` +
        'run environment/setup.sh first');
    }
    if (result.status !== 0) {
      const tail = result.stderr.split('\n').slice(-60).join('\n');
      throw new Error(`${basename(notebook)} failed (exit ${result.status}):\n${tail}`);
    }
    return readFileSync(html, 'utf8');
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * Trains (or reuses) every run the notebooks read, before they execute, so that the runs of
 * all experiments share one pool of workers and a notebook never waits on training.
 */
async function trainNotebookRuns(notebooks: string[], profileName: string): Promise<void> {
  const experiments = gridExperiments(notebooks);
  if (experiments.length === 0) return;
  const profile = loadProfile(profileName);
  console.log(`study: training runs of ${experiments.join(', ')} (profile ${profileName})`);
  await chooseBackend();
  const manifest = await buildManifest(resolveDataRoot(),
    { seed: profile.seed, testFraction: profile.testFraction });
  const splits = await studySplits(manifest, profile);
  await trainGrid(manifest, profile, splits, experiments,
    { log: (line) => console.log(line) });
}

async function main(): Promise<void> {
  const root = projectRoot();
  const options = parseArguments(process.argv.slice(2), root);
  if (!existsSync(join(root, '.jupyter'))) {
    console.error('study: the tslab kernel is not registered: run environment/setup.sh first');
    process.exit(1);
  }
  const available = readdirSync(join(root, 'notebooks'))
    .filter((name) => name.endsWith('.ipynb')).sort();
  const notebooks = available
    .filter((name) => options.only === undefined || name.startsWith(options.only));
  if (notebooks.length === 0) {
    fail(`no notebook matches '${options.only}'; notebooks/ has ${available.join(', ')}`);
  }

  try {
    await trainNotebookRuns(notebooks, options.profile);
  } catch (error) {
    console.error(`study: ${(error as Error).message}`);
    process.exit(1);
  }

  for (const name of notebooks) {
    const started = Date.now();
    console.log(`study: ${name} (profile ${options.profile}) ...`);
    try {
      const html = executeNotebook(root, join(root, 'notebooks', name), options.profile);
      const report = join(options.reports, name.replace(/\.ipynb$/, '.html'));
      writeFileAtomic(report, html);
      const seconds = ((Date.now() - started) / 1000).toFixed(0);
      console.log(`study: wrote ${report} in ${seconds} s`);
    } catch (error) {
      console.error(`study: ${(error as Error).message}`);
      process.exit(1);
    }
  }
}

main().catch((error: unknown) => {
  console.error(`study: ${(error as Error).message ?? String(error)}`);
  process.exit(1);
});
