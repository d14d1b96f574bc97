import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

import { heapWords, type KernelArgs, type KernelSite, release } from './kernel-plumbing.js';

/**
 * Broadcasting on the wasm backend. Its Tile (tfjs 4.22) computes every output index anew,
 * and its binary kernels broadcast the same way, 5-7 times slower than on equal shapes;
 * a batch-normalized U-Net tiles and broadcasts per-channel vectors over whole activation
 * maps in every gradient, which made Tile alone a third of a training step. Here tiling is
 * copying: one run per source row, then doubling copies, and a large broadcast becomes an
 * explicit tile followed by the native kernel on equal shapes.
 */

/** Outputs smaller than this keep the native broadcasting (the extra tensor costs more). */
const EXPLICIT_BROADCAST_FROM = 1 << 14;

/**
 * Writes x tiled by `reps` from `target`: the first repetition of each axis is built from the
 * source (recursively, innermost axis copied as one run), then copied reps - 1 more times by
 * doubling.
 */
function tileInto(
  heap: Int32Array, source: number, target: number, shape: number[], reps: number[],
  axis: number, sourceStrides: number[], targetStrides: number[],
): void {
  const count = shape[axis];
  if (axis === shape.length - 1) {
    heap.copyWithin(target, source, source + count);
  } else {
    for (let i = 0; i < count; i++) {
      tileInto(heap, source + i * sourceStrides[axis], target + i * targetStrides[axis],
        shape, reps, axis + 1, sourceStrides, targetStrides);
    }
  }
  const block = count * targetStrides[axis];
  const total = block * reps[axis];
  for (let filled = block; filled < total;) {
    const length = Math.min(filled, total - filled);
    heap.copyWithin(target + filled, target, target + length);
    filled += length;
  }
}

/**
 * x tiled by `reps` (float32 or int32): a new tensor the caller owns.
 * @param backend the wasm backend.
 * @param x the tensor to repeat.
 * @param reps repetitions per axis, as many as x has axes.
 * @returns the tiled tensor, shape x.shape[i] * reps[i].
 * @example tileWords(backend, bias, [4, 176, 352, 1])
 */
export function tileWords(backend: BackendWasm, x: tf.TensorInfo, reps: number[]): tf.TensorInfo {
  const outShape = x.shape.map((size, i) => size * reps[i]);
  const out = backend.makeOutput(outShape, x.dtype);
  if (tf.util.sizeFromShape(outShape) === 0) return out;
  if (x.shape.length === 0) {
    backend.typedArrayFromHeap(out).fill(backend.typedArrayFromHeap(x)[0]);
    return out;
  }
  const { heap, offset: source } = heapWords(backend, x);
  const target = heapWords(backend, out).offset;
  tileInto(heap, source, target, x.shape, reps, 0, [...tf.util.computeStrides(x.shape), 1],
    [...tf.util.computeStrides(outShape), 1]);
  return out;
}

/**
 * Tile for the wasm backend (see the file comment); bool and string go to `native`.
 * @param native the kernel it replaces.
 * @returns the kernel function.
 * @example wrapKernel('Tile', 'wasm', makeTileWasm);
 */
export function makeTileWasm(native: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (x.dtype !== 'float32' && x.dtype !== 'int32') return native(args);
    return tileWords(args.backend as BackendWasm, x, (args.attrs as unknown as tf.TileAttrs).reps);
  };
}

/** `info` repeated up to `outShape` (leading axes added), or undefined when it already is. */
function expanded(
  backend: BackendWasm, info: tf.TensorInfo, outShape: number[],
): tf.TensorInfo | undefined {
  if (tf.util.arraysEqual(info.shape, outShape)) return undefined;
  const shape = [...new Array<number>(outShape.length - info.shape.length).fill(1), ...info.shape];
  const view = { dataId: info.dataId, shape, dtype: info.dtype };
  return tileWords(backend, view, outShape.map((size, i) => size / shape[i]));
}

/**
 * A binary kernel (Add, Sub, Multiply, ...) for the wasm backend that broadcasts large
 * outputs explicitly (see the file comment); equal shapes, small outputs and other dtypes go
 * straight to `native`.
 * @param native the kernel it wraps.
 * @returns the kernel function.
 * @example wrapKernel('Multiply', 'wasm', makeBroadcastingWasm);
 */
export function makeBroadcastingWasm(native: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    if (tf.util.arraysEqual(a.shape, b.shape) || a.dtype !== 'float32' ||
      b.dtype !== 'float32') {
      return native(args);
    }
    const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    if (tf.util.sizeFromShape(outShape) < EXPLICIT_BROADCAST_FROM) return native(args);
    const backend = args.backend as BackendWasm;
    const site: KernelSite = { backendName: 'wasm', backend };
    const fullA = expanded(backend, a, outShape);
    const fullB = expanded(backend, b, outShape);
    const out = native({ ...args, inputs: { a: fullA ?? a, b: fullB ?? b } });
    release(site, ...[fullA, fullB].filter((t): t is tf.TensorInfo => t !== undefined));
    return out;
  };
}
