import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { buildUnet, type UnetOptions } from '../lib/model/unet.js';

let tensorsBefore = 0;
before(async () => {
  await tf.setBackend('cpu');
  tensorsBefore = tf.memory().numTensors;
});
after(() => assert.equal(tf.memory().numTensors, tensorsBefore, 'tensors leaked'));

/** Builds a model, hands it to `use`, and always frees its weights. */
function withModel<T>(options: UnetOptions, use: (model: tf.LayersModel) => T): T {
  const model = buildUnet(options);
  try {
    return use(model);
  } finally {
    model.dispose();
  }
}

describe('buildUnet', () => {
  const shapes: [UnetOptions, number[]][] = [
    [{ height: 16, width: 16, baseFilters: 2, depth: 2 }, [3, 16, 16, 1]],
    [{ height: 8, width: 24, baseFilters: 1, depth: 3 }, [3, 8, 24, 1]],
    [{ height: 4, width: 6, baseFilters: 2, depth: 1 }, [3, 4, 6, 1]],
  ];
  for (const [options, expected] of shapes) {
    test(`output shape ${options.height}x${options.width} depth ${options.depth}`, () => {
      withModel(options, (model) => {
        const output = tf.tidy(() => {
          const prediction = model.predict(tf.zeros([3, options.height, options.width, 1]));
          return prediction as tf.Tensor;
        });
        assert.deepEqual(output.shape, expected);
        const values = output.dataSync();
        output.dispose();
        assert.ok(values.every((v) => v > 0 && v < 1), 'sigmoid output is a probability');
      });
    });
  }

  const parameterCounts: [UnetOptions, number][] = [
    // depth 1, base 2 (kernel weights + biases):
    //   down0 conv 3x3 1->2: 9*1*2 + 2 = 20; 3x3 2->2: 9*2*2 + 2 = 38
    //   bottleneck 3x3 2->4: 9*2*4 + 4 = 76; 3x3 4->4: 9*4*4 + 4 = 148
    //   up0 transposed 2x2 4->2: 4*4*2 + 2 = 34; concat 2 + 2 = 4 channels;
    //     3x3 4->2: 9*4*2 + 2 = 74; 3x3 2->2: 38
    //   output 1x1 2->1: 2 + 1 = 3
    //   total 20 + 38 + 76 + 148 + 34 + 74 + 38 + 3 = 431
    [{ height: 16, width: 16, baseFilters: 2, depth: 1 }, 431],
    // depth 2, base 2: levels 2, 4, bottleneck 8.
    //   down0 20 + 38 = 58; down1 3x3 2->4: 76, 4->4: 148 -> 224
    //   bottleneck 3x3 4->8: 9*4*8 + 8 = 296; 8->8: 9*8*8 + 8 = 584 -> 880
    //   up1 transposed 8->4: 4*8*4 + 4 = 132; 3x3 8->4: 9*8*4 + 4 = 292; 4->4: 148 -> 572
    //   up0 transposed 4->2: 34; 3x3 4->2: 74; 2->2: 38 -> 146; output 3
    //   total 58 + 224 + 880 + 572 + 146 + 3 = 1883
    [{ height: 16, width: 16, baseFilters: 2, depth: 2 }, 1883],
    // depth 0 is the bottleneck alone: 3x3 1->1: 10, 1->1: 10, output 1x1: 2 -> 22
    [{ height: 5, width: 3, baseFilters: 1, depth: 0 }, 22],
  ];
  for (const [options, expected] of parameterCounts) {
    test(`parameter count depth ${options.depth} base ${options.baseFilters}`, () => {
      withModel(options, (model) => assert.equal(model.countParams(), expected));
    });
  }

  test('parameter count does not depend on the input size', () => {
    withModel({ height: 64, width: 128, baseFilters: 2, depth: 2 },
      (model) => assert.equal(model.countParams(), 1883));
  });

  const invalid: [string, UnetOptions, RegExp][] = [
    ['height not divisible', { height: 30, width: 32, baseFilters: 2, depth: 2 },
      /height 30 is not divisible by 2\^depth = 4 \(depth 2\)/],
    ['width not divisible', { height: 64, width: 100, baseFilters: 2, depth: 3 },
      /width 100 is not divisible by 2\^depth = 8 \(depth 3\)/],
    ['zero filters', { height: 16, width: 16, baseFilters: 0, depth: 2 },
      /baseFilters must be a positive integer, got 0/],
    ['negative depth', { height: 16, width: 16, baseFilters: 2, depth: -1 },
      /depth must be an integer >= 0, got -1/],
  ];
  for (const [name, options, message] of invalid) {
    test(`refused: ${name}`, () => assert.throws(() => buildUnet(options), message));
  }

  test('same seed gives the same initial weights, another seed different ones', () => {
    const options = { height: 8, width: 8, baseFilters: 2, depth: 1 };
    const weightsOf = (seed: number) => withModel({ ...options, seed },
      (model) => model.getWeights().map((weight) => Array.from(weight.dataSync())));
    const first = weightsOf(7);
    assert.deepEqual(weightsOf(7), first);
    assert.notDeepEqual(weightsOf(8), first);
    // Layers draw from distinct seeds: the two 3x3 2->2 kernels are not copies of each other.
    const secondConv = first[2];
    const upSecondConv = first[12];
    assert.equal(secondConv.length, upSecondConv.length);
    assert.notDeepEqual(secondConv, upSecondConv);
  });
});
