import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

import * as tf from '@tensorflow/tfjs';

import {
  assertClose, kernelOf, onBothBackends, randomTensor, useTrainingKernels,
} from './backend-parity.js';

before(useTrainingKernels);

interface DepthwiseCase {
  batch: number; height: number; width: number; channels: number; multiplier: number;
  filter: number; stride: number; pad: 'same' | 'valid';
}

/** Strides 1 and 2 x same / valid x odd and even sizes; channels, multiplier, filter cycle. */
function depthwiseCases(): DepthwiseCase[] {
  const cases: DepthwiseCase[] = [];
  for (const stride of [1, 2]) {
    for (const pad of ['same', 'valid'] as const) {
      for (const [height, width] of [[7, 9], [8, 8], [11, 6]]) {
        const k = cases.length;
        cases.push({
          batch: 1 + (k % 3), height, width, stride, pad,
          channels: [1, 3, 8, 5][k % 4], multiplier: [1, 2, 1][k % 3], filter: [3, 5, 2][k % 3],
        });
      }
    }
  }
  return cases;
}

function describeCase(c: DepthwiseCase): string {
  return `x ${c.batch}x${c.height}x${c.width}x${c.channels}, filter ${c.filter}x${c.filter}` +
    `x${c.multiplier}, stride ${c.stride}, ${c.pad}`;
}

describe('depthwise convolution gradients on wasm (missing in 4.22) match the cpu backend', () => {
  depthwiseCases().forEach((c, k) => {
    const xShape = [c.batch, c.height, c.width, c.channels];
    const filterShape = [c.filter, c.filter, c.channels, c.multiplier];
    const conv = tf.backend_util.computeConv2DInfo(xShape as [number, number, number, number],
      filterShape as [number, number, number, number], c.stride, 1, c.pad, undefined, true);
    const attrs = { strides: c.stride, pad: c.pad, dilations: 1 };

    test(`filter gradient, ${describeCase(c)}`, async () => {
      const results = await onBothBackends(kernelOf('DepthwiseConv2dNativeBackpropFilter',
        () => ({ x: randomTensor(xShape, k), dy: randomTensor(conv.outShape, k + 100) }),
        { ...attrs, filterShape }));
      assertClose(results, describeCase(c));
    });

    test(`input gradient, ${describeCase(c)}`, async () => {
      const results = await onBothBackends(kernelOf('DepthwiseConv2dNativeBackpropInput',
        () => ({ dy: randomTensor(conv.outShape, k + 200), filter: randomTensor(filterShape, k) }),
        { ...attrs, inputShape: xShape }));
      assertClose(results, describeCase(c));
    });
  });

  test('hand-made: 1x3x3x1 ones, 3x3 filter of ones, valid: dW is all 1 * dy = 2', async () => {
    const results = await onBothBackends(() => [tf.grad((filter: tf.Tensor) =>
      tf.mul(tf.depthwiseConv2d(tf.ones([1, 3, 3, 1]) as tf.Tensor4D, filter as tf.Tensor4D, 1,
        'valid'), 2).sum())(tf.ones([3, 3, 1, 1]))]);
    for (const [values] of results) assert.deepEqual([...values], new Array(9).fill(2));
  });

  test('dilations other than 1 are refused with the kernel named', async () => {
    await tf.setBackend('wasm');
    assert.throws(() => tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', {
      x: tf.ones([1, 5, 5, 1]), dy: tf.ones([1, 1, 1, 1]),
    }, { strides: 1, pad: 'valid', dilations: 2, filterShape: [3, 3, 1, 1] }),
    /DepthwiseConv2dNativeBackpropFilter got dilations/);
  });
});

describe('an MBConv block (EfficientNet) trains on wasm as on cpu', () => {
  const shapes: Record<string, number[]> = {
    expand: [1, 1, 4, 12], expandBias: [12], depthwise: [3, 3, 12, 1], depthwiseBias: [12],
    squeeze: [1, 1, 12, 3], squeezeBias: [3], excite: [1, 1, 3, 12], exciteBias: [12],
    project: [1, 1, 12, 4], projectBias: [4],
  };
  const names = Object.keys(shapes);
  const swish = (t: tf.Tensor) => tf.mul(t, tf.sigmoid(t));

  /** Expand 1x1, depthwise 3x3 (stride s), squeeze-excite, project 1x1, residual at s = 1. */
  function block(x: tf.Tensor4D, stride: number, squeezeExcite: boolean) {
    return (...p: tf.Tensor[]): tf.Tensor4D => {
      const w = Object.fromEntries(names.map((name, i) => [name, p[i]])) as
        Record<string, tf.Tensor4D>;
      const expanded = swish(tf.add(tf.conv2d(x, w.expand, 1, 'same'), w.expandBias));
      let h = swish(tf.add(tf.depthwiseConv2d(expanded as tf.Tensor4D, w.depthwise, stride,
        'same'), w.depthwiseBias)) as tf.Tensor4D;
      if (squeezeExcite) {
        const pooled = tf.mean(h, [1, 2], true) as tf.Tensor4D;
        const squeezed = swish(tf.add(tf.conv2d(pooled, w.squeeze, 1, 'valid'), w.squeezeBias));
        const gate = tf.sigmoid(tf.add(tf.conv2d(squeezed as tf.Tensor4D, w.excite, 1, 'valid'),
          w.exciteBias));
        h = tf.mul(h, gate) as tf.Tensor4D;
      }
      const projected = tf.add(tf.conv2d(h, w.project, 1, 'same'), w.projectBias) as tf.Tensor4D;
      return stride === 1 ? tf.add(projected, x) as tf.Tensor4D : projected;
    };
  }

  const variants: [number, boolean][] = [[1, true], [2, true], [1, false], [2, false]];
  for (const [stride, squeezeExcite] of variants) {
    test(`stride ${stride}, squeeze-excite ${squeezeExcite}: every gradient within 1e-4`,
      async () => {
        const results = await onBothBackends(() => {
          const x = randomTensor([2, 9, 11, 4], 3) as tf.Tensor4D;
          const params = names.map((name, i) => randomTensor(shapes[name], 20 + i));
          const apply = block(x, stride, squeezeExcite);
          const target = randomTensor(apply(...params).shape, 4);
          // Without squeeze-excite its weights take no part: differentiate only the others.
          const used = names.map((_, i) => i)
            .filter((i) => squeezeExcite || !/^(squeeze|excite)/.test(names[i]));
          const loss = (...u: tf.Tensor[]) => {
            const all = params.map((param, i) => (used.includes(i) ? u[used.indexOf(i)] : param));
            return tf.sum(tf.mul(apply(...all), target)) as tf.Scalar;
          };
          const { value, grads } = tf.valueAndGrads(loss)(used.map((i) => params[i]));
          const dx = tf.grad((input: tf.Tensor) =>
            tf.sum(tf.mul(block(input as tf.Tensor4D, stride, squeezeExcite)(...params),
              target)))(x);
          return [value, dx, ...grads];
        });
        assertClose(results, `MBConv stride ${stride}`);
      });
  }
});
