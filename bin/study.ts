/**
 * The main job. First it trains every run the chosen notebooks read (the grid), in one pool
 * of worker processes with a line per finished run and an estimate of the time left; runs
 * already in the results folder are reused. Then it executes the notebooks headless with
 * nbclient and the tslab kernel, one kernel per notebook and several at once, where the runs
 * are read back, and writes `reports/<notebook>.html`, then `reports/index.html` listing
 * every report of the folder with the job's provenance. A failing cell fails the job, and a
 * report is replaced only by a complete new one.
 *
 *   npm run study -- [--profile smoke|laptop|paper] [--only 01] [--reports DIR] [--workers N]
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { chooseBackend } from '../lib/compute/backend.js';
import { loadProfile, type Profile } from '../lib/config/profiles.js';
import { buildManifest, type Manifest } from '../lib/data/manifest.js';
import { projectRoot, resolveDataRoot } from '../lib/data/paths.js';
import { gridExperiments, trainGrid } from '../lib/experiments/grid.js';
import { studySplits } from '../lib/experiments/plans.js';
import { jobProvenanceRows } from '../lib/experiments/provenance.js';
import type { RunResult } from '../lib/experiments/runs.js';
import { writeIndexPage } from '../lib/reporting/index-page.js';
import { recordReport, reportTitle } from '../lib/reporting/report-records.js';
import { writeFileAtomic } from '../lib/util/atomic.js';

const usage = `usage: npm run study -- [--profile smoke|laptop|paper] [--only PREFIX] [--reports DIR]
                     [--workers N]
  --profile   study profile (default: laptop, or STUDY_PROFILE)
  --only      run only the notebooks whose file name starts with PREFIX (e.g. 01)
  --reports   folder for the HTML reports (default: reports/)
  --workers   training processes at once (default: STUDY_WORKERS, else one per core)

Notebooks execute one kernel each, STUDY_NOTEBOOK_JOBS at a time (default: one per core);
reports/index.html lists every report of the folder.

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

/** One notebook's execution: its report's HTML or the error, its log, and how long it took. */
interface Execution { name: string; html?: string; error?: string; output: string;
  seconds: number }

/**
 * Runs one notebook through environment/execute_notebook.py (Debian's Python, where Jupyter
 * lives). With `live`, the kernel's output is echoed as it comes; otherwise it is collected
 * into `output`, so that notebooks running side by side do not mix their lines. Resolves
 * with the report's HTML, or with the error (the failing cell and its output); never rejects.
 */
function executeNotebook(root: string, notebook: string, profile: string, live: boolean):
  Promise<Execution> {
  const scratch = mkdtempSync(join(tmpdir(), 'study-'));
  const html = join(scratch, 'report.html');
  const started = Date.now();
  const child = spawn('/usr/bin/python3',
    [join(root, 'environment', 'execute_notebook.py'), notebook, html], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, STUDY_PROFILE: profile,
        STUDY_PROGRESS: live && process.stdout.isTTY ? (process.env.STUDY_PROGRESS ?? 'bar')
          : 'lines',
        JUPYTER_PATH: join(root, '.jupyter', 'share', 'jupyter') },
    });
  let output = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    if (live) process.stdout.write(chunk); else output += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
    if (live) process.stderr.write(chunk); else output += chunk.toString('utf8');
  });
  return new Promise((resolve) => {
    const finish = (result: { html?: string; error?: string }): void => {
      rmSync(scratch, { recursive: true, force: true });
      resolve({ name: basename(notebook), output, seconds: (Date.now() - started) / 1000,
        ...result });
    };
    child.on('error', (error) => finish({ error: `cannot start /usr/bin/python3 ` +
      `(${error.message}): run environment/setup.sh first` }));
    child.on('close', (status) => {
      if (status !== 0) {
        const tail = stderr.split('\n').slice(-60).join('\n');
        finish({ error: `${basename(notebook)} failed (exit ${status}):\n${tail}` });
        return;
      }
      try {
        finish({ html: readFileSync(html, 'utf8') });
      } catch (error) {
        finish({ error: `${basename(notebook)}: no report written (${(error as Error).message})` });
      }
    });
  });
}

/** What the job's index page needs to know about the study it ran. */
interface JobContext { profile: Profile; backend: string; manifest: Manifest; runs: RunResult[] }

/**
 * Trains (or reuses) every run the notebooks read, before they execute, so that the runs of
 * all experiments share one pool of workers and a notebook never waits on training.
 */
