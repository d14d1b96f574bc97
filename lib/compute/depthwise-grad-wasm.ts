import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

import { backpropByCorrelation } from './conv-backprop-wasm.js';
import {
  assertFloat32, type KernelArgs, type KernelSite, release, reshapedView, runKernel,
} from './kernel-plumbing.js';

/**
 * The gradients of a depthwise convolution (EfficientNet's and MobileNet's blocks), which the
 * wasm backend of tfjs 4.22 lacks. Filter [fh, fw, C, M] (M = channel multiplier), output
 * channel c * M + m = input channel c convolved with filter[:, :, c, m].
 */

type Shape4D = [number, number, number, number];

function geometry(
  kernelName: string, inputShape: number[], filterShape: number[],
  attrs: tf.DepthwiseConv2dNativeBackpropFilterAttrs | tf.DepthwiseConv2dNativeBackpropInputAttrs,
): tf.backend_util.Conv2DInfo {
  const dilations = attrs.dilations ?? [1, 1];
  const conv = tf.backend_util.computeConv2DInfo(
    inputShape as Shape4D, filterShape as Shape4D, attrs.strides, dilations, attrs.pad,
    attrs.dimRoundingMode, true,
  );
  if (conv.dilationHeight !== 1 || conv.dilationWidth !== 1) {
    throw new Error(
      `lib/compute/depthwise-grad-wasm.ts: ${kernelName} got dilations ` +
        `${JSON.stringify(dilations)}; expected 1 (tfjs has no dilated depthwise gradient)`,
    );
  }
  return conv;
}

/**
 * DepthwiseConv2dNativeBackpropFilter for the wasm backend:
 *   dW[i, j, c, m] = sum over n, p, q of x[n, p*sh + i - top, q*sw + j - left, c]
 *                    * dy[n, p, q, c*M + m],
 * one pass over dy with the channels innermost, summed in double precision (as the cpu
 * backend does). Its work equals the forward depthwise convolution's, which is small next to
 * the 1x1 convolutions around it, so a plain loop suffices.
 * @param args the engine's kernel arguments: inputs x [N, H, W, C], dy [N, H', W', C*M];
 *   attrs strides, pad, dimRoundingMode, filterShape [fh, fw, C, M], dilations (1 only).
 * @returns dW [fh, fw, C, M].
 * @throws Error for dilations other than 1 or a dtype other than float32.
 * @example installKernel('DepthwiseConv2dNativeBackpropFilter', 'wasm',
 *   () => depthwiseConv2dNativeBackpropFilterWasm);
 */
export function depthwiseConv2dNativeBackpropFilterWasm(args: KernelArgs): tf.TensorInfo {
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
  const backend = args.backend as BackendWasm;
  assertFloat32('lib/compute/depthwise-grad-wasm.ts', 'DepthwiseConv2dNativeBackpropFilter',
    { x, dy });
  const conv = geometry('DepthwiseConv2dNativeBackpropFilter', x.shape, attrs.filterShape,
    attrs);
  const { inHeight, inWidth, inChannels: channels, outHeight, outWidth, outChannels } = conv;
  const { filterHeight, filterWidth, strideHeight, strideWidth } = conv;
  const multiplier = outChannels / channels;
  const totals = new Float64Array(filterHeight * filterWidth * outChannels);

  const dw = backend.makeOutput(attrs.filterShape, 'float32');
  const xValues = backend.typedArrayFromHeap(x) as Float32Array;
  const dyValues = backend.typedArrayFromHeap(dy) as Float32Array;
  let dyAt = 0;
  for (let n = 0; n < conv.batchSize; n++) {
    for (let p = 0; p < outHeight; p++) {
      for (let q = 0; q < outWidth; q++, dyAt += outChannels) {
        for (let i = 0; i < filterHeight; i++) {
          const h = p * strideHeight + i - conv.padInfo.top;
          if (h < 0 || h >= inHeight) continue;
          for (let j = 0; j < filterWidth; j++) {
            const w = q * strideWidth + j - conv.padInfo.left;
            if (w < 0 || w >= inWidth) continue;
            const xAt = ((n * inHeight + h) * inWidth + w) * channels;
            const tap = (i * filterWidth + j) * outChannels;
            // Filter [fh, fw, C, M] flattens (c, m) exactly as dy flattens c * M + m.
            for (let c = 0, k = 0; c < channels; c++) {
              const xValue = xValues[xAt + c];
              for (let m = 0; m < multiplier; m++, k++) {
                totals[tap + k] += xValue * dyValues[dyAt + k];
              }
            }
          }
        }
      }
    }
  }
  (backend.typedArrayFromHeap(dw) as Float32Array).set(totals);
  return dw;
}

/**
 * DepthwiseConv2dNativeBackpropInput for the wasm backend, on XNNPACK's depthwise
 * convolution: every dy channel c*M + m is correlated with its own filter rotated 180 degrees
 * (a depthwise convolution of dy with multiplier 1, after spreading by the stride), and the
 * M results of each input channel are summed.
 * @param previous the kernel registered before, if any (wasm 4.22 has none); unused.
 * @returns the kernel function; dx has attrs.inputShape.
 * @throws Error (from the kernel) for dilations other than 1.
 * @example installKernel('DepthwiseConv2dNativeBackpropInput', 'wasm',
 *   makeDepthwiseBackpropInputWasm);
 */
export function makeDepthwiseBackpropInputWasm(
  previous?: tf.KernelConfig,
): tf.KernelFunc {
  void previous;
  return (args: KernelArgs): tf.TensorInfo => {
    const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const attrs = args.attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
    const site: KernelSite = { backendName: 'wasm', backend: args.backend as BackendWasm };
    const conv = geometry('DepthwiseConv2dNativeBackpropInput', attrs.inputShape, filter.shape,
      attrs);
    const [filterHeight, filterWidth, channels, multiplier] = filter.shape;

    const rotated = runKernel(site, 'Reverse', { x: filter }, { dims: [0, 1] });
    const perOutputChannel = backpropByCorrelation(site, dy, conv, (spread, pad) =>
      runKernel(site, 'DepthwiseConv2dNative', {
        x: spread,
        filter: reshapedView(rotated, [filterHeight, filterWidth, channels * multiplier, 1]),
      }, { strides: [1, 1], dilations: [1, 1], pad, dataFormat: 'NHWC' }));
    release(site, rotated);
    if (multiplier === 1) return perOutputChannel;

    const [batch, height, width] = attrs.inputShape;
    const dx = runKernel(site, 'Sum', {
      x: reshapedView(perOutputChannel, [batch, height, width, channels, multiplier]),
    }, { axis: [4], keepDims: false });
    release(site, perOutputChannel);
    return dx;
  };
}
