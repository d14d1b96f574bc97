import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

import { assertFloat32, type KernelArgs } from './kernel-plumbing.js';

/**
 * The U-Net's case, 2x2 windows with stride 2 lying inside the input: the four cells are
 * compared unrolled (half the time of the general loop). Same rule as the general loop.
 */
function gradient2x2(
  x: Float32Array, dy: Float32Array, dx: Float32Array, pool: tf.backend_util.Conv2DInfo,
): void {
  const { inHeight, inWidth, inChannels: channels, outHeight, outWidth } = pool;
  const right = channels;
  const below = inWidth * channels;
  let dyIndex = 0;
  for (let b = 0; b < pool.batchSize; b++) {
    for (let outRow = 0; outRow < outHeight; outRow++) {
      let cell = ((b * inHeight + 2 * outRow) * inWidth) * channels;
      for (let outCol = 0; outCol < outWidth; outCol++, cell += channels) {
        for (let end = cell + channels; cell < end; cell++, dyIndex++) {
          let best = Number.NEGATIVE_INFINITY;
          let bestAt = -1;
          if (x[cell] > best) { best = x[cell]; bestAt = cell; }
          if (x[cell + right] > best) { best = x[cell + right]; bestAt = cell + right; }
          if (x[cell + below] > best) { best = x[cell + below]; bestAt = cell + below; }
          if (x[cell + below + right] > best) bestAt = cell + below + right;
          if (bestAt >= 0) dx[bestAt] += dy[dyIndex];
        }
      }
    }
  }
}

/**
 * MaxPoolGrad for the wasm backend, replacing its native kernel: in tfjs 4.22 that kernel
 * (like MaxPoolWithArgmax) starts each window's running maximum at FLT_MIN, the smallest
 * positive float, so a window whose values are all <= 0 sends its gradient to the window's
 * first cell instead of its maximum. This one follows the cpu backend: the gradient of each
 * output goes to the first cell (row-major) holding the window's maximum; padding and NaN
 * never win; overlapping windows add up.
 * @param args the engine's kernel arguments: inputs dy and input (the pooled x), attrs
 *   filterSize, strides, pad, dimRoundingMode.
 * @returns dx, shaped like the pooled input.
 * @throws Error when the pooled input is not float32.
 * @example tf.registerKernel({ kernelName: 'MaxPoolGrad', backendName: 'wasm',
 *   kernelFunc: maxPoolGradWasm });
 */
export function maxPoolGradWasm(args: KernelArgs): tf.TensorInfo {
  const { dy, input } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const attrs = args.attrs as unknown as tf.MaxPoolGradAttrs;
  const backend = args.backend as BackendWasm;
  assertFloat32('lib/compute/max-pool-grad-wasm.ts', 'MaxPoolGrad', { dy, input });
  const pool = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1,
    attrs.pad, attrs.dimRoundingMode,
  );

  const { inHeight, inWidth, inChannels: channels, outHeight, outWidth } = pool;
  const { effectiveFilterHeight: poolHeight, effectiveFilterWidth: poolWidth } = pool;
  // Allocate first: growing the wasm heap would detach heap views taken before it.
  const dx = backend.makeOutput(input.shape, 'float32');
  const xValues = backend.typedArrayFromHeap(input) as Float32Array;
  const dyValues = backend.typedArrayFromHeap(dy) as Float32Array;
  const dxValues = backend.typedArrayFromHeap(dx) as Float32Array;
  dxValues.fill(0);
  const tiled2x2 = poolHeight === 2 && poolWidth === 2 && pool.strideHeight === 2 &&
    pool.strideWidth === 2 && pool.padInfo.top === 0 && pool.padInfo.left === 0 &&
    inHeight >= 2 * outHeight && inWidth >= 2 * outWidth;
  if (tiled2x2) {
    gradient2x2(xValues, dyValues, dxValues, pool);
    return dx;
  }
  let dyIndex = 0;
  for (let b = 0; b < pool.batchSize; b++) {
    for (let outRow = 0; outRow < outHeight; outRow++) {
      const rowStart = outRow * pool.strideHeight - pool.padInfo.top;
      const rowFrom = Math.max(0, rowStart);
      const rowTo = Math.min(inHeight, rowStart + poolHeight);
      for (let outCol = 0; outCol < outWidth; outCol++) {
        const colStart = outCol * pool.strideWidth - pool.padInfo.left;
        const colFrom = Math.max(0, colStart);
        const colTo = Math.min(inWidth, colStart + poolWidth);
        const corner = ((b * inHeight + rowFrom) * inWidth + colFrom) * channels;
        // One channel at a time, so the running maximum stays in a register.
        for (let channel = 0; channel < channels; channel++, dyIndex++) {
          let best = Number.NEGATIVE_INFINITY;
          let bestAt = -1;
          for (let row = rowFrom, rowAt = corner + channel; row < rowTo;
            row++, rowAt += inWidth * channels) {
            for (let col = colFrom, at = rowAt; col < colTo; col++, at += channels) {
              if (xValues[at] > best) {
                best = xValues[at];
                bestAt = at;
              }
            }
          }
          if (bestAt >= 0) dxValues[bestAt] += dyValues[dyIndex];
        }
      }
    }
  }
  return dx;
}
