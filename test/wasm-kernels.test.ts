import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

import * as tf from '@tensorflow/tfjs';

import { registerCpuTrainingKernels } from '../lib/compute/cpu-kernels.js';
import { PATCH_BLOCK_FLOATS } from '../lib/compute/conv-filter-grad-wasm.js';
import { installKernel } from '../lib/compute/kernel-plumbing.js';
import { registerWasmTrainingKernels } from '../lib/compute/wasm-kernels.js';
import { buildUnet } from '../lib/model/unet.js';
import { bceDiceLoss } from '../lib/training/losses.js';
import {
  assertClose, onBothBackends, randomValues, useTrainingKernels,
} from './backend-parity.js';

type Shape4D = [number, number, number, number];
type Pad = 'same' | 'valid' | number | [[0, 0], [number, number], [number, number], [0, 0]];

before(useTrainingKernels);

interface ConvCase {
  batch: number; height: number; width: number; inChannels: number; outChannels: number;
  filter: number; stride: number; pad: Pad;
}

/** Every stride x padding x size x filter combination; channels and batch cycle through. */
function convCases(): ConvCase[] {
  const cases: ConvCase[] = [];
  const channels = [1, 3, 8];
  for (const stride of [1, 2]) {
    for (const pad of ['same', 'valid'] as const) {
      for (const [height, width] of [[7, 9], [8, 8]]) {
        for (const filter of [1, 3, 2]) {
          const k = cases.length;
          cases.push({
            batch: k % 2 === 0 ? 1 : 4, height, width, filter, stride, pad,
            inChannels: channels[k % 3], outChannels: channels[(k + 1 + (k >> 2)) % 3],
          });
        }
      }
    }
  }
  // Numeric and explicit padding, a stride of 3, and a forward pad wider than the filter.
  cases.push({ batch: 2, height: 9, width: 7, inChannels: 2, outChannels: 3, filter: 3,
    stride: 2, pad: 1 });
  cases.push({ batch: 2, height: 9, width: 7, inChannels: 2, outChannels: 3, filter: 3,
    stride: 1, pad: [[0, 0], [1, 2], [0, 1], [0, 0]] });
  cases.push({ batch: 1, height: 5, width: 5, inChannels: 2, outChannels: 2, filter: 4,
    stride: 3, pad: 'same' });
  cases.push({ batch: 2, height: 6, width: 5, inChannels: 3, outChannels: 2, filter: 2,
    stride: 1, pad: [[0, 0], [3, 0], [0, 3], [0, 0]] });
  return cases;
}

function describeCase(c: ConvCase): string {
  return `x ${c.batch}x${c.height}x${c.width}x${c.inChannels}, filter ${c.filter}x${c.filter}` +
    `x${c.outChannels}, stride ${c.stride}, pad ${JSON.stringify(c.pad)}`;
}

/** x, filter and dy values for one case (dy shaped like the forward conv's output). */
function convInputs(c: ConvCase, seed: number) {
  const xShape = [c.batch, c.height, c.width, c.inChannels] as const;
  const filterShape = [c.filter, c.filter, c.inChannels, c.outChannels] as const;
  const info = tf.backend_util.computeConv2DInfo(
    [...xShape], [...filterShape], c.stride, 1, c.pad,
  );
  const dyShape = info.outShape;
  return {
    xShape, filterShape, dyShape,
    x: randomValues([...xShape], seed),
    filter: randomValues([...filterShape], seed + 1),
    dy: randomValues(dyShape, seed + 2),
  };
}

type ConvValues = ReturnType<typeof convInputs>;

/** The kernels checked over the conv table: how each gets its inputs and attributes. */
const convKernels: [string, (v: ConvValues) => tf.NamedTensorMap, (v: ConvValues) => object][] = [
  ['Conv2DBackpropFilter',
    (v) => ({ x: tf.tensor(v.x, [...v.xShape]), dy: tf.tensor(v.dy, v.dyShape) }),
    (v) => ({ filterShape: [...v.filterShape] })],
  ['Conv2DBackpropInput',
    (v) => ({ dy: tf.tensor(v.dy, v.dyShape), filter: tf.tensor(v.filter, [...v.filterShape]) }),
    (v) => ({ inputShape: [...v.xShape] })],
];

for (const [kernelName, inputsOf, attrsOf] of convKernels) {
  describe(`${kernelName} on wasm matches the cpu backend`, () => {
    convCases().forEach((c, k) => {
      test(describeCase(c), async () => {
        const v = convInputs(c, 100 * (kernelName.length + k));
        const results = await onBothBackends(() => [
          tf.engine().runKernel(kernelName, inputsOf(v), {
            strides: c.stride, pad: c.pad, dataFormat: 'NHWC', ...attrsOf(v),
          } as unknown as tf.NamedAttrMap) as tf.Tensor,
        ]);
        assertClose(results, describeCase(c));
      });
    });
  });
}

