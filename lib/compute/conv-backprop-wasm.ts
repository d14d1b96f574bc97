import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

import {
  type KernelArgs, type KernelSite, release, reshapedView, runKernel,
} from './kernel-plumbing.js';

type Shape4D = [number, number, number, number];

/** Explicit NHWC padding in the form the Conv2D kernel accepts. */
function explicitPad(top: number, bottom: number, left: number, right: number) {
  return [[0, 0], [top, bottom], [left, right], [0, 0]];
}

function rejectNchw(kernelName: string, dataFormat: string | undefined): void {
  if (dataFormat === 'NCHW') {
    throw new Error(
      `lib/compute/conv-backprop-wasm.ts: ${kernelName} got dataFormat 'NCHW'; ` +
        "expected 'NHWC' (the wasm backend convolves channels-last only)",
    );
  }
}

/**
 * Conv2DBackpropFilter for the wasm backend, which lacks it: the filter gradient is itself
 * one convolution, with x seen as a batch of its input channels, dy as the filter and the
 * stride of the forward convolution as the dilation, so XNNPACK's Conv2D does the work.
 *   dW[i, j, ci, co] = sum over n, p, q of xPadded[n, p*sh + i, q*sw + j, ci] * dy[n, p, q, co]
 * @param args the engine's kernel arguments: inputs x [N, H, W, Cin] and dy [N, H', W', Cout];
 *   attrs strides, pad ('same', 'valid', a number or explicit), dimRoundingMode, filterShape.
 * @returns the filter gradient [fh, fw, Cin, Cout] (intermediates already freed).
 * @throws Error for dataFormat 'NCHW'.
 * @example tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'wasm',
 *   kernelFunc: conv2DBackpropFilterWasm });
 */
export function conv2DBackpropFilterWasm(args: KernelArgs): tf.TensorInfo {
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const site: KernelSite = { backendName: 'wasm', backend: args.backend as BackendWasm };
  rejectNchw('Conv2DBackpropFilter', attrs.dataFormat);
  const [filterHeight, filterWidth] = attrs.filterShape;
  const conv = tf.backend_util.computeConv2DInfo(
    x.shape as Shape4D, attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode,
  );
  const [, height, width] = x.shape;
  const [, outHeight, outWidth] = dy.shape;
  const { strideHeight, strideWidth } = conv;
  const { top, left } = conv.padInfo;

  // Pad x at the end just enough that the last output row/column sees a full window; rows
  // beyond that (possible with 'valid' and stride > 1) only lengthen the result: sliced off.
  const bottom = Math.max(0, (outHeight - 1) * strideHeight + filterHeight - top - height);
  const right = Math.max(0, (outWidth - 1) * strideWidth + filterWidth - left - width);

  const xByChannel = runKernel(site, 'Transpose', { x }, { perm: [3, 1, 2, 0] });
  const dyAsFilter = runKernel(site, 'Transpose', { x: dy }, { perm: [1, 2, 0, 3] });
  const gradient = runKernel(site, 'Conv2D', { x: xByChannel, filter: dyAsFilter }, {
    strides: [1, 1],
    dilations: [strideHeight, strideWidth],
    pad: explicitPad(top, bottom, left, right),
    dataFormat: 'NHWC',
  });
  release(site, xByChannel, dyAsFilter);

  let window = gradient;
  if (gradient.shape[1] !== filterHeight || gradient.shape[2] !== filterWidth) {
    window = runKernel(site, 'Slice', { x: gradient }, {
      begin: [0, 0, 0, 0],
      size: [-1, filterHeight, filterWidth, -1],
    });
    release(site, gradient);
  }
  const dw = runKernel(site, 'Transpose', { x: window }, { perm: [1, 2, 0, 3] });
  release(site, window);
  return dw;
}

/** dy with (stride - 1) zeros after every row and column: the stride-1 view of a stride-s dy. */
function spreadByStride(
  site: KernelSite, dy: tf.TensorInfo, strideHeight: number, strideWidth: number,
): tf.TensorInfo {
  const [batch, rows, cols, channels] = dy.shape;
  const spread = runKernel(site, 'PadV2', {
    x: reshapedView(dy, [batch, rows, 1, cols, 1, channels]),
  }, {
    paddings: [[0, 0], [0, 0], [0, strideHeight - 1], [0, 0], [0, strideWidth - 1], [0, 0]],
    constantValue: 0,
  });
  return reshapedView(spread, [batch, rows * strideHeight, cols * strideWidth, channels]);
}

/**
 * Conv2DBackpropInput for the wasm backend, replacing its native kernel (a plain loop, several
 * times slower than XNNPACK): dx is a stride-1 convolution of dy, spread by the stride with
 * zeros, with the filter rotated 180 degrees and its channel axes swapped.
 * @param native the wasm backend's own kernel, still used for dataFormat 'NCHW'.
 * @returns the kernel function; dx has attrs.inputShape.
 * @example const kernelFunc = makeConv2DBackpropInputWasm(tf.getKernel(name, 'wasm').kernelFunc);
 */
export function makeConv2DBackpropInputWasm(native: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] => {
    const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
    if (attrs.dataFormat === 'NCHW') return native(args);
    const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const site: KernelSite = { backendName: 'wasm', backend: args.backend as BackendWasm };
    const [filterHeight, filterWidth] = filter.shape;
    const [, height, width] = attrs.inputShape;
    const conv = tf.backend_util.computeConv2DInfo(
      attrs.inputShape, filter.shape as Shape4D, attrs.strides, 1, attrs.pad,
      attrs.dimRoundingMode,
    );
    const strided = conv.strideHeight > 1 || conv.strideWidth > 1;
    const spread = strided ? spreadByStride(site, dy, conv.strideHeight, conv.strideWidth) : dy;
    const [, spreadHeight, spreadWidth] = spread.shape;

    // The full correlation starts (filter - 1 - forward pad) before dy; a forward pad larger
    // than the filter makes that negative: pad nothing and crop instead.
    const leadTop = filterHeight - 1 - conv.padInfo.top;
    const leadLeft = filterWidth - 1 - conv.padInfo.left;
    const top = Math.max(0, leadTop);
    const left = Math.max(0, leadLeft);
    const cropTop = Math.max(0, -leadTop);
    const cropLeft = Math.max(0, -leadLeft);
    const bottom = Math.max(0, cropTop + height + filterHeight - 1 - top - spreadHeight);
    const right = Math.max(0, cropLeft + width + filterWidth - 1 - left - spreadWidth);

    const reversed = runKernel(site, 'Reverse', { x: filter }, { dims: [0, 1] });
    const rotated = runKernel(site, 'Transpose', { x: reversed }, { perm: [0, 1, 3, 2] });
    release(site, reversed);
    const dx = runKernel(site, 'Conv2D', { x: spread, filter: rotated }, {
      strides: [1, 1],
      dilations: [1, 1],
      pad: explicitPad(top, bottom, left, right),
      dataFormat: 'NHWC',
    });
    release(site, rotated);
    if (strided) release(site, spread);

    if (dx.shape[1] === height && dx.shape[2] === width) return dx;
    const cropped = runKernel(site, 'Slice', { x: dx }, {
      begin: [0, cropTop, cropLeft, 0],
      size: [-1, height, width, -1],
    });
    release(site, dx);
    return cropped;
  };
}
