/**
 * One training run of any experiment: a model trained on some images, its cutoff chosen on
 * others, then every image it should be scored on predicted once and kept as per-image
 * counts. Test sets (a center's test images, B with restorations, ...) are scored from those
 * counts afterwards (scores.ts), so a new subgroup never needs the model again.
 *
 * Runs are stored in the results folder by hash (run-store.ts) and reused; runs still to
 * train go to worker processes, one per core (parallel.ts).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import * as tf from '@tensorflow/tfjs';

import type { Profile } from '../config/profiles.js';
import { dataHash, loadManifest, roisOf, saveManifest, type Manifest } from '../data/manifest.js';
import { pixelStats } from '../data/pixel-stats.js';
import { loadSamples, type Sample } from '../data/preprocess.js';
import { alignToCenter } from '../augmentation/align.js';
import { binarize, confusionCounts, type Counts } from '../evaluation/confusion.js';
import { lesionCounts, type LesionCounts } from '../evaluation/lesions.js';
import { WEIGHTS_FILE, saveModel } from '../model/weights.js';
import { BAR_INTERVAL_MS, createBoard, stepLine } from '../training/progress.js';
import { trainModel, type EpochRecord } from '../training/train.js';
import { chooseThreshold } from './evaluate.js';
import { runInWorkers, workerCount } from './parallel.js';
import {
  checkpointFile, codeHash, ensureWritable, readRunResult, resultsDir, runHash, writeRunResult,
} from './run-store.js';

/** What one run trains on, validates on and is scored on, by manifest id. */
export interface RunPlan {
  /** 'baseline', 'aligned', 'cross-center', ...: which experiment the run belongs to. */
  experiment: string;
  /** How the log and tables name the run, e.g. 'fold 2' or '40% B, fold 2'. */
  name: string;
  /** 1-based cross-validation fold. */
  fold: number;
  /** Experiment 3: the share of center B among the training images. */
  fraction?: number;
  trainIds: string[];
  /** Pick the best epoch (validation mean IoU) and the F1-optimal cutoff. */
  validationIds: string[];
  /** Every image the model is scored on; test sets are subsets of these. */
  scoreIds: string[];
  /** Seeds the initial weights, batch order and augmentation. */
  seed: number;
  /**
   * Experiment 2: the training images (not validation, not test) take on the pixel mean
   * and SD of images drawn from `targetIds`, after CLAHE when `clahe` (alignToCenter).
   */
  align?: { targetIds: string[]; clahe: boolean; seed: number };
}

/** What a finished run measured; stored as result.json in its results folder. */
export interface RunResult {
  hash: string;
  experiment: string;
  name: string;
  fold: number;
  fraction?: number;
  trainImages: number;
  validationImages: number;
  /** 1-based epoch whose weights were kept. */
  bestEpoch: number;
  /** F1-optimal cutoff on the validation images, and that F1. */
  threshold: number;
  validationF1: number;
  history: EpochRecord[];
  /** Pixel counts of every scored image at `threshold`, by id. */
  counts: Record<string, Counts>;
  /** Lesion-level counts of every scored image at `threshold`, by id. */
  lesions: Record<string, LesionCounts>;
  backend: string;
  /** Wall time of training and scoring. */
  seconds: number;
  /** True when this call read the run from the results folder instead of training it. */
  reused: boolean;
}

export interface RunOptions {
  /** Worker processes; default env STUDY_WORKERS, else the cores (1 on a GPU backend). */
  workers?: number;
  log?: (line: string) => void;
  /** Results folder; default resultsDir() (env STUDY_RESULTS, else <project>/results). */
  resultsRoot?: string;
  /** Read finished runs back instead of training them (default true). */
  reuse?: boolean;
  /** Called after each run trained here finishes: how many of those are done, of how many. */
  onTrained?: (done: number, total: number) => void;
}

/** A run as a worker job (see parallel.ts and bin/fold-worker.ts). */
export interface RunJob {
  kind: 'run';
  name: string;
  plan: RunPlan;
  hash: string;
  /** The manifest saved as JSON (saveManifest). */
  manifestPath: string;
  profile: Profile;
  /** The backend the parent trains on; the worker starts the same one. */
  backend: string;
  resultsRoot: string;
  [field: string]: unknown;
}

/** Every id a plan reads. */
function idsOf(plan: RunPlan): string[] {
  return [...plan.trainIds, ...plan.validationIds, ...plan.scoreIds,
    ...(plan.align?.targetIds ?? [])];
}

/**
 * The run hash of a plan: its images, seed and alignment (not its display name), the whole
 * profile, the content hash of the images it reads, the training code (codeHash) and, when
 * the profile starts from saved weights, their content.
 * @example planHash(plan, profile, manifest)
 */
export function planHash(plan: RunPlan, profile: Profile, manifest: Manifest): string {
  const ids = new Set(idsOf(plan));
  const { name: _name, ...content } = plan;
  const initialWeights = profile.initialWeights === undefined ? undefined
    : initialWeightsHash(profile.initialWeights);
  return runHash({
    plan: content, profile, initialWeights, code: codeHash(),
    data: dataHash(manifest.records.filter((record) => ids.has(record.id))),
  });
}

