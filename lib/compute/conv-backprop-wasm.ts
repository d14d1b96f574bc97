import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

import {
  heapWords, type KernelArgs, type KernelSite, release, reshapedView, runKernel,
} from './kernel-plumbing.js';

type Shape4D = [number, number, number, number];

/** Explicit NHWC padding in the form the Conv2D kernel accepts. */
function explicitPad(top: number, bottom: number, left: number, right: number) {
  return [[0, 0], [top, bottom], [left, right], [0, 0]];
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
 * dx when the windows tile the input exactly (filter = stride, no padding, as in a U-Net's
 * 2x2 stride-2 transposed convolution): every dy pixel spreads over its own block of dx.
 * For each filter row i one matrix product, dy [pixels, Cout] x filter[i]^T [Cout, (j, Cin)],
 * gives, per dy row, the whole dx row s*p + i; those rows are moved into place. The general
 * path would convolve a dy that is three quarters zeros, and wasm's DepthToSpace (the
 * one-product alternative) alone took as long as that.
 * @returns undefined when the windows do not tile the input.
 */
function tiledBackpropInput(
  site: KernelSite, dy: tf.TensorInfo, filter: tf.TensorInfo, conv: tf.backend_util.Conv2DInfo,
): tf.TensorInfo | undefined {
  const { strideHeight: stride, filterHeight, filterWidth, padInfo } = conv;
  const tiles = filterHeight === stride && filterWidth === stride &&
    conv.strideWidth === stride && stride > 1 && padInfo.top === 0 && padInfo.left === 0 &&
    conv.inHeight === conv.outHeight * stride && conv.inWidth === conv.outWidth * stride &&
    dy.dtype === 'float32';
  if (!tiles) return undefined;
  const backend = site.backend as BackendWasm;
  const [batch, outHeight, outWidth, outChannels] = dy.shape;
  const rowTaps = filterWidth * conv.inChannels;
  const dyRows = batch * outHeight;
  const rowLength = outWidth * rowTaps;

  const dx = backend.makeOutput([batch, conv.inHeight, conv.inWidth, conv.inChannels], 'float32');
  for (let i = 0; i < filterHeight; i++) {
    const filterRow = runKernel(site, 'Slice', { x: filter }, {
      begin: [i, 0, 0, 0], size: [1, -1, -1, -1],
    });
    const byOutput = runKernel(site, 'Transpose', {
      x: reshapedView(filterRow, [rowTaps, outChannels]),
    }, { perm: [1, 0] });
    release(site, filterRow);
    const rows = runKernel(site, 'BatchMatMul', {
      a: reshapedView(dy, [1, dyRows * outWidth, outChannels]),
      b: reshapedView(byOutput, [1, outChannels, rowTaps]),
    }, { transposeA: false, transposeB: false });
    release(site, byOutput);
    const { heap, offset: from } = heapWords(backend, rows);
    const to = heapWords(backend, dx).offset;
    for (let r = 0; r < dyRows; r++) {
      const start = from + r * rowLength;
      heap.copyWithin(to + (r * stride + i) * rowLength, start, start + rowLength);
    }
    release(site, rows);
  }
  return dx;
}

/**
 * dx of a stride-s convolution as a stride-1 correlation: dy is spread by the stride with
 * zeros and padded so that every input pixel sees the full window, then `correlate` runs the
 * convolution with the rotated filter, and the result is cropped to the input when a forward
 * pad wider than the filter made it larger.
 * @param site the wasm backend.
 * @param dy the output gradient [N, H', W', C].
 * @param conv the forward convolution's geometry (computeConv2DInfo of the input shape).
 * @param correlate runs the stride-1 convolution of the spread dy with explicit padding.
 * @returns dx [N, H, W, Cin]; intermediates freed.
 * @example backpropByCorrelation(site, dy, conv, (x, pad) => runKernel(site, 'Conv2D', ...))
 */
export function backpropByCorrelation(
  site: KernelSite, dy: tf.TensorInfo, conv: tf.backend_util.Conv2DInfo,
  correlate: (spread: tf.TensorInfo, pad: number[][]) => tf.TensorInfo,
): tf.TensorInfo {
  const { filterHeight, filterWidth, inHeight: height, inWidth: width } = conv;
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
  const dx = correlate(spread, explicitPad(top, bottom, left, right));
  if (strided) release(site, spread);

  if (dx.shape[1] === height && dx.shape[2] === width) return dx;
  const cropped = runKernel(site, 'Slice', { x: dx }, {
    begin: [0, cropTop, cropLeft, 0],
    size: [-1, height, width, -1],
  });
  release(site, dx);
  return cropped;
}

/**
 * Conv2DBackpropInput for the wasm backend, replacing its native kernel (a plain loop, several
 * times slower than XNNPACK): dx is a stride-1 convolution of dy, spread by the stride with
 * zeros, with the filter rotated 180 degrees and its channel axes swapped; when the windows
 * tile the input (a 2x2 stride-2 transposed convolution), one matrix product instead.
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
    const conv = tf.backend_util.computeConv2DInfo(
      attrs.inputShape, filter.shape as Shape4D, attrs.strides, 1, attrs.pad,
      attrs.dimRoundingMode,
    );
    const tiled = tiledBackpropInput(site, dy, filter, conv);
    if (tiled !== undefined) return tiled;

    const reversed = runKernel(site, 'Reverse', { x: filter }, { dims: [0, 1] });
    const rotated = runKernel(site, 'Transpose', { x: reversed }, { perm: [0, 1, 3, 2] });
    release(site, reversed);
    const dx = backpropByCorrelation(site, dy, conv, (spread, pad) =>
      runKernel(site, 'Conv2D', { x: spread, filter: rotated }, {
        strides: [1, 1], dilations: [1, 1], pad, dataFormat: 'NHWC',
      }));
    release(site, rotated);
    return dx;
  };
}
