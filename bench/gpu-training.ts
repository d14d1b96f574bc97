/**
 * The training parts of the GPU check (bench/gpu-check.sh): gradient parity of a GPU backend
 * against wasm, timed training steps, and notebook 1 in the smoke profile end to end.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import * as tf from '@tensorflow/tfjs';

import { chooseBackend } from '../lib/compute/backend.js';
import { loadProfile, type Profile } from '../lib/config/profiles.js';
import { kFold } from '../lib/data/folds.js';
import type { Center } from '../lib/data/manifest.js';
import type { Sample } from '../lib/data/preprocess.js';
import { readCachedPixels } from '../lib/data/sample-cache.js';
import { chooseThreshold, scoreCenter } from '../lib/experiments/evaluate.js';
import { buildUnet, type UnetOptions } from '../lib/model/unet.js';
import { bceDiceLoss } from '../lib/training/losses.js';
import { trainModel } from '../lib/training/train.js';
import { seededRandom } from '../lib/util/random.js';

/** What a part found; bench/gpu-check.ts writes it as <part>.json. */
export interface PartResult {
  status: 'done' | 'passed' | 'failed' | 'skipped';
  /** One line for the summary. */
  detail: string;
  backend?: string;
  [field: string]: unknown;
}

/** Relative error of the GPU's loss and gradients against wasm's must stay below this. */
export const PARITY_TOLERANCE = 1e-3;

const PARITY_NET: UnetOptions = { height: 64, width: 128, baseFilters: 4, depth: 3, seed: 7 };
const PARITY_BATCH = 2;

/** Where bench/gpu-check.sh --prepare leaves notebook 1's smoke-size samples. */
export const KIT_SAMPLES = join('.cache', 'gpu-check', 'samples');

/** A fixed batch: grey values in [0, 1) and masks with about 10% lesion pixels. */
function syntheticBatch(batch: number, height: number, width: number, seed: number):
  { images: tf.Tensor4D; masks: tf.Tensor4D } {
  const random = seededRandom(seed);
  const pixels = batch * height * width;
  const grey = Float32Array.from({ length: pixels }, () => random());
  const lesion = Float32Array.from({ length: pixels }, () => (random() < 0.1 ? 1 : 0));
  return {
    images: tf.tensor4d(grey, [batch, height, width, 1]),
    masks: tf.tensor4d(lesion, [batch, height, width, 1]),
  };
}