describe('MaxPoolGrad on wasm (replaced) matches the cpu backend', () => {
  test('a window of negatives sends its gradient to its maximum, -1 (native wasm: to -3)',
    async () => {
      const results = await onBothBackends(() => {
        const x = tf.tensor4d([-3, -1, -2, -4, 5, 1, 1, 2], [2, 2, 2, 1]);
        return [tf.grad((input: tf.Tensor) => tf.maxPool(input as tf.Tensor4D, 2, 2, 'valid'))(x)];
      });
      for (const [values] of results) assert.deepEqual([...values], [0, 1, 0, 0, 1, 0, 0, 0]);
    });

  const cases: [number, number, 'same' | 'valid', Shape4D][] = [
    [2, 2, 'valid', [2, 8, 8, 3]], [2, 2, 'same', [2, 7, 9, 3]], [3, 1, 'same', [1, 6, 5, 2]],
    [3, 2, 'valid', [3, 9, 7, 4]], [3, 2, 'same', [2, 8, 8, 1]], [2, 3, 'same', [2, 7, 7, 2]],
  ];
  for (const [size, stride, pad, shape] of cases) {
    test(`pool ${size}, stride ${stride}, ${pad}, x ${shape.join('x')}`, async () => {
      const x = randomValues(shape, size * 10 + stride);
      const results = await onBothBackends(() => {
        const input = tf.tensor(x, shape) as tf.Tensor4D;
        const pooled = tf.maxPool(input, size, stride, pad);
        const weights = tf.tensor(randomValues(pooled.shape, 7), pooled.shape);
        const loss = (t: tf.Tensor) =>
          tf.sum(tf.mul(tf.maxPool(t as tf.Tensor4D, size, stride, pad), weights));
        return [tf.grad(loss)(input)];
      });
      assertClose(results, `pool ${size}/${stride}/${pad}`);
    });
  }
});

describe('ResizeNearestNeighborGrad (cpu corrected) agrees with wasm', () => {
  test('2 images of 2x2 upsampled to 4x4: each pixel gets the sum of its 2x2 block of dy',
    async () => {
      const results = await onBothBackends(() => {
        const images = tf.zeros([2, 2, 2, 1]) as tf.Tensor4D;
        const dy = tf.range(0, 32).reshape([2, 4, 4, 1]);
        const loss = (t: tf.Tensor) =>
          tf.sum(tf.mul(tf.image.resizeNearestNeighbor(t as tf.Tensor4D, [4, 4]), dy));
        return [tf.grad(loss)(images)];
      });
      // Image 1's top-left block of dy is 16, 17, 20, 21 (uncorrected cpu gives 26, from image 0).
      for (const [values] of results) {
        assert.deepEqual([...values], [10, 18, 42, 50, 74, 82, 106, 114]);
      }
    });
});

describe('a tiny U-Net trains on wasm as on cpu', () => {
  const shapes: Record<string, number[]> = {
    w1: [3, 3, 1, 4], b1: [4], w2: [3, 3, 4, 8], b2: [8], wUp: [2, 2, 4, 8], wOut: [1, 1, 12, 1],
  };
  const names = Object.keys(shapes);

  /** Binary cross-entropy of a conv / pool / up-conv / upsample / concat / 1x1 / sigmoid net. */
  function unetLoss(image: tf.Tensor4D, mask: tf.Tensor4D) {
    return (...p: tf.Tensor[]): tf.Scalar => {
      const [w1, b1, w2, b2, wUp, wOut] = p as [tf.Tensor4D, tf.Tensor1D, tf.Tensor4D,
        tf.Tensor1D, tf.Tensor4D, tf.Tensor4D];
      const [batch, height, width] = image.shape;
      const skip = tf.fused.conv2d({ x: image, filter: w1, pad: 'same', bias: b1,
        activation: 'relu', strides: 1 });
      const pooled = tf.maxPool(skip, 2, 2, 'same');
      const deep = tf.relu(tf.add(tf.conv2d(pooled, w2, 1, 'same'), b2)) as tf.Tensor4D;
      const upConv = tf.conv2dTranspose(deep, wUp, [batch, height, width, 4], 2, 'same');
      const upSampled = tf.image.resizeNearestNeighbor(
        tf.slice(deep, [0, 0, 0, 0], [-1, -1, -1, 4]), [height, width]);
      const merged = tf.concat([skip, upConv, upSampled], 3) as tf.Tensor4D;
      const probability = tf.sigmoid(tf.conv2d(merged, wOut, 1, 'same'));
      const eps = 1e-6;
      const logLikelihood = tf.add(
        tf.mul(mask, tf.log(tf.add(probability, eps))),
        tf.mul(tf.sub(1, mask), tf.log(tf.sub(1 + eps, probability))));
      return tf.neg(tf.mean(logLikelihood)) as tf.Scalar;
    };
  }

  test('gradients of every weight agree within 1e-4, no tensor left behind', async () => {
    const imageShape: Shape4D = [2, 8, 12, 1];
    const results = await onBothBackends(() => {
      const image = tf.tensor(randomValues(imageShape, 1), imageShape) as tf.Tensor4D;
      const mask = tf.cast(tf.greater(tf.tensor(randomValues(imageShape, 2), imageShape), 0),
        'float32') as tf.Tensor4D;
      const params = names.map((name, i) =>
        tf.mul(tf.tensor(randomValues(shapes[name], 10 + i), shapes[name]), 0.5));
      const { value, grads } = tf.valueAndGrads(unetLoss(image, mask))(params);
      return [value, ...grads];
    });
    assertClose(results, 'tiny U-Net loss and gradients');
  });
});

