import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

import * as tf from '@tensorflow/tfjs';

import {
  assertClose, kernelOf, onBothBackends, randomTensor, useTrainingKernels,
} from './backend-parity.js';

before(useTrainingKernels);

describe('Concat on wasm (replaced) matches the cpu backend', () => {
  // [shapes of the parts, axis]: channel runs of 1 to 40 values, every axis, 2 and 3 parts.
  const cases: [number[][], number][] = [
    [[[2, 5, 7, 3], [2, 5, 7, 8]], 3],
    [[[2, 5, 7, 40], [2, 5, 7, 33], [2, 5, 7, 1]], 3],
    [[[2, 5, 3, 4], [2, 5, 6, 4]], 2],
    [[[2, 1, 7, 4], [2, 4, 7, 4], [2, 2, 7, 4]], 1],
    [[[1, 5, 7, 4], [3, 5, 7, 4]], 0],
    [[[6], [0], [3]], 0],
    [[[3, 2], [3, 5]], -1],
  ];
  cases.forEach(([shapes, axis], k) => {
    test(`parts ${shapes.map((s) => s.join('x')).join(' + ')} on axis ${axis}`, async () => {
      const results = await onBothBackends(kernelOf('Concat',
        () => shapes.map((shape, i) => randomTensor(shape, 10 * k + i)), { axis }));
      assertClose(results, `concat case ${k}`);
    });
  });

  test('int32 values are copied bit for bit', async () => {
    await tf.setBackend('wasm');
    const joined = tf.tidy(() => tf.concat([
      tf.tensor2d([[1, -2], [2147483647, 0]], undefined, 'int32'),
      tf.tensor2d([[-2147483648], [7]], undefined, 'int32'),
    ], 1));
    assert.deepEqual([...joined.dataSync()], [1, -2, -2147483648, 2147483647, 0, 7]);
    joined.dispose();
  });
});

describe('Slice and SplitV on wasm (replaced) match the cpu backend', () => {
  // [x shape, begin, size]: short and long runs, ranks 1 to 5, -1 sizes, empty slices.
  const slices: [number[], number[], number[]][] = [
    [[2, 5, 7, 16], [0, 0, 0, 8], [-1, -1, -1, 8]],
    [[2, 5, 7, 16], [1, 2, 3, 0], [1, 2, 4, -1]],
    [[2, 5, 7, 40], [0, 1, 0, 3], [2, 3, 7, 35]],
    [[3, 4, 5], [1, 0, 2], [2, 4, 3]],
    [[9], [2], [5]],
    [[2, 3, 4, 5, 6], [1, 1, 0, 2, 1], [1, 2, 4, 3, 4]],
    [[4, 6], [0, 2], [4, 0]],
  ];
  slices.forEach(([shape, begin, size], k) => {
    test(`slice of ${shape.join('x')} from [${begin}] size [${size}]`, async () => {
      const results = await onBothBackends(kernelOf('Slice',
        () => ({ x: randomTensor(shape, k) }), { begin, size }));
      assertClose(results, `slice case ${k}`);
    });
  });

  const splits: [number[], number[] | number, number][] = [
    [[2, 5, 7, 24], [8, 16], 3], [[2, 5, 7, 9], 3, -1], [[4, 6, 5], [1, 3, 2], 1],
  ];
  splits.forEach(([shape, numOrSizeSplits, axis], k) => {
    test(`split of ${shape.join('x')} into ${JSON.stringify(numOrSizeSplits)} on ${axis}`,
      async () => {
        const results = await onBothBackends(kernelOf('SplitV',
          () => ({ x: randomTensor(shape, 50 + k) }), { numOrSizeSplits, axis }));
        assertClose(results, `split case ${k}`);
      });
  });
});

describe('Sum on wasm (replaced for leading axes) matches the cpu backend', () => {
  const cases: [number[], number[], boolean][] = [
    [[4, 9, 11, 8], [0, 1, 2], false], [[4, 9, 11, 8], [2, 0, 1], true],
    [[3, 700, 5], [0, 1], false], [[6, 130], [0], true], [[4, 9, 11, 8], [1, 2], false],
    [[4, 9, 11, 8], [0, 1, 2, 3], false], [[0, 3], [0], false],
  ];
  cases.forEach(([shape, axis, keepDims], k) => {
    test(`sum of ${shape.join('x')} over [${axis}], keepDims ${keepDims}`, async () => {
      const results = await onBothBackends(kernelOf('Sum',
        () => ({ x: randomTensor(shape, 70 + k) }), { axis, keepDims }));
      assertClose(results, `sum case ${k}`);
    });
  });

  test('hand-made: [[1, 2], [3, 4], [5, 6]] over axis 0 is [9, 12]', async () => {
    const results = await onBothBackends(() => [tf.sum(tf.tensor2d([[1, 2], [3, 4], [5, 6]]), 0)]);
    for (const [values] of results) assert.deepEqual([...values], [9, 12]);
  });
});