/** Loss and the gradient of every trainable weight, in the model's weight order. */
async function lossAndGradients(model: tf.LayersModel,
  batch: { images: tf.Tensor; masks: tf.Tensor }):
  Promise<{ loss: number; gradients: Float32Array[]; names: string[] }> {
  const variables = model.trainableWeights.map((weight) => weight.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(
    () => bceDiceLoss(batch.masks, model.apply(batch.images, { training: true }) as tf.Tensor),
    variables);
  const gradients: Float32Array[] = [];
  for (const variable of variables) {
    gradients.push((await grads[variable.name].data()) as Float32Array);
  }
  const result = {
    loss: (await value.data())[0],
    gradients,
    names: model.trainableWeights.map((weight) => weight.originalName),
  };
  tf.dispose([value, ...Object.values(grads)]);
  return result;
}

/** ||a - b|| / ||b||, or ||a|| when b is all zeros. */
function relativeError(a: Float32Array, b: Float32Array): number {
  let difference = 0;
  let reference = 0;
  for (let i = 0; i < b.length; i++) {
    difference += (a[i] - b[i]) ** 2;
    reference += b[i] ** 2;
  }
  return reference === 0 ? Math.sqrt(difference) : Math.sqrt(difference / reference);
}

/**
 * Starts the GPU backend this check is about: webgpu on a software adapter when `software`,
 * else STUDY_BACKEND or auto. Returns undefined (and the reason) when none runs.
 */
export async function startGpu(software: boolean):
  Promise<{ name: string; reason: string } | { skipped: string }> {
  const requested = software ? 'webgpu' : (process.env.STUDY_BACKEND ?? 'auto');
  const choice = await chooseBackend({ requested, webgpuSoftware: software });
  if (choice.name === 'wasm' || choice.name === 'cpu') {
    return { skipped: `no GPU backend runs here: ${choice.reason}` };
  }
  return choice;
}

/**
 * Loss and all weight gradients of a small U-Net (64x128, depth 3, 4 base filters, batch 2)
 * on the GPU backend against wasm, from the same weights and batch.
 * @param software check webgpu on a software adapter (code path only).
 * @returns passed when every relative error is below PARITY_TOLERANCE.
 */
export async function parityPart(software: boolean): Promise<PartResult> {
  const gpu = await startGpu(software);
  if ('skipped' in gpu) return { status: 'skipped', detail: gpu.skipped };

  // Values are read with data(), never dataSync(): see the NOTE in lib/compute/webgpu.ts.
  const batch = syntheticBatch(PARITY_BATCH, PARITY_NET.height, PARITY_NET.width, 11);
  const onGpu = buildUnet(PARITY_NET);
  const weights = await Promise.all(onGpu.getWeights().map((weight) => weight.data()));
  const shapes = onGpu.getWeights().map((weight) => weight.shape);
  const gpuResult = await lossAndGradients(onGpu, batch);
  onGpu.dispose();
  const [imagesData, masksData] = [await batch.images.data(), await batch.masks.data()];
  tf.dispose([batch.images, batch.masks]);

  await chooseBackend({ requested: 'wasm' });
  const onWasm = buildUnet(PARITY_NET);
  const initial = weights.map((values, i) => tf.tensor(values, shapes[i]));
  onWasm.setWeights(initial);
  tf.dispose(initial);
  const wasmBatch = {
    images: tf.tensor4d(imagesData, [PARITY_BATCH, PARITY_NET.height, PARITY_NET.width, 1]),
    masks: tf.tensor4d(masksData, [PARITY_BATCH, PARITY_NET.height, PARITY_NET.width, 1]),
  };
  const wasmResult = await lossAndGradients(onWasm, wasmBatch);
  tf.dispose([wasmBatch.images, wasmBatch.masks]);
  onWasm.dispose();

  const lossError = Math.abs(gpuResult.loss - wasmResult.loss) / Math.abs(wasmResult.loss);
  const perWeight = wasmResult.gradients.map((reference, i) => ({
    weight: wasmResult.names[i], relativeError: relativeError(gpuResult.gradients[i], reference),
  }));
  const worst = perWeight.reduce((a, b) => (b.relativeError > a.relativeError ? b : a));
  const passed = lossError < PARITY_TOLERANCE && worst.relativeError < PARITY_TOLERANCE;
  return {
    status: passed ? 'passed' : 'failed',
    backend: gpu.name,
    backendReason: gpu.reason,
    detail: `${gpu.name} vs wasm, ${perWeight.length} weights: loss rel. error ` +
      `${lossError.toExponential(2)}, worst gradient ${worst.relativeError.toExponential(2)} ` +
      `(${worst.weight}); tolerance ${PARITY_TOLERANCE}`,
    network: PARITY_NET, batch: PARITY_BATCH, loss: { gpu: gpuResult.loss, wasm: wasmResult.loss,
      relativeError: lossError }, gradients: perWeight,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * Times Adam training steps (forward, BCE + Dice, backward, update) of the paper profile's
 * network on the GPU backend; to show the code path, of the smoke profile's network on a
 * software adapter and of the laptop profile's on wasm without a GPU. 3 warm-up steps,
 * then the median of up to 10 within `budgetMs`.
 */
export async function timingPart(software: boolean, budgetMs: number): Promise<PartResult> {
  const gpu = await startGpu(software);
  // Paper-size steps take minutes on wasm and longer on llvmpipe: smaller networks show the path.
  const profile: Profile = loadProfile('skipped' in gpu ? 'laptop' : software ? 'smoke' : 'paper');
  const backend = 'skipped' in gpu ? (await chooseBackend({ requested: 'wasm' })).name : gpu.name;
  const { height, width, batchSize, baseFilters, depth } = profile;
  const model = buildUnet({ height, width, baseFilters, depth, seed: 3 });
  const variables = model.trainableWeights.map((weight) => weight.read() as tf.Variable);
  const optimizer = tf.train.adam(profile.learningRate);
  const batch = syntheticBatch(batchSize, height, width, 5);
  const step = async (): Promise<number> => {
    const started = performance.now();
    const cost = optimizer.minimize(() => bceDiceLoss(batch.masks,
      model.apply(batch.images, { training: true }) as tf.Tensor), true, variables) as tf.Scalar;
    await cost.data();
    cost.dispose();
    return performance.now() - started;
  };

  const started = performance.now();
  const warmUp: number[] = [];
  for (let i = 0; i < 3; i++) warmUp.push(await step());
  const measured: number[] = [];
  while (measured.length < 10 && performance.now() - started < budgetMs) {
    measured.push(await step());
  }
  tf.dispose([batch.images, batch.masks]);
  optimizer.dispose();
  model.dispose();
  const network = `${height}x${width}, batch ${batchSize}, ${baseFilters} base filters, ` +
    `depth ${depth}`;
  const ms = median(measured);
  const why = profile.name === 'paper' ? ''
    : ` (${'skipped' in gpu ? 'no GPU' : 'software adapter'}: not the paper's network)`;
  return {
    status: measured.length > 0 ? 'done' : 'failed',
    backend,
    detail: `${backend}, ${profile.name} network ${network}: median ${ms.toFixed(1)} ms/step ` +
      `over ${measured.length} steps after 3 warm-up, ${(batchSize * 1000 / ms).toFixed(1)} ` +
      `images/s${why}`,
    profile: profile.name, network, warmUpMs: warmUp, stepMs: measured, medianMs: ms,
  };
}

interface KitSample { id: string; center: Center; split: 'train' | 'test' }

/** Notebook 1's smoke-size samples prepared by gpu-check.sh --prepare, by center and split. */
function kitSamples(profile: Profile): Record<'trainA' | 'testA' | 'testB', Sample[]> {
  const index = JSON.parse(readFileSync(join(KIT_SAMPLES, 'index.json'), 'utf8')) as
    KitSample[];
  const size = { height: profile.height, width: profile.width };
  const samples = index.map(({ id, center, split }) => {
    const pixels = readCachedPixels(KIT_SAMPLES, id, size);
    if (pixels === undefined) {
      throw new Error(`${KIT_SAMPLES}/${id}.sample is missing or not ${size.height}x` +
        `${size.width}; run bash bench/gpu-check.sh --prepare again`);
    }
    const image = Float32Array.from(pixels.grey, (value) => value / 255);
    return { split, sample: { id, center, ...size, image, mask: pixels.mask } };
  });
  const pick = (center: Center, split: 'train' | 'test'): Sample[] => samples
    .filter((entry) => entry.sample.center === center && entry.split === split)
    .map((entry) => entry.sample);
  return { trainA: pick('A', 'train'), testA: pick('A', 'test'), testB: pick('B', 'test') };
}

/** Fold 1 of experiment 1 on prepared samples: where the data folder itself is absent. */
async function firstFold(profile: Profile, log: (line: string) => void):
  Promise<Record<string, unknown>> {
  const { trainA, testA, testB } = kitSamples(profile);
  const [split] = kFold(trainA.length, profile.folds, profile.seed);
  const train = split.train.slice(0, profile.maxTrainImages).map((i) => trainA[i]);
  const validation = split.validation.map((i) => trainA[i]);
  log(`prepared samples: ${train.length} training, ${validation.length} validation, test A ` +
    `${testA.length}, B ${testB.length}; fold 1 of ${profile.folds} only`);
  const trained = await trainModel({ train, validation, profile, seed: profile.seed, log });
  try {
    const { threshold } = await chooseThreshold(trained, validation);
    const f1 = async (center: Center, test: Sample[]): Promise<number> =>
      (await scoreCenter(trained, center, test, threshold)).pooled.f1;
    return { folds: 1, bestEpoch: trained.bestEpoch, threshold,
      f1A: [await f1('A', testA)], f1B: [await f1('B', testB)] };
  } finally {
    trained.dispose();
  }
}

/**
 * Notebook 1 (experiment 1) in the smoke profile on the GPU backend, or wasm without one:
 * runBaseline over the data folder when it is found, else fold 1 on the samples that
 * --prepare left in .cache/gpu-check/samples, else skipped.
 */
export async function trainPart(software: boolean): Promise<PartResult> {
  if (software) {
    return { status: 'skipped', detail: 'software mode: a smoke step takes seconds on ' +
      'llvmpipe, so the end-to-end run is left to a GPU (or to wasm in the plain run)' };
  }
  const gpu = await startGpu(software);
  const backend = 'skipped' in gpu ? (await chooseBackend({ requested: 'wasm' })).name : gpu.name;
  const profile = loadProfile('smoke');
  const lines: string[] = [];
  const log = (line: string): void => {
    lines.push(line);
    console.log(line);
  };
  const started = performance.now();
  const { resolveDataRoot } = await import('../lib/data/paths.js');
  let dataRoot: string | undefined;
  try {
    dataRoot = resolveDataRoot();
  } catch {
    dataRoot = undefined;
  }

  let outcome: Record<string, unknown>;
  let source: string;
  if (dataRoot !== undefined) {
    // Loaded only here: the data layer needs sharp, which the device kit leaves out.
    const { buildManifest } = await import('../lib/data/manifest.js');
    const { runBaseline } = await import('../lib/experiments/baseline.js');
    const manifest = await buildManifest(dataRoot,
      { seed: profile.seed, testFraction: profile.testFraction });
    const folds = await runBaseline(manifest, profile, { log });
    source = `data folder ${dataRoot}, runBaseline`;
    outcome = { folds: folds.length, bestEpoch: folds.map((fold) => fold.bestEpoch),
      f1A: folds.map((fold) => fold.test[0].pooled.f1),
      f1B: folds.map((fold) => fold.test[1].pooled.f1) };
  } else if (existsSync(join(KIT_SAMPLES, 'index.json'))) {
    source = `prepared samples ${KIT_SAMPLES}`;
    outcome = await firstFold(profile, log);
  } else {
    return { status: 'skipped', backend, detail: 'no data folder (DENTAL_DATA, ../shared/data) ' +
      `and no prepared samples (${KIT_SAMPLES}; bash bench/gpu-check.sh --prepare makes them)` };
  }
  const seconds = (performance.now() - started) / 1000;
  const f1 = (values: unknown): string => (values as number[]).map((v) => v.toFixed(3)).join('/');
  return {
    status: 'done', backend, source, seconds, ...outcome,
    epochLines: lines.filter((line) => /epoch/.test(line)),
    detail: `${backend}, smoke profile from ${source}: ${String(outcome.folds)} fold(s), ` +
      `pooled F1 A ${f1(outcome.f1A)}, B ${f1(outcome.f1B)}, ${seconds.toFixed(0)} s`,
  };
}
