/**
 * The TensorFlow.js half of the benchmark: the study's U-Net (lib/model/unet.ts) trained and
 * run on the wasm backend, one thread, with synthetic data. Timing only; nothing is saved.
 */
import * as tf from '@tensorflow/tfjs';

import { chooseBackend } from '../lib/compute/backend.js';
import { buildUnet } from '../lib/model/unet.js';

/** One benchmark configuration: the same in both frameworks. */
export interface BenchConfig {
  height: number;
  width: number;
  batchSize: number;
  baseFilters: number;
  depth: number;
  /** Batch normalization after each 3x3 convolution (the study's laptop profile); not in the
   * PyTorch comparison, whose network has none. */
  batchNorm?: boolean;
}

/**
 * Milliseconds of each measured training step and each single-image inference: wall time,
 * and this process's CPU time (which other work on the machine inflates less).
 */
export interface BenchTimes {
  parameters: number;
  stepMs: number[];
  stepCpuMs: number[];
  inferenceMs: number[];
  inferenceCpuMs: number[];
}

/** This process's CPU milliseconds, user + system (Linux splits them by tick samples only). */
export function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** Runs `body` warmup + count times; returns wall and CPU ms of the last `count` runs. */
async function timed(
  warmup: number, count: number, body: () => Promise<void>,
): Promise<{ wall: number[]; cpu: number[] }> {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < warmup + count; i++) {
    const [wallStart, cpuStart] = [performance.now(), cpuMs()];
    await body();
    if (i >= warmup) {
      wall.push(performance.now() - wallStart);
      cpu.push(cpuMs() - cpuStart);
    }
  }
  return { wall, cpu };
}

/** One kernel's share of a training step, summed over its calls. */
export interface KernelShare {
  kernel: string;
  calls: number;
  ms: number;
  share: number;
}

const EPSILON = 1e-7;

/** Mean binary cross-entropy, as torch.nn.BCELoss computes it (log clamped). */
function crossEntropy(mask: tf.Tensor, probability: tf.Tensor): tf.Scalar {
  const p = tf.clipByValue(probability, EPSILON, 1 - EPSILON);
  return tf.neg(tf.mean(tf.add(tf.mul(mask, tf.log(p)),
    tf.mul(tf.sub(1, mask), tf.log(tf.sub(1, p)))))) as tf.Scalar;
}

/** Random images and masks, fixed seed, so runs see the same data. */
function syntheticBatch(config: BenchConfig, batch: number): [tf.Tensor4D, tf.Tensor4D] {
  const shape: [number, number, number, number] = [batch, config.height, config.width, 1];
  const image = tf.randomUniform(shape, 0, 1, 'float32', 7) as tf.Tensor4D;
  const mask = tf.cast(tf.greater(tf.randomUniform(shape, 0, 1, 'float32', 8), 0.9),
    'float32') as tf.Tensor4D;
  return [image, mask];
}

/** A model, its Adam optimizer and one step function; dispose() frees all of it. */
function trainer(config: BenchConfig) {
  const model = buildUnet({ ...config, seed: 1 });
  const optimizer = tf.train.adam(1e-3);
  const [image, mask] = syntheticBatch(config, config.batchSize);
  const step = async (): Promise<void> => {
    const cost = optimizer.minimize(
      () => crossEntropy(mask, model.apply(image, { training: true }) as tf.Tensor), true,
    ) as tf.Scalar;
    await cost.data();
    cost.dispose();
  };
  const dispose = () => {
    tf.dispose([image, mask]);
    optimizer.dispose();
    model.dispose();
  };
  return { model, step, dispose };
}

/**
 * Times `steps` training steps (after `warmup` untimed ones) and as many single-image
 * inferences, on the wasm backend.
 * @param config input size, batch, width and depth of the U-Net.
 * @param warmup untimed runs first (XNNPACK sets up its operators on the first).
 * @param steps timed runs.
 * @returns the parameter count and the per-run milliseconds.
 * @example const times = await timeWasm(config, 2, 5);
 */
export async function timeWasm(
  config: BenchConfig, warmup: number, steps: number,
): Promise<BenchTimes> {
  await chooseBackend({ requested: 'wasm' });
  const { model, step, dispose } = trainer(config);
  const [single, singleMask] = syntheticBatch(config, 1);
  try {
    const training = await timed(warmup, steps, step);
    const inference = await timed(warmup, steps, async () => {
      const probability = tf.tidy(() => model.predict(single) as tf.Tensor);
      await probability.data();
      probability.dispose();
    });
    return {
      parameters: model.countParams(),
      stepMs: training.wall, stepCpuMs: training.cpu,
      inferenceMs: inference.wall, inferenceCpuMs: inference.cpu,
    };
  } finally {
    tf.dispose([single, singleMask]);
    dispose();
  }
}

/** Kernel milliseconds of one profiled call of `run`, summed by kernel name. */
async function profileOnce(run: () => Promise<unknown>): Promise<Map<string, KernelShare>> {
  const info = await tf.profile(async () => { await run(); });
  const byName = new Map<string, KernelShare>();
  // 'fusedConv2d__op' and the like are customGrad wrappers around kernels listed anyway.
  for (const kernel of info.kernels.filter((k) => !k.name.endsWith('__op'))) {
    const entry = byName.get(kernel.name) ?? { kernel: kernel.name, calls: 0, ms: 0, share: 0 };
    entry.calls += 1;
    entry.ms += await kernel.kernelTimeMs as number;
    byName.set(kernel.name, entry);
  }
  return byName;
}

/**
 * The kernels of a training step on wasm, aggregated by name: each kernel's time is the
 * least of `repeats` profiled steps (after a warm-up step), which keeps other work on the
 * machine out of the numbers as far as possible. Times are this process's CPU time (tfjs's
 * clock swapped for cpuMs while profiling); wasm runs on this one thread.
 * Composed kernels count as one: their inner kernels run outside the engine.
 * @param config the benchmark configuration.
 * @param repeats profiled steps.
 * @returns every kernel with its calls per step, milliseconds and share of their sum, slowest
 *   first.
 * @example (await profileWasmStep(config, 3)).slice(0, 10)
 */
export async function profileWasmStep(
  config: BenchConfig, repeats: number,
): Promise<KernelShare[]> {
  await chooseBackend({ requested: 'wasm' });
  const { step, dispose } = trainer(config);
  const platform = tf.env().platform;
  const wallClock = platform.now;
  try {
    await step();
    platform.now = cpuMs;
    const least = new Map<string, KernelShare>();
    for (let r = 0; r < repeats; r++) {
      for (const [name, entry] of await profileOnce(step)) {
        const known = least.get(name);
        if (known === undefined || entry.ms < known.ms) least.set(name, entry);
      }
    }
    const total = [...least.values()].reduce((sum, entry) => sum + entry.ms, 0);
    return [...least.values()]
      .map((entry) => ({ ...entry, share: entry.ms / total }))
      .sort((a, b) => b.ms - a.ms);
  } finally {
    platform.now = wallClock;
    dispose();
  }
}
