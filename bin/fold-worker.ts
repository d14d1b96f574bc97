/**
 * A worker process of lib/experiments/parallel.ts: runs one job and writes its result.
 *
 *   node --import tsx bin/fold-worker.ts <job file>
 *
 * The job file is a JobEnvelope (the job and the path for the result). Progress lines go to
 * stdout (the parent prefixes them with the job's name), errors to stderr with exit code 1.
 */
import { readFileSync } from 'node:fs';

import { chooseBackend } from '../lib/compute/backend.js';
import { type JobEnvelope, stringifyResult } from '../lib/experiments/parallel.js';
import { runJob, type RunJob } from '../lib/experiments/runs.js';
import { writeFileAtomic } from '../lib/util/atomic.js';

const log = (line: string): void => { process.stdout.write(`${line}\n`); };

/** Runs the job its kind names. */
async function run(envelope: JobEnvelope): Promise<unknown> {
  const { job } = envelope;
  if (job.kind === 'run') {
    return runJob(job as RunJob, (backend) => chooseBackend({ requested: backend }), log);
  }
  throw new Error(`bin/fold-worker.ts: job kind '${job.kind}' is unknown; expected 'run'`);
}

/**
 * Ends this worker when the process that started it is gone (killed with SIGKILL, it cannot
 * stop its workers): an orphan would go on training a run its restarted parent trains again.
 * The run's checkpoint keeps the last finished epoch either way.
 */
function exitWithParent(): void {
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) {
      process.stderr.write('bin/fold-worker.ts: the parent process is gone; stopping\n');
      process.exit(1);
    }
  }, 1000).unref();
}

async function main(): Promise<void> {
  exitWithParent();
  const jobFile = process.argv[2];
  if (jobFile === undefined) throw new Error('usage: bin/fold-worker.ts <job file>');
  const envelope = JSON.parse(readFileSync(jobFile, 'utf8')) as JobEnvelope;
  const result = await run(envelope);
  writeFileAtomic(envelope.resultPath, stringifyResult(result));
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack ?? error.message : error}\n`);
  process.exit(1);
});