/** sha256 of the weights file profile.initialWeights names. */
function initialWeightsHash(folder: string): string {
  const file = join(folder, WEIGHTS_FILE);
  if (!existsSync(file)) {
    throw new Error(`lib/experiments/runs.ts: profile.initialWeights is '${folder}', but ` +
      `${file} does not exist; expected a folder written by saveModel`);
  }
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** The samples of the given ids, preprocessed (or read from the sample cache), by id. */
export async function loadById(
  manifest: Manifest, profile: Profile, ids: Iterable<string>,
): Promise<Map<string, Sample>> {
  const wanted = new Set(ids);
  const records = manifest.records.filter((record) => wanted.has(record.id));
  const samples = await loadSamples(records, roisOf(manifest),
    { height: profile.height, width: profile.width });
  return new Map(samples.map((sample) => [sample.id, sample]));
}

/**
 * Trains, thresholds and scores one run, then stores it in the results folder.
 * @param samples the preprocessed samples, found by manifest id.
 * @param profile the study profile.
 * @param plan the run's images and seed.
 * @param hash the run hash (planHash), naming its results folder.
 * @param log receives the training's epoch lines and the run's summary line.
 * @param options progressBar: draw the in-epoch bar (a worker draws none); resultsRoot.
 * @returns the run's result (reused false).
 * @throws Error naming the id when a sample of the plan is missing; errors of training.
 * @example const result = await trainRun(byId, profile, plans[0], hash, console.log)
 */
export async function trainRun(
  samples: Map<string, Sample>, profile: Profile, plan: RunPlan, hash: string,
  log: (line: string) => void,
  options: { progressBar?: boolean; resultsRoot?: string; reportSteps?: boolean } = {},
): Promise<RunResult> {
  const started = performance.now();
  const pick = (ids: string[]): Sample[] => ids.map((id) => {
    const sample = samples.get(id);
    if (sample === undefined) {
      throw new Error(`lib/experiments/runs.ts: run '${plan.name}' names image '${id}', ` +
        'which is not among the loaded samples');
    }
    return sample;
  });
  let train = pick(plan.trainIds);
  if (plan.align !== undefined) {
    const targets = pick(plan.align.targetIds).map((sample) => pixelStats(sample.image));
    train = await alignToCenter(train, targets,
      { seed: plan.align.seed, clahe: plan.align.clahe });
    log(`aligned ${train.length} training images to the pixel mean and SD of ` +
      `${targets.length} target images${plan.align.clahe ? ', after CLAHE' : ''}`);
  }
  const validation = pick(plan.validationIds);
  const checkpoint = checkpointFile(hash, options.resultsRoot);
  const trained = await trainModel({
    train, validation, profile, seed: plan.seed, log, progress: options.progressBar ?? true,
    checkpoint, onStep: options.reportSteps === true ? throttledStepLines(log) : undefined,
  });
  try {
    const cutoff = await chooseThreshold(trained, validation);
    const scored = pick(plan.scoreIds);
    const probabilities = await trained.predict(scored.map((sample) => sample.image));
    const counts: Record<string, Counts> = {};
    const lesions: Record<string, LesionCounts> = {};
    scored.forEach((sample, i) => {
      const prediction = binarize(probabilities[i], cutoff.threshold);
      counts[sample.id] = confusionCounts(prediction, sample.mask);
      lesions[sample.id] = lesionCounts(prediction, sample.mask, sample.width, sample.height);
    });
    const result: RunResult = {
      hash, experiment: plan.experiment, name: plan.name, fold: plan.fold,
      // Absent rather than undefined, so that a result read back from JSON equals this one.
      ...(plan.fraction === undefined ? {} : { fraction: plan.fraction }), trainImages: train.length, validationImages: validation.length,
      bestEpoch: trained.bestEpoch, threshold: cutoff.threshold, validationF1: cutoff.f1,
      history: trained.history, counts, lesions, backend: tf.getBackend(),
      seconds: (performance.now() - started) / 1000, reused: false,
    };
    await writeRunResult(hash, result, (folder) => saveModel(trained.model, folder),
      options.resultsRoot);
    // The result is stored whole; the checkpoint is no longer needed.
    rmSync(checkpoint, { force: true });
    log(`${plan.name}: best epoch ${trained.bestEpoch}, cutoff ` +
      `${cutoff.threshold.toFixed(2)}, validation F1 ${cutoff.f1.toFixed(3)}, stored as ` +
      `${hash.slice(0, 12)}`);
    return result;
  } finally {
    trained.dispose();
  }
}

/**
 * The worker side of a 'run' job: loads the manifest and the run's samples, then trains on
 * the backend the parent used.
 * @param job the job as runPlans wrote it.
 * @param start starts the backend (chooseBackend in the worker).
 * @param log the worker's progress lines.
 * @returns the run's result.
 * @example await runJob(job, (name) => chooseBackend({ requested: name }), log)
 */
export async function runJob(
  job: RunJob, start: (backend: string) => Promise<unknown>, log: (line: string) => void,
): Promise<RunResult> {
  await start(job.backend);
  const manifest = loadManifest(job.manifestPath);
  const samples = await loadById(manifest, job.profile, idsOf(job.plan));
  return trainRun(samples, job.profile, job.plan, job.hash, log,
    { progressBar: false, resultsRoot: job.resultsRoot, reportSteps: true });
}

/** Step lines (stepLine) for the parent's board, at most every BAR_INTERVAL_MS. */
function throttledStepLines(
  log: (line: string) => void,
): (epoch: number, epochs: number, step: number, steps: number) => void {
  let last = -Infinity;
  return (epoch, epochs, step, steps) => {
    const now = performance.now();
    if (now - last < BAR_INTERVAL_MS && step < steps) return;
    last = now;
    log(stepLine(epoch, epochs, step, steps));
  };
}

/** The number of worker processes for runs on the current backend. */
function workersFor(requested: number | undefined): number {
  if (requested !== undefined) return workerCount(requested);
  // On a GPU backend more processes would only queue for the same device.
  const onCpu = ['wasm', 'cpu'].includes(tf.getBackend());
  return onCpu || process.env.STUDY_WORKERS !== undefined ? workerCount() : 1;
}

/**
 * Runs the plans of an experiment: finished runs are read from the results folder (one line
 * each says so), the others are trained, in parallel worker processes when more than one
 * worker is allowed, else here with a progress bar. Same seeds give the same results either
 * way.
 * NOTE: positional arguments on purpose: tslab drops a previous cell's variable used in a
 * shorthand property (`{ manifest }`), so notebooks pass them one by one.
 * @param manifest the study's image list.
 * @param profile the study profile.
 * @param plans the runs (experiments.ts builds them).
 * @param options workers, log, resultsRoot, reuse.
 * @returns one result per plan, in plan order.
 * @throws Error from loading the data, training, or a failed worker (naming its run).
 * @example const runs = await runPlans(manifest, profile, baselinePlans(...))
 */
export async function runPlans(
  manifest: Manifest, profile: Profile, plans: RunPlan[], options: RunOptions = {},
): Promise<RunResult[]> {
  const log = options.log ?? ((line: string) => console.log(line));
  const resultsRoot = options.resultsRoot ?? resultsDir();
  const hashes = plans.map((plan) => planHash(plan, profile, manifest));
  const results = new Array<RunResult>(plans.length);
  const pending: number[] = [];
  plans.forEach((plan, i) => {
    const stored = options.reuse === false ? undefined
      : readRunResult<RunResult>(hashes[i], resultsRoot);
    if (stored === undefined) {
      pending.push(i);
    } else {
      results[i] = { ...stored, reused: true };
      log(`${plan.name}: reused from the results folder (run ${hashes[i].slice(0, 12)}, ` +
        `best epoch ${stored.bestEpoch}, trained in ${stored.seconds.toFixed(0)} s)`);
    }
  });
  if (pending.length === 0) {
    log(`all ${plans.length} runs reused; nothing to train`);
    return results;
  }
  // Fail now, not after the first hours of training.
  ensureWritable(resultsRoot);

  // Preprocess (or read from the sample cache) here, once, so that workers only read it.
  const samples = await loadById(manifest, profile, pending.flatMap((i) => idsOf(plans[i])));
  const workers = Math.min(workersFor(options.workers), pending.length);
  log(`${pending.length} of ${plans.length} runs to train` +
    (workers > 1 ? `, ${workers} at a time in worker processes` : ''));
  if (workers > 1) {
    const folder = mkdtempSync(join(tmpdir(), 'study-manifest-'));
    try {
      const manifestPath = join(folder, 'manifest.json');
      saveManifest(manifestPath, manifest);
      const jobs: RunJob[] = pending.map((i) => ({
        kind: 'run', name: plans[i].name, plan: plans[i], hash: hashes[i], manifestPath,
        profile, backend: tf.getBackend(), resultsRoot,
      }));
      let done = 0;
      const board = createBoard(log);
      const trained = await runInWorkers<RunResult>(jobs, { workers, log: board.log,
        onJobDone: () => {
          board.clear();
          options.onTrained?.(++done, pending.length);
        },
        onStep: board.update });
      pending.forEach((planIndex, k) => { results[planIndex] = trained[k]; });
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
    return results;
  }
  for (const [k, i] of pending.entries()) {
    log(`run ${k + 1}/${pending.length}: ${plans[i].name}, ${plans[i].trainIds.length} ` +
      `training, ${plans[i].validationIds.length} validation images`);
    results[i] = await trainRun(samples, profile, plans[i], hashes[i], log, { resultsRoot });
    options.onTrained?.(k + 1, pending.length);
  }
  return results;
}
