import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

import {
  assertFloat32, heapWords, type KernelArgs, type KernelSite, release, reshapedView, runKernel,
} from './kernel-plumbing.js';

/**
 * Floats of one block of patches (16 MiB): bounds the extra memory of a filter gradient
 * (whole patch matrices of a 704x352 U-Net level would take over 1 GiB); longer blocks
 * measured no faster.
 */
export const PATCH_BLOCK_FLOATS = 4 * 1024 * 1024;

/** Where the windows of a convolution sit, from computeConv2DInfo. */
interface Geometry {
  batch: number;
  channels: number;
  height: number;
  width: number;
  outHeight: number;
  outWidth: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  top: number;
  left: number;
}

/**
 * Writes the patches of output rows [rowFrom, rowTo) (rows of all images counted together)
 * as a matrix [filterHeight * filterWidth * channels, (rowTo - rowFrom) * outWidth]: row
 * (i, j, c) holds, for every output pixel, x[c] at filter tap (i, j); zero in the padding.
 * The row order is the filter's [fh, fw, Cin] order, so patches x dy is the filter gradient.
 * copyWithin on the heap moves a run without allocating: several times faster here than
 * set(subarray) or an element loop.
 * @param heap the wasm heap; x transposed to [Cin, N, H, W] starts at `source`, the patch
 *   matrix is written from `target`.
 */
function fillPatches(
  heap: Int32Array, source: number, target: number, g: Geometry, rowFrom: number,
  rowTo: number,
): void {
  const { outWidth, strideWidth: stride } = g;
  let at = target;
  for (let i = 0; i < g.filterHeight; i++) {
    for (let j = 0; j < g.filterWidth; j++) {
      // Output columns whose window column j falls inside the image.
      const shift = j - g.left;
      const qFrom = Math.min(outWidth, Math.max(0, Math.ceil(-shift / stride)));
      const qTo = Math.max(qFrom,
        Math.min(outWidth, Math.floor((g.width - 1 - shift) / stride) + 1));
      for (let c = 0; c < g.channels; c++) {
        for (let row = rowFrom; row < rowTo; row++, at += outWidth) {
          const n = Math.floor(row / g.outHeight);
          const h = (row - n * g.outHeight) * g.strideHeight + i - g.top;
          if (h < 0 || h >= g.height || qFrom === qTo) {
            heap.fill(0, at, at + outWidth);
            continue;
          }
          const from = source + ((c * g.batch + n) * g.height + h) * g.width + shift;
          if (qFrom > 0) heap.fill(0, at, at + qFrom);
          if (stride === 1) {
            heap.copyWithin(at + qFrom, from + qFrom, from + qTo);
          } else {
            for (let q = qFrom; q < qTo; q++) heap[at + q] = heap[from + q * stride];
          }
          if (qTo < outWidth) heap.fill(0, at + qTo, at + outWidth);
        }
      }
    }
  }
}

/** Rows [rowFrom, rowTo) of a float32 matrix, copied out (wasm's Slice first reads it all). */
function copyRows(
  backend: BackendWasm, matrix: tf.TensorInfo, rowFrom: number, rowTo: number,
): tf.TensorInfo {
  const columns = matrix.shape[1];
  const block = backend.makeOutput([rowTo - rowFrom, columns], 'float32');
  const { heap, offset: from } = heapWords(backend, matrix);
  const start = from + rowFrom * columns;
  heap.copyWithin(heapWords(backend, block).offset, start, start + (rowTo - rowFrom) * columns);
  return block;
}

/** The geometry of the convolution whose filter gradient is asked for. */
function geometryOf(x: tf.TensorInfo, attrs: tf.Conv2DBackpropFilterAttrs): Geometry {
  const conv = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], attrs.filterShape, attrs.strides, 1,
    attrs.pad, attrs.dimRoundingMode,
  );
  return {
    batch: conv.batchSize, channels: conv.inChannels, height: conv.inHeight,
    width: conv.inWidth, outHeight: conv.outHeight, outWidth: conv.outWidth,
    filterHeight: conv.filterHeight, filterWidth: conv.filterWidth,
    strideHeight: conv.strideHeight, strideWidth: conv.strideWidth,
    top: conv.padInfo.top, left: conv.padInfo.left,
  };
}