describe('Mean on wasm (replaced for leading axes) matches the cpu backend', () => {
  const cases: [number[], number[], boolean][] = [
    [[4, 9, 11, 8], [0, 1, 2], true], [[3, 700, 6], [0], false], [[5, 7], [1], false],
  ];
  cases.forEach(([shape, axis, keepDims], k) => {
    test(`mean of ${shape.join('x')} over [${axis}], keepDims ${keepDims}`, async () => {
      const results = await onBothBackends(kernelOf('Mean',
        () => ({ x: randomTensor(shape, 80 + k) }), { axis, keepDims }));
      assertClose(results, `mean case ${k}`);
    });
  });
});

describe('Tile on wasm (replaced) matches the cpu backend', () => {
  const cases: [number[], number[]][] = [
    [[3], [4]], [[1, 1, 1, 8], [4, 9, 11, 1]], [[2, 3], [2, 3]], [[2, 1, 3], [1, 4, 1]],
    [[2, 3, 4], [1, 1, 1]], [[4, 1], [0, 2]],
  ];
  cases.forEach(([shape, reps], k) => {
    test(`tile ${shape.join('x')} by [${reps}]`, async () => {
      const results = await onBothBackends(kernelOf('Tile',
        () => ({ x: randomTensor(shape, 90 + k) }), { reps }));
      assertClose(results, `tile case ${k}`);
    });
  });

  test('hand-made: [[1, 2]] tiled by [2, 2] is [[1, 2, 1, 2], [1, 2, 1, 2]], int32 too',
    async () => {
      await tf.setBackend('wasm');
      for (const dtype of ['float32', 'int32'] as const) {
        const tiled = tf.tidy(() => tf.tile(tf.tensor2d([[1, 2]], undefined, dtype), [2, 2]));
        assert.deepEqual(tiled.arraySync(), [[1, 2, 1, 2], [1, 2, 1, 2]]);
        tiled.dispose();
      }
    });
});

describe('broadcasting binary kernels on wasm (large ones tiled first) match cpu', () => {
  // Outputs of 4x33x35x8 = 36960 values are tiled explicitly; 2x3x8 stays native.
  const pairs: [number[], number[]][] = [
    [[4, 33, 35, 8], [8]], [[1, 1, 1, 8], [4, 33, 35, 8]], [[4, 33, 35, 1], [4, 33, 35, 8]],
    [[4, 1, 35, 8], [33, 1, 1]], [[4, 33, 35, 8], [4, 33, 35, 8]], [[2, 3, 8], [8]],
  ];
  const kernels = ['Add', 'Sub', 'Multiply', 'RealDiv', 'SquaredDifference', 'Maximum',
    'Minimum'];
  kernels.forEach((kernelName, k) => {
    test(`${kernelName} over ${pairs.length} shape pairs`, async () => {
      for (const [aShape, bShape] of pairs) {
        const results = await onBothBackends(kernelOf(kernelName, () => ({
          a: randomTensor(aShape, k),
          // Divisors kept away from 0 so that the relative error stays meaningful.
          b: kernelName === 'RealDiv' ? tf.add(randomTensor(bShape, k + 1), 3)
            : randomTensor(bShape, k + 1),
        }), {}));
        assertClose(results, `${kernelName} ${aShape} with ${bShape}`);
      }
    });
  });
});

describe('Identity on wasm (replaced) shares data', () => {
  test('a clone keeps its values after the original is disposed, and frees its buffer',
    async () => {
      await tf.setBackend('wasm');
      const buffers = tf.engine().backend.numDataIds();
      const original = tf.tensor1d([1.5, -2, 3]);
      const copy = tf.clone(original);
      original.dispose();
      assert.deepEqual([...copy.dataSync()], [1.5, -2, 3]);
      copy.dispose();
      assert.equal(tf.engine().backend.numDataIds(), buffers);
    });
});
