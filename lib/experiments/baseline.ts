import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import * as tf from '@tensorflow/tfjs';

import type { Profile } from '../config/profiles.js';
import { kFold } from '../data/folds.js';
import {
  CENTERS, loadManifest, recordsOf, roisOf, saveManifest, type Center, type Manifest,
} from '../data/manifest.js';
import { loadSamples, type Sample } from '../data/preprocess.js';
import { trainModel } from '../training/train.js';
import { chooseThreshold, scoreCenter, type CenterScores } from './evaluate.js';
import { runInWorkers, workerCount } from './parallel.js';

/** One fold model of experiment 1: where it stopped, its cutoff and its test scores. */
export interface FoldResult {
  fold: number;
  trainImages: number;
  validationImages: number;
  bestEpoch: number;
  threshold: number;
  validationF1: number;
  test: CenterScores[];
}

/** Which images train, validate and test one fold model, by manifest id, in order. */
export interface FoldPlan {
  /** 1-based. */
  fold: number;
  trainIds: string[];
  validationIds: string[];
  testIds: Record<Center, string[]>;
  /** Seeds the model's initial weights, batch order and augmentation. */
  seed: number;
}

/** A fold of experiment 1 as a worker job (see parallel.ts and bin/fold-worker.ts). */
export interface BaselineFoldJob extends FoldPlan {
  kind: 'baseline-fold';
  name: string;
  /** The manifest saved as JSON (saveManifest). */
  manifestPath: string;
  /** The whole profile, so that a custom one travels too; profileName is for the log. */
  profile: Profile;
  profileName: string;
  /** The backend the parent trains on; the worker starts the same one. */
  backend: string;
  [field: string]: unknown;
}

export interface BaselineOptions {
  /** Worker processes; default env STUDY_WORKERS, else the available cores (1 on a GPU). */
  workers?: number;
  log?: (line: string) => void;
}

/**
 * Trains, thresholds and tests one fold model of experiment 1.
 * @param samples the preprocessed samples, found by manifest id.
 * @param profile the study profile.
 * @param plan the fold's images and seed.
 * @param log receives the training's epoch lines and the fold's summary line.
 * @param progressBar draw the in-epoch bar on stdout (a worker draws none).
 * @returns the fold's result.
 * @throws Error naming the id when a sample of the plan is missing.
 * @example const result = await runBaselineFold(byId, profile, plans[0], console.log);
 */
export async function runBaselineFold(
  samples: Map<string, Sample>, profile: Profile, plan: FoldPlan, log: (line: string) => void,
  progressBar = true,
): Promise<FoldResult> {
  const pick = (ids: string[]): Sample[] => ids.map((id) => {
    const sample = samples.get(id);
    if (sample === undefined) {
      throw new Error(`lib/experiments/baseline.ts: fold ${plan.fold} names image '${id}', ` +
        'which is not among the loaded samples');
    }
    return sample;
  });
  const train = pick(plan.trainIds);
  const validation = pick(plan.validationIds);
  const trained = await trainModel({
    train, validation, profile, seed: plan.seed, log, progress: progressBar,
  });
  try {
    const cutoff = await chooseThreshold(trained, validation);
    const test: CenterScores[] = [];
    for (const center of CENTERS) {
      test.push(await scoreCenter(trained, center, pick(plan.testIds[center]), cutoff.threshold));
    }
    log(`fold ${plan.fold}: best epoch ${trained.bestEpoch}, cutoff ` +
      `${cutoff.threshold.toFixed(2)}, F1 A ${test[0].pooled.f1.toFixed(3)}, ` +
      `B ${test[1].pooled.f1.toFixed(3)}`);
    return {
      fold: plan.fold, trainImages: train.length, validationImages: validation.length,
      bestEpoch: trained.bestEpoch, threshold: cutoff.threshold, validationF1: cutoff.f1, test,
    };
  } finally {
    trained.dispose();
  }
}

/** Every image id a fold plan names. */
function idsOf(plans: FoldPlan[]): Set<string> {
  return new Set(plans.flatMap((plan) => [...plan.trainIds, ...plan.validationIds,
    ...CENTERS.flatMap((center) => plan.testIds[center])]));
}

/** Loads (from the sample cache, once preprocessed) the given records' samples, by id. */
async function loadById(
  manifest: Manifest, profile: Profile, ids: Set<string>,
): Promise<Map<string, Sample>> {
  const records = manifest.records.filter((record) => ids.has(record.id));
  const size = { height: profile.height, width: profile.width };
  const samples = await loadSamples(records, roisOf(manifest), size);
  return new Map(samples.map((sample) => [sample.id, sample]));
}