/**
 * Conv2DBackpropFilter for the wasm backend, which lacks it, as matrix products over blocks
 * of output rows: dW[(i, j, ci), co] = sum over pixels of patch[(i, j, ci), pixel] *
 * dy[pixel, co]. The patches are copied out of x a block at a time (im2col) and each product
 * runs on XNNPACK's fully connected operator (wasm's BatchMatMul without transposes), about
 * 1.5x faster than the former composition (a dilated Conv2D over transposed x and dy).
 * @param args the engine's kernel arguments: inputs x [N, H, W, Cin] and dy [N, H', W', Cout];
 *   attrs strides, pad ('same', 'valid', a number or explicit), dimRoundingMode, filterShape.
 * @returns the filter gradient [fh, fw, Cin, Cout] (intermediates already freed).
 * @throws Error for dataFormat 'NCHW' or a dtype other than float32.
 * @example tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'wasm',
 *   kernelFunc: conv2DBackpropFilterWasm });
 */
export function conv2DBackpropFilterWasm(args: KernelArgs): tf.TensorInfo {
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const backend = args.backend as BackendWasm;
  const site: KernelSite = { backendName: 'wasm', backend };
  assertFloat32('lib/compute/conv-filter-grad-wasm.ts', 'Conv2DBackpropFilter', { x, dy });
  if (attrs.dataFormat === 'NCHW') {
    throw new Error("lib/compute/conv-filter-grad-wasm.ts: Conv2DBackpropFilter got " +
      "dataFormat 'NCHW'; expected 'NHWC' (the wasm backend convolves channels-last only)");
  }
  const g = geometryOf(x, attrs);
  const outChannels = attrs.filterShape[3];
  const patchRows = g.filterHeight * g.filterWidth * g.channels;
  const outRows = g.batch * g.outHeight;
  const rowsPerBlock = Math.max(1, Math.floor(PATCH_BLOCK_FLOATS / (patchRows * g.outWidth)));

  const xByChannel = runKernel(site, 'Transpose', { x }, { perm: [3, 0, 1, 2] });
  const dyRows = reshapedView(dy, [outRows, g.outWidth * outChannels]);
  let gradient: tf.TensorInfo | undefined;
  for (let rowFrom = 0; rowFrom < outRows; rowFrom += rowsPerBlock) {
    const rowTo = Math.min(outRows, rowFrom + rowsPerBlock);
    const pixels = (rowTo - rowFrom) * g.outWidth;
    const whole = rowFrom === 0 && rowTo === outRows;
    const dyBlock = whole ? dy : copyRows(backend, dyRows, rowFrom, rowTo);
    const patches = backend.makeOutput([1, patchRows, pixels], 'float32');
    // Heap views only after the last allocation: growing the heap detaches earlier ones.
    const { heap, offset: source } = heapWords(backend, xByChannel);
    fillPatches(heap, source, heapWords(backend, patches).offset, g, rowFrom, rowTo);
    const part = runKernel(site, 'BatchMatMul', {
      a: patches, b: reshapedView(dyBlock, [1, pixels, outChannels]),
    }, { transposeA: false, transposeB: false });
    release(site, patches);
    if (!whole) release(site, dyBlock);
    if (gradient === undefined) {
      gradient = part;
    } else {
      const sum = runKernel(site, 'Add', { a: gradient, b: part });
      release(site, gradient, part);
      gradient = sum;
    }
  }
  release(site, xByChannel);
  if (gradient === undefined) {
    const empty = backend.makeOutput(attrs.filterShape, 'float32');
    backend.typedArrayFromHeap(empty).fill(0);
    return empty;
  }
  return reshapedView(gradient, attrs.filterShape);
}