async function trainNotebookRuns(notebooks: string[], profileName: string):
  Promise<JobContext> {
  const experiments = gridExperiments(notebooks);
  const profile = loadProfile(profileName);
  const backend = await chooseBackend();
  const dataRoot = resolveDataRoot();
  const manifest = await buildManifest(dataRoot,
    { seed: profile.seed, testFraction: profile.testFraction }).catch((error: Error) => {
    throw new Error(`${error.message}\n(npm run data:check -- ${dataRoot} lists every problem ` +
      'of the data folder at once)');
  });
  if (experiments.length === 0) return { profile, backend: backend.name, manifest, runs: [] };
  console.log(`study: training runs of ${experiments.join(', ')} (profile ${profileName})`);
  const splits = await studySplits(manifest, profile);
  const runs = await trainGrid(manifest, profile, splits, experiments,
    { log: (line) => console.log(line) });
  return { profile, backend: backend.name, manifest, runs };
}

/**
 * The number of notebooks executed at once: env STUDY_NOTEBOOK_JOBS, else one per core, at
 * most the number of notebooks. Each runs in its own kernel process.
 */
function notebookJobs(count: number): number {
  const text = process.env.STUDY_NOTEBOOK_JOBS;
  let jobs = availableParallelism();
  if (text !== undefined && text.trim() !== '') {
    jobs = Number(text);
    if (!Number.isInteger(jobs) || jobs < 1) {
      fail(`env STUDY_NOTEBOOK_JOBS is '${text}'; expected a whole number of at least 1`);
    }
  }
  return Math.max(1, Math.min(jobs, count));
}

/**
 * Executes the notebooks, `jobs` at a time, each in its own kernel. Each notebook's log is
 * printed as one block in notebook order (live when one runs at a time) and its report
 * written as soon as it and every notebook before it are done. After a failure no further
 * notebook starts; those already running finish and keep their reports.
 * @returns the failures' messages (empty when all succeeded).
 */
async function executeAll(root: string, notebooks: string[], options: Options):
  Promise<string[]> {
  const jobs = notebookJobs(notebooks.length);
  const live = jobs === 1;
  if (!live) console.log(`study: executing ${notebooks.length} notebooks, ${jobs} at a time`);
  type Outcome = Execution | undefined;
  const settle: ((outcome: Outcome) => void)[] = [];
  const outcomes = notebooks.map(() => new Promise<Outcome>((resolve) => settle.push(resolve)));
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (next < notebooks.length) {
      const index = next++;
      if (failed) {
        settle[index](undefined);
        continue;
      }
      console.log(`study: ${notebooks[index]} (profile ${options.profile}) ...`);
      const execution = await executeNotebook(root, join(root, 'notebooks', notebooks[index]),
        options.profile, live);
      failed ||= execution.html === undefined;
      settle[index](execution);
      // Let the report be written and logged before the next notebook's start is.
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  const workers = Array.from({ length: jobs }, worker);

  const failures: string[] = [];
  for (const outcome of outcomes) {
    const execution = await outcome;
    if (execution === undefined) continue;
    if (execution.output !== '') {
      console.log(`----- ${execution.name} -----\n${execution.output.trimEnd()}\n-----`);
    }
    if (execution.html === undefined) failures.push(execution.error ?? `${execution.name} failed`);
    else writeReport(options, execution);
  }
  await Promise.all(workers);
  return failures;
}

/** Writes one report and its record, atomically. */
function writeReport(options: Options, execution: Execution): void {
  const file = execution.name.replace(/\.ipynb$/, '.html');
  const report = join(options.reports, file);
  writeFileAtomic(report, execution.html as string);
  recordReport(options.reports, { file, title: reportTitle(execution.html as string, file),
    profile: options.profile, written: new Date().toISOString(), seconds: execution.seconds });
  console.log(`study: wrote ${report} in ${execution.seconds.toFixed(0)} s`);
}

async function main(): Promise<void> {
  const root = projectRoot();
  // A log file or pipe gets one line per event, a terminal the redrawn bars.
  if (!process.stdout.isTTY && process.env.STUDY_PROGRESS === undefined) {
    process.env.STUDY_PROGRESS = 'lines';
  }
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

  let context: JobContext;
  try {
    context = await trainNotebookRuns(notebooks, options.profile);
  } catch (error) {
    console.error(`study: ${(error as Error).message}`);
    process.exit(1);
  }

  const started = Date.now();
  const failures = await executeAll(root, notebooks, options);
  const index = writeIndexPage(options.reports, jobProvenanceRows(context.profile,
    context.backend, context.manifest, context.runs));
  console.log(`study: wrote ${index}; notebooks took ` +
    `${((Date.now() - started) / 1000).toFixed(0)} s in all`);
  if (failures.length > 0) {
    for (const failure of failures) console.error(`study: ${failure}`);
    process.exit(1);
  }
}

main().catch((error: unknown) => {
  console.error(`study: ${(error as Error).message ?? String(error)}`);
  process.exit(1);
});
