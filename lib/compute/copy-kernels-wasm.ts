import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

import { heapWords, type KernelArgs } from './kernel-plumbing.js';

/**
 * Kernels that only move values, for the wasm backend. Its own Concat, Slice and SplitV
 * (tfjs 4.22) copy one innermost run at a time through set(subarray), and Slice first copies
 * its whole input out of the heap; for a U-Net's concatenation of channels (runs of 8 to 64
 * floats, a quarter million of them) that took a tenth of a training step. These copy short
 * runs element by element on the heap and long ones with copyWithin.
 */

/** Runs shorter than this are copied element by element (measured break-even: ~32). */
const SHORT_RUN = 32;

/**
 * Copies `runs` runs of `run` words: run k from source + k * sourceStride to
 * target + k * targetStride.
 */
function copyRuns(
  heap: Int32Array, source: number, sourceStride: number, target: number,
  targetStride: number, run: number, runs: number,
): void {
  if (run >= SHORT_RUN) {
    for (let k = 0; k < runs; k++) {
      const from = source + k * sourceStride;
      heap.copyWithin(target + k * targetStride, from, from + run);
    }
    return;
  }
  for (let k = 0; k < runs; k++) {
    const from = source + k * sourceStride;
    const to = target + k * targetStride;
    for (let e = 0; e < run; e++) heap[to + e] = heap[from + e];
  }
}

/** Whether the fast paths apply: 4-byte values (bool and string stay with the native kernel). */
function wordSized(info: tf.TensorInfo): boolean {
  return info.dtype === 'float32' || info.dtype === 'int32';
}

/**
 * Slice of a float32 / int32 tensor by begin and size (already parsed, no -1).
 * The trailing axes the slice takes whole merge into one run; the axes before it are walked.
 */
function sliceWords(
  backend: BackendWasm, x: tf.TensorInfo, begin: number[], size: number[],
): tf.TensorInfo {
  const out = backend.makeOutput(size, x.dtype);
  if (tf.util.sizeFromShape(size) === 0) return out;
  const rank = x.shape.length;
  const strides = [...tf.util.computeStrides(x.shape), 1];
  let axis = rank - 1;
  while (axis > 0 && begin[axis] === 0 && size[axis] === x.shape[axis]) axis--;
  const run = size[axis] * strides[axis];

  const { heap, offset: source } = heapWords(backend, x);
  let target = heapWords(backend, out).offset;
  // Odometer over the axes before `axis`; `from` follows it incrementally.
  const index = new Array<number>(axis).fill(0);
  let from = source + begin.reduce((sum, b, a) => sum + b * strides[a], 0);
  const innerRuns = axis === 0 ? 1 : size[axis - 1];
  const innerStride = axis === 0 ? 0 : strides[axis - 1];
  for (;;) {
    copyRuns(heap, from, innerStride, target, run, run, innerRuns);
    target += run * innerRuns;
    let a = axis - 2;
    for (; a >= 0; a--) {
      index[a]++;
      from += strides[a];
      if (index[a] < size[a]) break;
      from -= index[a] * strides[a];
      index[a] = 0;
    }
    if (a < 0) return out;
  }
}

/**
 * Slice for the wasm backend (see the file comment); other dtypes go to `native`.
 * @param native the kernel it replaces.
 * @returns the kernel function.
 * @example wrapKernel('Slice', 'wasm', makeSliceWasm);
 */
export function makeSliceWasm(native: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (!wordSized(x)) return native(args);
    const attrs = args.attrs as unknown as tf.SliceAttrs;
    const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, attrs.begin, attrs.size);
    return sliceWords(args.backend as BackendWasm, x, begin, size);
  };
}

/**
 * SplitV for the wasm backend: one slice per part (the native kernel calls its own Slice).
 * @param native the kernel it replaces, still used for bool and string tensors.
 * @returns the kernel function.
 * @example wrapKernel('SplitV', 'wasm', makeSplitVWasm);
 */
export function makeSplitVWasm(native: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (!wordSized(x)) return native(args);
    const attrs = args.attrs as unknown as tf.SplitVAttrs;
    const axis = tf.util.parseAxisParam(attrs.axis, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, attrs.numOrSizeSplits, axis);
    const begin = new Array<number>(x.shape.length).fill(0);
    return sizes.map((part) => {
      const size = [...x.shape];
      size[axis] = part;
      const out = sliceWords(args.backend as BackendWasm, x, [...begin], size);
      begin[axis] += part;
      return out;
    });
  };
}

/**
 * Concat for the wasm backend (see the file comment); other dtypes go to `native`.
 * @param native the kernel it replaces.
 * @returns the kernel function.
 * @example wrapKernel('Concat', 'wasm', makeConcatWasm);
 */
export function makeConcatWasm(native: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs) => {
    const inputs = args.inputs as unknown as tf.TensorInfo[];
    const parts = inputs.filter((t) => tf.util.sizeFromShape(t.shape) > 0);
    if (parts.length < 2 || !parts.every(wordSized) ||
      parts.some((t) => t.dtype !== parts[0].dtype)) {
      return native(args);
    }
    const backend = args.backend as BackendWasm;
    const axis = tf.util.parseAxisParam((args.attrs as unknown as tf.ConcatAttrs).axis,
      inputs[0].shape)[0];
    tf.backend_util.assertParamsConsistent(inputs.map((t) => t.shape), axis);
    const outShape = tf.backend_util.computeOutShape(inputs.map((t) => t.shape), axis);
    const out = backend.makeOutput(outShape, parts[0].dtype);

    const rows = tf.util.sizeFromShape(outShape.slice(0, axis));
    const outRow = tf.util.sizeFromShape(outShape.slice(axis));
    const { heap, offset: target } = heapWords(backend, out);
    let column = 0;
    for (const part of parts) {
      const partRow = tf.util.sizeFromShape(part.shape.slice(axis));
      const source = heapWords(backend, part).offset;
      copyRuns(heap, source, partRow, target + column, outRow, partRow, rows);
      column += partRow;
    }
    return out;
  };
}

/**
 * Identity for the wasm backend as the cpu backend does it: the output shares the input's
 * data (reference counted), where the native kernel copies every value. The engine calls it
 * to keep each tensor a gradient needs; wasm never writes a tensor in place, so sharing is
 * safe (Reshape shares the same way).
 * @param args the engine's kernel arguments: input x.
 * @returns a tensor info on x's data.
 * @example installKernel('Identity', 'wasm', () => identityWasm);
 */
export function identityWasm(args: KernelArgs): tf.TensorInfo {
  const { x } = args.inputs as { x: tf.TensorInfo };
  (args.backend as BackendWasm).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}
