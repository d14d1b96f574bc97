/**
 * The results folder: one sub-folder per training run, named by the hash of everything that
 * determines the run (its plan, the profile, the data it reads and the code that trains it).
 * A finished run is read back instead of trained again; a changed setting, image or training
 * source gives another hash and so a new run. Every file is written atomically.
 *
 *   <results>/runs/<hash>/result.json   what the run measured (see RunResult)
 *   <results>/runs/<hash>/model/        the best epoch's weights (saveModel)
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import * as tf from '@tensorflow/tfjs';

import { projectRoot } from '../data/paths.js';
import { writeFileAtomic } from '../util/atomic.js';
import { parseResult, stringifyResult } from './parallel.js';

/** Folders of lib/ whose source decides what a training run computes. */
const TRAINING_SOURCES = ['config', 'data', 'splits', 'augmentation', 'compute', 'model',
  'training', 'evaluation', 'util'];
/** Files of lib/experiments that train or score a run. */
const RUN_SOURCES = ['runs.ts', 'run-store.ts', 'evaluate.ts'];

/** Bumped when the layout of result.json changes. */
const RESULT_FORMAT = 1;
const RESULT_FILE = 'result.json';

/**
 * The results folder: `STUDY_RESULTS` when set, else `<project root>/results`.
 * @example resultsDir() // '/work/main/results'
 */
export function resultsDir(): string {
  const configured = process.env.STUDY_RESULTS;
  return configured !== undefined && configured.trim() !== '' ? configured
    : join(projectRoot(), 'results');
}

/** Where a run of that hash lives. */
export function runDir(hash: string, root = resultsDir()): string {
  return join(root, 'runs', hash);
}

/** A run's checkpoint file (lib/training/checkpoint.ts), present while it trains. */
export function checkpointFile(hash: string, root = resultsDir()): string {
  return join(runDir(hash, root), 'checkpoint.bin');
}

/**
 * Checks that runs can be stored under `root` by writing and removing a small file there.
 * @throws Error naming the folder, the cause and what to do.
 * @example ensureWritable(resultsDir())
 */
export function ensureWritable(root: string): void {
  const probe = join(root, 'runs', `.writable-${process.pid}`);
  try {
    writeFileAtomic(probe, 'ok');
    rmSync(probe, { force: true });
  } catch (error) {
    throw new Error(`run-store.ts: the results folder ${root} cannot be written ` +
      `(${(error as Error).message}); point STUDY_RESULTS to a writable folder (or free disk ` +
      'space there)');
  }
}

let cachedCodeHash: string | undefined;

/**
 * sha256 over the training code: every .ts file of the folders in TRAINING_SOURCES and the
 * run files of lib/experiments, plus the TensorFlow.js version. Notebooks, figures and
 * tables are left out: changing how a result is shown does not retrain it.
 * @returns 64 hex digits, computed once per process.
 * @example codeHash().slice(0, 12)
 */
export function codeHash(): string {
  if (cachedCodeHash !== undefined) return cachedCodeHash;
  const lib = join(projectRoot(), 'lib');
  const files = TRAINING_SOURCES.flatMap((folder) => readdirSync(join(lib, folder))
    .filter((name) => name.endsWith('.ts')).sort().map((name) => join(folder, name)))
    .concat(RUN_SOURCES.map((name) => join('experiments', name)));
  const hash = createHash('sha256').update(`tfjs ${tf.version.tfjs}\n`);
  for (const file of files) hash.update(`${file}\n`).update(readFileSync(join(lib, file)));
  cachedCodeHash = hash.digest('hex');
  return cachedCodeHash;
}

/**
 * JSON with object keys sorted at every level, so that equal content gives equal text.
 * @example canonicalJson({ b: 1, a: [2] }) // '{"a":[2],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, field]) => field !== undefined).sort(([a], [b]) => (a < b ? -1 : 1));
    return Object.fromEntries(entries);
  });
}

/**
 * The run hash: sha256 of the canonical JSON of the run's specification.
 * @param spec what determines the run (plan, profile, data hash, code hash).
 * @returns 64 hex digits.
 * @example runHash({ plan, profile, data: manifest.hash, code: codeHash() })
 */
export function runHash(spec: unknown): string {
  return createHash('sha256').update(canonicalJson(spec)).digest('hex');
}

/**
 * Reads a finished run's result.
 * @param hash the run hash.
 * @param root the results folder.
 * @returns the stored value, or undefined when the run is not finished (no result file, or
 *   one of another format, e.g. left by an older version).
 * @throws Error naming the file when it exists but is not JSON (a damaged results folder is
 *   reported, not silently retrained over).
 * @example const done = readRunResult<RunResult>(hash)
 */
export function readRunResult<T>(hash: string, root = resultsDir()): T | undefined {
  const file = join(runDir(hash, root), RESULT_FILE);
  if (!existsSync(file)) return undefined;
  let stored: { format?: number; result?: T };
  try {
    stored = parseResult<{ format?: number; result?: T }>(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`run-store.ts: ${file} is not valid JSON (${(error as Error).message}); ` +
      'delete that run folder to train the run again');
  }
  // null, an array or another format: not a result of this version, so the run is not done.
  if (typeof stored !== 'object' || stored === null || Array.isArray(stored)) return undefined;
  return stored.format === RESULT_FORMAT ? stored.result : undefined;
}

/**
 * Stores a finished run: the model folder first, then result.json, each written whole or not
 * at all, so a run counts as finished only when both are there.
 * @param hash the run hash.
 * @param result what the run measured.
 * @param saveModelTo writes the model into the folder it is given (e.g. saveModel).
 * @param root the results folder.
 * @returns the run's folder.
 * @example await writeRunResult(hash, result, (dir) => saveModel(model, dir))
 */
export async function writeRunResult(
  hash: string, result: unknown, saveModelTo: (folder: string) => Promise<void>,
  root = resultsDir(),
): Promise<string> {
  const folder = runDir(hash, root);
  // saveModel replaces its folder atomically, so a crashed earlier attempt leaves no mix.
  await saveModelTo(join(folder, 'model'));
  writeFileAtomic(join(folder, RESULT_FILE),
    stringifyResult({ format: RESULT_FORMAT, result }));
  return folder;
}
