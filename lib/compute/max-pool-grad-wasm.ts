import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

import type { KernelArgs } from './kernel-plumbing.js';

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
  if (input.dtype !== 'float32' || dy.dtype !== 'float32') {
    throw new Error(
      `lib/compute/max-pool-grad-wasm.ts: MaxPoolGrad got input ${input.dtype} and dy ` +
        `${dy.dtype}; expected float32 for both`,
    );
  }
  const pool = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1,
    attrs.pad, attrs.dimRoundingMode,
  );

  // Allocate first: growing the wasm heap would detach heap views taken before it.
  const dx = backend.makeOutput(input.shape, 'float32');
  const xValues = backend.typedArrayFromHeap(input);
  const dyValues = backend.typedArrayFromHeap(dy);
  const dxValues = backend.typedArrayFromHeap(dx);
  dxValues.fill(0);

  const { inHeight, inWidth, inChannels: channels, outHeight, outWidth } = pool;
  const { effectiveFilterHeight: poolHeight, effectiveFilterWidth: poolWidth } = pool;
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
        for (let channel = 0; channel < channels; channel++, dyIndex++) {
          let best = Number.NEGATIVE_INFINITY;
          let bestAt = -1;
          for (let row = rowFrom; row < rowTo; row++) {
            let at = ((b * inHeight + row) * inWidth + colFrom) * channels + channel;
            for (let col = colFrom; col < colTo; col++, at += channels) {
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
