import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

import type { KernelArgs } from './kernel-plumbing.js';

/** Values per block of rows summed while in cache (128 KiB). */
const SUM_BLOCK = 32 * 1024;

/**
 * The leading-axes count k when `axes` are exactly 0 .. k-1 and leave at least one axis;
 * 0 otherwise.
 */
function leadingAxes(axes: number[], rank: number): number {
  const sorted = [...axes].sort((a, b) => a - b);
  const isLeading = sorted.every((axis, i) => axis === i);
  return isLeading && sorted.length < rank ? sorted.length : 0;
}

/**
 * Adds the column sums of rows [start, end) of a row-major matrix with `columns` columns to
 * `totals`. A block of rows at a time (it stays in cache), four columns at a time within it
 * where they divide evenly: the running totals live in registers instead of being loaded and
 * stored per value (2-3x faster than one column at a time).
 */
function addColumns(
  values: Float32Array, start: number, end: number, columns: number, totals: Float64Array,
): void {
  const step = columns % 4 === 0 ? 4 : 1;
  for (let column = 0; column < columns; column += step) {
    if (step === 1) {
      let total = 0;
      for (let at = start + column; at < end; at += columns) total += values[at];
      totals[column] += total;
      continue;
    }
    let [t0, t1, t2, t3] = [0, 0, 0, 0];
    for (let at = start + column; at < end; at += columns) {
      t0 += values[at];
      t1 += values[at + 1];
      t2 += values[at + 2];
      t3 += values[at + 3];
    }
    totals[column] += t0;
    totals[column + 1] += t1;
    totals[column + 2] += t2;
    totals[column + 3] += t3;
  }
}

/**
 * A reduction over the leading axes of a float32 tensor, summed here in double precision
 * (as the cpu backend does); divided by the count of summed values when `mean`.
 * @returns undefined when the reduction is not over leading axes only (native handles it).
 */
function reduceLeading(args: KernelArgs, mean: boolean): tf.TensorInfo | undefined {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const attrs = args.attrs as unknown as tf.SumAttrs;
  if (x.dtype !== 'float32') return undefined;
  const leading = leadingAxes(tf.util.parseAxisParam(attrs.axis, x.shape), x.shape.length);
  if (leading === 0) return undefined;

  const backend = args.backend as BackendWasm;
  const kept = x.shape.slice(leading);
  const outShape = attrs.keepDims ? [...new Array<number>(leading).fill(1), ...kept] : kept;
  const out = backend.makeOutput(outShape, 'float32');
  const columns = tf.util.sizeFromShape(kept);
  if (columns === 0) return out;
  const values = backend.typedArrayFromHeap(x) as Float32Array;
  const totals = new Float64Array(columns);
  const block = columns * Math.max(1, Math.floor(SUM_BLOCK / columns));
  for (let start = 0; start < values.length; start += block) {
    addColumns(values, start, Math.min(values.length, start + block), columns, totals);
  }
  const scale = mean ? columns / values.length : 1;
  (backend.typedArrayFromHeap(out) as Float32Array).set(totals.map((total) => total * scale));
  return out;
}

/**
 * Sum for the wasm backend: a sum over the leading axes (the bias gradient of a convolution
 * sums dy [N, H, W, C] over N, H and W) is added up row by row here, where the native kernel
 * first transposes the whole tensor so that the summed axes come last. Every other sum goes
 * to `native`.
 * @param native the kernel it replaces.
 * @returns the kernel function.
 * @example wrapKernel('Sum', 'wasm', makeSumWasm);
 */
export function makeSumWasm(native: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs) => reduceLeading(args, false) ?? native(args);
}

/**
 * Mean for the wasm backend, the same way (batch normalization's moments are means over
 * N, H and W).
 * @param native the kernel it replaces.
 * @returns the kernel function.
 * @example wrapKernel('Mean', 'wasm', makeMeanWasm);
 */
export function makeMeanWasm(native: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs) => reduceLeading(args, true) ?? native(args);
}
