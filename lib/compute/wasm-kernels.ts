import * as tf from '@tensorflow/tfjs';
// Loaded first so that its own kernels are registered before any of them is replaced.
import '@tensorflow/tfjs-backend-wasm';

import { makeBroadcastingWasm, makeTileWasm } from './broadcast-wasm.js';
import { makeConv2DBackpropInputWasm } from './conv-backprop-wasm.js';
import { conv2DBackpropFilterWasm } from './conv-filter-grad-wasm.js';
import {
  identityWasm, makeConcatWasm, makeSliceWasm, makeSplitVWasm,
} from './copy-kernels-wasm.js';
import {
  depthwiseConv2dNativeBackpropFilterWasm, makeDepthwiseBackpropInputWasm,
} from './depthwise-grad-wasm.js';
import { installKernel, wrapKernel } from './kernel-plumbing.js';
import { maxPoolGradWasm } from './max-pool-grad-wasm.js';
import { makeMeanWasm, makeSumWasm } from './sum-wasm.js';

/** Kernels the compositions below call: all must exist in @tensorflow/tfjs-backend-wasm. */
const BUILDING_BLOCKS = [
  'Add', 'BatchMatMul', 'Conv2D', 'DepthToSpace', 'DepthwiseConv2dNative', 'PadV2', 'Reverse',
  'Slice', 'Sum', 'Transpose',
];

/** Binary kernels whose large broadcasts become an explicit Tile (broadcast-wasm.ts). */
const BROADCASTING = ['Add', 'Sub', 'Multiply', 'RealDiv', 'SquaredDifference', 'Maximum',
  'Minimum'];

/**
 * Makes the wasm backend (tfjs 4.22) able to train a U-Net or an EfficientNet-style network,
 * correctly and as fast as we could make it on one thread:
 * - Conv2DBackpropFilter, missing in wasm, as im2col blocks times dy on XNNPACK;
 * - DepthwiseConv2dNativeBackpropFilter and -Input, missing in wasm (depthwise-grad-wasm.ts);
 * - MaxPoolGrad, whose native kernel is wrong for windows of values <= 0, replaced;
 * - Conv2DBackpropInput, whose native kernel is a plain loop (most of a training step),
 *   replaced by XNNPACK's Conv2D, or one matrix product for a 2x2 stride-2 transposed conv;
 * - Concat, Slice, SplitV, Identity, Sum and Mean over leading axes, whose native kernels
 *   copy or transpose more than needed, replaced by leaner ones (copy-kernels-wasm.ts,
 *   sum-wasm.ts);
 * - Tile and large broadcasts of the binary kernels (batch normalization's gradient), whose
 *   native kernels compute every index anew, replaced by copying (broadcast-wasm.ts).
 * A replaced kernel keeps its setup function, so a wrapped native kernel still finds its wasm
 * bindings. Every other gradient a U-Net uses (relu, sigmoid, log, mean, conv2dTranspose,
 * upSampling2d, batch norm) already matches the cpu backend on wasm.
 * Idempotent: a second call, or a call from another copy of this module, changes nothing.
 * NOTE: ResizeNearestNeighborGrad ignores halfPixelCenters: exact for integer scales only.
 * @throws Error when @tensorflow/tfjs-backend-wasm lacks a kernel this builds on.
 * @example registerWasmTrainingKernels(); await tf.setBackend('wasm');
 */
export function registerWasmTrainingKernels(): void {
  // Fail at registration, not mid-training, if a kernel the compositions call is absent.
  for (const kernelName of BUILDING_BLOCKS) {
    if (tf.getKernel(kernelName, 'wasm') === undefined) {
      throw new Error(
        `lib/compute/wasm-kernels.ts: wasm kernel '${kernelName}' is missing; expected ` +
          '@tensorflow/tfjs-backend-wasm 4.22',
      );
    }
  }
  installKernel('Conv2DBackpropFilter', 'wasm', () => conv2DBackpropFilterWasm);
  installKernel('DepthwiseConv2dNativeBackpropFilter', 'wasm',
    () => depthwiseConv2dNativeBackpropFilterWasm);
  installKernel('DepthwiseConv2dNativeBackpropInput', 'wasm', makeDepthwiseBackpropInputWasm);
  installKernel('MaxPoolGrad', 'wasm', () => maxPoolGradWasm);
  installKernel('Identity', 'wasm', () => identityWasm);
  wrapKernel('Conv2DBackpropInput', 'wasm', makeConv2DBackpropInputWasm);
  wrapKernel('Concat', 'wasm', makeConcatWasm);
  wrapKernel('Slice', 'wasm', makeSliceWasm);
  wrapKernel('SplitV', 'wasm', makeSplitVWasm);
  wrapKernel('Sum', 'wasm', makeSumWasm);
  wrapKernel('Mean', 'wasm', makeMeanWasm);
  wrapKernel('Tile', 'wasm', makeTileWasm);
  for (const kernelName of BROADCASTING) wrapKernel(kernelName, 'wasm', makeBroadcastingWasm);
}