describe('Conv2DBackpropFilter over several blocks of patches', () => {
  test('x 2x96x200x24, filter 3x3x24x2: two blocks, summed', async () => {
    // 216 patch rows x 200 columns per output row: 192 output rows do not fit one block.
    assert.ok(216 * 200 * 192 > PATCH_BLOCK_FLOATS, 'the case must span several blocks');
    const xShape = [2, 96, 200, 24];
    const dyShape = [2, 96, 200, 2];
    const results = await onBothBackends(() => [
      tf.engine().runKernel('Conv2DBackpropFilter', {
        x: tf.tensor(randomValues(xShape, 5), xShape),
        dy: tf.tensor(randomValues(dyShape, 6), dyShape),
      }, { strides: 1, pad: 'same', filterShape: [3, 3, 24, 2], dataFormat: 'NHWC' }) as tf.Tensor,
    ]);
    assertClose(results, 'blocked filter gradient');
  });
});

describe('the U-Net of lib/model/unet.ts trains on wasm as on cpu', () => {
  for (const batchNorm of [false, true]) {
    test(`batch norm ${batchNorm}: loss and every weight's gradient within 1e-4 (16x32)`,
      async () => {
        const imageShape = [2, 16, 32, 1];
        const results = await onBothBackends(() => {
          const model = buildUnet({ height: 16, width: 32, baseFilters: 3, depth: 2, seed: 4,
            batchNorm });
          const image = tf.tensor(randomValues(imageShape, 8), imageShape);
          const mask = tf.cast(tf.greater(tf.tensor(randomValues(imageShape, 9), imageShape),
            0.6), 'float32');
          const loss = () =>
            bceDiceLoss(mask, model.apply(image, { training: true }) as tf.Tensor);
          const { value, grads } = tf.variableGrads(loss);
          const outputs = [value, ...Object.values(grads)];
          model.dispose();
          return outputs;
        });
        // 11 convolutions and 2 transposed ones, each a kernel and a bias; with batch norm
        // the 10 3x3 convolutions lose their bias and each gains a gamma and a beta.
        assert.equal(results[0].length, 1 + 2 * 13 + (batchNorm ? 10 : 0));
        assertClose(results, `U-Net (batch norm ${batchNorm}) loss and gradients`);
      });
  }
});

test('registerWasmTrainingKernels is idempotent', () => {
  const kernels = ['Conv2DBackpropFilter', 'Conv2DBackpropInput', 'MaxPoolGrad', 'Concat',
    'Slice', 'SplitV', 'Sum', 'Mean', 'Tile', 'Add', 'Multiply', 'Identity',
    'DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput'];
  const installed = kernels.map((name) => tf.getKernel(name, 'wasm')?.kernelFunc);
  registerWasmTrainingKernels();
  registerCpuTrainingKernels();
  assert.deepEqual(kernels.map((name) => tf.getKernel(name, 'wasm')?.kernelFunc), installed);
});

test('a replaced native kernel keeps its setup function (its wasm bindings)', () => {
  // These three native kernels bind their wasm functions in setupFunc.
  for (const name of ['Conv2DBackpropInput', 'MaxPoolGrad', 'Sum']) {
    assert.equal(typeof tf.getKernel(name, 'wasm')?.setupFunc, 'function', name);
  }
  const setupFunc = () => {};
  tf.registerKernel({ kernelName: 'TestOnly', backendName: 'test-backend', setupFunc,
    kernelFunc: () => ({ dataId: {}, shape: [], dtype: 'float32' }) });
  installKernel('TestOnly', 'test-backend',
    () => () => ({ dataId: {}, shape: [], dtype: 'int32' }));
  assert.equal(tf.getKernel('TestOnly', 'test-backend')?.setupFunc, setupFunc);
  tf.unregisterKernel('TestOnly', 'test-backend');
});
