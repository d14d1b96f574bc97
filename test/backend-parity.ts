/**
 * Shared by the wasm kernel tests: the same computation on the cpu backend (the reference)
 * and on wasm, compared by relative error, with a check that wasm left nothing allocated.
 */
import assert from 'node:assert/strict';

import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

import { registerCpuTrainingKernels } from '../lib/compute/cpu-kernels.js';
import { registerWasmTrainingKernels } from '../lib/compute/wasm-kernels.js';
import { seededRandom } from '../lib/util/random.js';

/** The largest relative error a wasm result may have against the cpu backend. */
export const TOLERANCE = 1e-4;

/** Registers both backends' training kernels and makes wasm the active backend. */
export async function useTrainingKernels(): Promise<void> {
  registerWasmTrainingKernels();
  registerCpuTrainingKernels();
  await tf.setBackend('wasm');
  await tf.ready();
}

/** Values in [-1, 1) from a fixed seed, so both backends see identical inputs. */
export function randomValues(shape: readonly number[], seed: number): Float32Array {
  const rand = seededRandom(seed);
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => 2 * rand() - 1);
}

/** A tensor of randomValues. */
export function randomTensor(shape: readonly number[], seed: number): tf.Tensor {
  return tf.tensor(randomValues(shape, seed), [...shape]);
}

/** Largest absolute difference over the largest reference magnitude. */
export function relativeError(reference: ArrayLike<number>, actual: ArrayLike<number>): number {
  assert.equal(actual.length, reference.length, 'result sizes differ');
  let difference = 0;
  let scale = 0;
  for (let i = 0; i < reference.length; i++) {
    difference = Math.max(difference, Math.abs(reference[i] - actual[i]));
    scale = Math.max(scale, Math.abs(reference[i]));
  }
  return scale === 0 ? difference : difference / scale;
}

/** Tensors and backend buffers: a composed kernel leaking an intermediate shows in the latter. */
function allocations(): [number, number] {
  return [tf.memory().numTensors, tf.engine().backend.numDataIds()];
}

/**
 * Runs `compute` on cpu (the reference) and then on wasm; returns both flattened results
 * and asserts that neither run left a tensor or buffer behind.
 */
export async function onBothBackends(compute: () => tf.Tensor[]): Promise<Float32Array[][]> {
  const results: Float32Array[][] = [];
  for (const backendName of ['cpu', 'wasm']) {
    await tf.setBackend(backendName);
    const before = allocations();
    const outputs = tf.tidy(compute);
    results.push(outputs.map((t) => t.dataSync() as Float32Array));
    tf.dispose(outputs);
    assert.deepEqual(allocations(), before, `${backendName}: tensors or buffers leaked`);
  }
  return results;
}

/** Asserts every wasm output is within TOLERANCE of its cpu reference. */
export function assertClose(results: Float32Array[][], label: string): void {
  const [reference, actual] = results;
  reference.forEach((values, i) => {
    const error = relativeError(values, actual[i]);
    assert.ok(error < TOLERANCE, `${label}, output ${i}: relative error ${error}`);
  });
}

/** One kernel run directly through the engine (no gradient), as a compute function. */
export function kernelOf(
  kernelName: string, inputs: () => tf.NamedTensorMap | tf.Tensor[], attrs: object,
): () => tf.Tensor[] {
  return () => {
    const out = tf.engine().runKernel(kernelName, inputs() as tf.NamedTensorMap,
      attrs as tf.NamedAttrMap);
    return Array.isArray(out) ? out as tf.Tensor[] : [out as tf.Tensor];
  };
}
