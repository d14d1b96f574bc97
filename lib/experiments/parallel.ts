/**
 * Independent training runs (folds, fractions) in parallel worker processes, one per core:
 * TensorFlow.js's wasm backend runs one thread in Node, so a second core only helps through a
 * second process. Each job goes to `node --import tsx bin/fold-worker.ts <job file>`; the
 * worker's progress lines come back prefixed with the job's name, its result as a JSON file.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';

import { projectRoot } from '../data/paths.js';
import { parseStepLine } from '../training/progress.js';
import { writeFileAtomic } from '../util/atomic.js';

/** One job: what the worker runs (`kind`) and how the log names it (`name`). */
export interface JobSpec {
  kind: string;
  /** Prefix of the job's log lines, e.g. 'fold 2'. */
  name: string;
  [field: string]: unknown;
}

/** What a worker reads: the job and where to put its result. */
export interface JobEnvelope {
  job: JobSpec;
  resultPath: string;
}

export interface WorkerOptions {
  /** Processes at once; default env STUDY_WORKERS, else availableParallelism(). */
  workers?: number;
  /** Receives every progress line of every worker, prefixed '[name] '; stdout by default. */
  log?: (line: string) => void;
  /** Called as each job finishes, with its index in `jobs` and its result. */
  onJobDone?: (index: number, result: unknown) => void;
  /** Receives the training steps a worker reports (stepLine), by job name. */
  onStep?: (name: string, epoch: number, epochs: number, step: number, steps: number) => void;
}

/** Lines of a failed worker's stderr quoted in the error. */
const STDERR_TAIL_LINES = 40;

/**
 * The worker count: an explicit value, else env STUDY_WORKERS, else the cores available.
 * @param requested an explicit count.
 * @returns an integer >= 1.
 * @throws Error naming the source when the value is not a positive integer.
 * @example workerCount() // 2 on a 2-core laptop
 */
export function workerCount(requested?: number): number {
  const fromEnv = process.env.STUDY_WORKERS;
  const [value, source] = requested !== undefined ? [requested, 'options.workers']
    : fromEnv !== undefined && fromEnv.trim() !== '' ? [Number(fromEnv), 'env STUDY_WORKERS']
      : [availableParallelism(), 'the available cores (availableParallelism)'];
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`lib/experiments/parallel.ts: ${source} is '${String(value)}'; expected ` +
      'an integer >= 1');
  }
  return value;
}

/**
 * JSON that keeps NaN and the infinities (a 0/0 score is NaN; plain JSON would turn it into
 * null and the numbers from a worker would differ from those computed in-process).
 * @param value any JSON-like value.
 * @returns the text; read it back with parseResult.
 * @example parseResult(stringifyResult({ f1: NaN })).f1 // NaN
 */
export function stringifyResult(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    (typeof v === 'number' && !Number.isFinite(v) ? { $number: String(v) } : v));
}

/**
 * Reads what stringifyResult wrote.
 * @param text the JSON text.
 * @returns the value, with NaN and infinities restored.
 * @throws SyntaxError for text that is not JSON.
 * @example parseResult('{"f1":{"$number":"NaN"}}') // { f1: NaN }
 */
export function parseResult<T>(text: string): T {
  return JSON.parse(text, (_key, v: unknown) => {
    if (typeof v === 'object' && v !== null && Object.keys(v).length === 1 && '$number' in v) {
      return Number((v as { $number: string }).$number);
    }
    return v;
  }) as T;
}

/** Calls `onLine` for every complete line of a stream; the rest waits for the next chunk. */
function forEachLine(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const lines = (pending + chunk).split(/\r?\n|\r/);
    pending = lines.pop() ?? '';
    for (const line of lines) if (line.trim() !== '') onLine(line);
  });
  stream.on('end', () => {
    if (pending.trim() !== '') onLine(pending);
  });
}

/** Runs one job in a child process; resolves with its parsed result. */
function runJob<T>(
  envelope: JobEnvelope, jobFile: string, log: (line: string) => void,
  started: (child: ChildProcess) => void, onStep: WorkerOptions['onStep'],
): Promise<T> {
  const root = projectRoot();
  writeFileAtomic(jobFile, JSON.stringify(envelope));
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'bin', 'fold-worker.ts'),
    jobFile], { cwd: root, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  started(child);
  const prefix = `[${envelope.job.name}] `;
  const stderr: string[] = [];
  forEachLine(child.stdout, (line) => {
    const step = parseStepLine(line);
    if (step === undefined) log(prefix + line);
    else onStep?.(envelope.job.name, step.epoch, step.epochs, step.step, step.steps);
  });
  forEachLine(child.stderr, (line) => {
    stderr.push(line);
    if (stderr.length > STDERR_TAIL_LINES) stderr.shift();
  });

  return new Promise<T>((resolve, reject) => {
    child.on('error', (error) => reject(new Error(`lib/experiments/parallel.ts: job ` +
      `'${envelope.job.name}' could not start ${process.execPath}: ${error.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0 && existsSync(envelope.resultPath)) {
        resolve(parseResult<T>(readFileSync(envelope.resultPath, 'utf8')));
        return;
      }
      const how = code === 0 ? 'exited without writing its result'
        : `failed (exit ${code ?? signal})`;
      const { name, kind } = envelope.job;
      reject(new Error(`lib/experiments/parallel.ts: job '${name}' (${kind}) ${how}; ` +
        `its stderr ends:\n${stderr.join('\n')}`));
    });
  });
}

/**
 * Runs jobs in worker processes, at most `workers` at once, and returns their results in the
 * order of `jobs`. A worker is `node --import tsx bin/fold-worker.ts <job file>` started in the
 * project root; its stdout lines reach `log` prefixed with the job's name ("[fold 2] epoch 3/8
 * ..."), its result is the JSON it writes (atomically) to the path the job file names.
 * NOTE: each worker loads TensorFlow.js and its data anew (a few seconds per job).
 * @param jobs what to run; each worker chooses its code by job.kind.
 * @param options workers (default STUDY_WORKERS or the available cores) and log.
 * @returns the results, jobs' order.
 * @throws Error naming the job and quoting the end of its stderr when a worker fails; the
 *   other workers are killed and no further job starts.
 * @example const folds = await runInWorkers<FoldResult>(jobs, { workers: 2 });
 */
export async function runInWorkers<T>(
  jobs: JobSpec[], options: WorkerOptions = {},
): Promise<T[]> {
  const log = options.log ?? ((line: string) => console.log(line));
  const workers = Math.min(workerCount(options.workers), Math.max(1, jobs.length));
  const folder = mkdtempSync(join(tmpdir(), 'study-jobs-'));
  const running = new Set<ChildProcess>();
  const results = new Array<T>(jobs.length);
  let next = 0;
  let failure: unknown;

  const lane = async (): Promise<void> => {
    while (failure === undefined && next < jobs.length) {
      const index = next++;
      const envelope = { job: jobs[index], resultPath: join(folder, `result-${index}.json`) };
      let child: ChildProcess | undefined;
      try {
        results[index] = await runJob<T>(envelope, join(folder, `job-${index}.json`), log,
          (started) => { child = started; running.add(started); }, options.onStep);
        options.onJobDone?.(index, results[index]);
      } catch (error) {
        // The first failure is the one to report; the others are the workers killed here.
        if (failure === undefined) {
          failure = error;
          for (const other of running) if (other !== child) other.kill('SIGTERM');
        }
        return;
      } finally {
        if (child) running.delete(child);
      }
    }
  };

  try {
    await Promise.all(Array.from({ length: workers }, () => lane()));
    if (failure !== undefined) throw failure;
    return results;
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