/**
 * The worker side of a 'baseline-fold' job: loads the manifest and the fold's samples, then
 * runs runBaselineFold on the backend the parent used.
 * @param job the job as runBaseline wrote it.
 * @param start starts the backend (lib/compute/backend.ts chooseBackend in the worker).
 * @param log the worker's progress lines.
 * @returns the fold's result.
 * @example await runBaselineFoldJob(job, (name) => chooseBackend({ requested: name }), log)
 */
export async function runBaselineFoldJob(
  job: BaselineFoldJob, start: (backend: string) => Promise<unknown>,
  log: (line: string) => void,
): Promise<FoldResult> {
  await start(job.backend);
  const manifest = loadManifest(job.manifestPath);
  const samples = await loadById(manifest, job.profile, idsOf([job]));
  return runBaselineFold(samples, job.profile, job, log, false);
}

/** The fold plans of experiment 1: k-fold over center A's training images. */
function foldPlans(manifest: Manifest, profile: Profile): FoldPlan[] {
  const trainA = recordsOf(manifest, 'A', 'train').map((record) => record.id);
  const testIds = { A: recordsOf(manifest, 'A', 'test').map((record) => record.id),
    B: recordsOf(manifest, 'B', 'test').map((record) => record.id) };
  return kFold(trainA.length, profile.folds, profile.seed).map((split) => ({
    fold: split.fold + 1,
    trainIds: split.train.slice(0, profile.maxTrainImages).map((i) => trainA[i]),
    validationIds: split.validation.map((i) => trainA[i]),
    testIds,
    seed: profile.seed + split.fold,
  }));
}

/** Runs the plans in worker processes; the manifest travels as a temporary JSON file. */
async function runInParallel(
  manifest: Manifest, profile: Profile, plans: FoldPlan[], workers: number,
  log: (line: string) => void,
): Promise<FoldResult[]> {
  const folder = mkdtempSync(join(tmpdir(), 'study-manifest-'));
  try {
    const manifestPath = join(folder, 'manifest.json');
    saveManifest(manifestPath, manifest);
    const jobs: BaselineFoldJob[] = plans.map((plan) => ({
      ...plan, kind: 'baseline-fold', name: `fold ${plan.fold}`, manifestPath, profile,
      profileName: profile.name, backend: tf.getBackend(),
    }));
    log(`folds: ${plans.length} in ${workers} worker processes`);
    return await runInWorkers<FoldResult>(jobs, { workers, log });
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/**
 * Experiment 1 of the study: one U-Net per cross-validation fold of center A's training
 * images, each evaluated on the held-out test images of center A and of center B. With more
 * than one worker the folds train in parallel processes (same seeds, same results).
 * NOTE: positional arguments on purpose: tslab drops a previous cell's variable used in a
 * shorthand property (`{ manifest }`), so notebooks pass them one by one.
 * NOTE: on a GPU backend ('tensorflow', 'webgpu') the default is one process: the folds
 * would only queue for the same device.
 * @param manifest the study's image list.
 * @param profile the study profile.
 * @param options workers (default STUDY_WORKERS or the cores) and log.
 * @returns one result per fold, fold order.
 * @throws Error from loading the data, training, or a failed worker (naming its fold).
 * @example const folds = await runBaseline(manifest, loadProfile('smoke'))
 */
export async function runBaseline(
  manifest: Manifest, profile: Profile, options: BaselineOptions = {},
): Promise<FoldResult[]> {
  const log = options.log ?? ((line: string) => console.log(line));
  const plans = foldPlans(manifest, profile);
  // Preprocess (or read from the cache) here, once, so that workers only read the cache.
  const samples = await loadById(manifest, profile, idsOf(plans));
  log(`data: ${recordsOf(manifest, 'A', 'train').length} training images of A; test images ` +
    `A ${plans[0].testIds.A.length}, B ${plans[0].testIds.B.length}; ` +
    `input ${profile.height}x${profile.width}`);

  const onCpu = ['wasm', 'cpu'].includes(tf.getBackend());
  const workers = options.workers !== undefined ? workerCount(options.workers)
    : onCpu || process.env.STUDY_WORKERS !== undefined ? workerCount() : 1;
  if (Math.min(workers, plans.length) > 1) {
    return runInParallel(manifest, profile, plans, Math.min(workers, plans.length), log);
  }

  const results: FoldResult[] = [];
  for (const plan of plans) {
    log(`fold ${plan.fold}/${profile.folds}: ${plan.trainIds.length} training, ` +
      `${plan.validationIds.length} validation images`);
    results.push(await runBaselineFold(samples, profile, plan, log));
  }
  return results;
}
