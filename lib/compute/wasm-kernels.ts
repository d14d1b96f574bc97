import * as tf from '@tensorflow/tfjs';
// Loaded first so that its own kernels are registered before any of them is replaced.
import '@tensorflow/tfjs-backend-wasm';

import { conv2DBackpropFilterWasm, makeConv2DBackpropInputWasm } from './conv-backprop-wasm.js';
import { installKernel, wrapKernel } from './kernel-plumbing.js';
import { maxPoolGradWasm } from './max-pool-grad-wasm.js';

/**
 * Makes the wasm backend (tfjs 4.22) able to train a U-Net, correctly and fast enough:
 * - Conv2DBackpropFilter, missing in wasm (so no conv net could train), composed from
 *   Transpose, Conv2D and Slice;
 * - MaxPoolGrad, whose native kernel is wrong for windows of values <= 0, replaced;
 * - Conv2DBackpropInput, whose native kernel is a plain loop (most of a training step),
 *   replaced by a composition on XNNPACK's Conv2D.
 * Every other gradient a U-Net uses (relu, sigmoid, log, mean, concat, slice, conv2dTranspose,
 * upSampling2d, batch norm) already matches the cpu backend on wasm.
 * Idempotent: a second call, or a call from another copy of this module, changes nothing.
 * NOTE: depthwise/separable convolution gradients stay missing on wasm (a U-Net needs none).
 * NOTE: ResizeNearestNeighborGrad ignores halfPixelCenters: exact for integer scales only.
 * @throws Error when @tensorflow/tfjs-backend-wasm lacks a kernel this builds on.
 * @example registerWasmTrainingKernels(); await tf.setBackend('wasm');
 */
export function registerWasmTrainingKernels(): void {
  installKernel('Conv2DBackpropFilter', 'wasm', () => conv2DBackpropFilterWasm);
  installKernel('MaxPoolGrad', 'wasm', () => maxPoolGradWasm);
  wrapKernel('Conv2DBackpropInput', 'wasm', makeConv2DBackpropInputWasm);
  // Fail at registration, not mid-training, if a kernel the compositions call is absent.
  for (const kernelName of ['Conv2D', 'Transpose', 'Slice', 'PadV2', 'Reverse']) {
    if (tf.getKernel(kernelName, 'wasm') === undefined) {
      throw new Error(
        `lib/compute/wasm-kernels.ts: wasm kernel '${kernelName}' is missing; expected ` +
          '@tensorflow/tfjs-backend-wasm 4.22',
      );
    }
  }
}
