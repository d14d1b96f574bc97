import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { registerCpuTrainingKernels } from '../lib/compute/cpu-kernels.js';
import { buildModel, modelSpecOf, type ModelSpec } from '../lib/model/build.js';
import {
  efficientNetStages, roundFilters, roundRepeats, SCALING, type EfficientNetVariant,
} from '../lib/model/efficientnet-blocks.js';
import { buildEfficientUnet } from '../lib/model/efficientnet.js';

let tensorsBefore = 0;
before(async () => {
  // upSampling2d's gradient is wrong on cpu for batch > 1 without this fix.
  registerCpuTrainingKernels();
  await tf.setBackend('cpu');
  tensorsBefore = tf.memory().numTensors;
});
after(() => assert.equal(tf.memory().numTensors, tensorsBefore, 'tensors leaked'));

/** Builds a model, hands it to `use`, and always frees its weights. */
async function withModel<T>(model: tf.LayersModel, use: (model: tf.LayersModel) => T):
  Promise<Awaited<T>> {
  try {
    return await use(model);
  } finally {
    model.dispose();
  }
}

/**
 * Parameters of Keras' EfficientNet without top, counted from the stage table the way
 * keras/applications/efficientnet.py builds it, as an independent reference:
 * stem conv 3x3 (no bias) + BN; per block: expand 1x1 (no bias) + BN when ratio != 1,
 * depthwise kxk (no bias) + BN, SE reduce 1x1 + bias, SE expand 1x1 + bias, project 1x1
 * (no bias) + BN; head conv 1x1 to round_filters(1280) + BN; Normalization layer
 * (mean, variance per channel + count). BN holds 4 values per channel.
 */
function kerasParameters(variant: EfficientNetVariant, channels: number,
  parts: { head: boolean; normalization: boolean }): number {
  const { width } = SCALING[variant];
  const { stemFilters, stages } = efficientNetStages(variant);
  let total = 9 * channels * stemFilters + 4 * stemFilters;
  for (const stage of stages) {
    for (let repeat = 0; repeat < stage.repeats; repeat++) {
      const filtersIn = repeat === 0 ? stage.filtersIn : stage.filtersOut;
      const filters = filtersIn * stage.expandRatio;
      if (stage.expandRatio !== 1) total += filtersIn * filters + 4 * filters;
      total += stage.kernelSize ** 2 * filters + 4 * filters;
      const squeezed = Math.max(1, Math.floor(filtersIn / 4));
      total += filters * squeezed + squeezed + squeezed * filters + filters;
      total += filters * stage.filtersOut + 4 * stage.filtersOut;
    }
  }
  const headFilters = roundFilters(1280, width);
  if (parts.head) total += stages[6].filtersOut * headFilters + 4 * headFilters;
  if (parts.normalization) total += 2 * channels + 1;
  return total;
}

function encoderParameters(model: tf.LayersModel): number {
  return model.layers.filter((layer) => /^(stem|block)/.test(layer.name))
    .reduce((sum, layer) => sum + layer.countParams(), 0);
}

describe('EfficientNet scaling', () => {
  const filters: [number, number, number][] = [
    [32, 1.0, 32], [16, 1.6, 24], [32, 1.6, 48], [320, 1.6, 512], [1280, 1.6, 2048],
    [40, 1.1, 48], [24, 1.4, 32], [112, 1.2, 136], [2, 1.0, 8],
  ];
  for (const [base, width, expected] of filters) {
    test(`roundFilters(${base}, ${width}) = ${expected}`,
      () => assert.equal(roundFilters(base, width), expected));
  }

  test('B5 stage table: channels and repeats as published for Keras EfficientNetB5', () => {
    const { stemFilters, stages } = efficientNetStages('b5');
    assert.equal(stemFilters, 48);
    assert.deepEqual(stages.map((stage) => stage.repeats), [3, 5, 5, 7, 7, 9, 3]);
    assert.deepEqual(stages.map((stage) => stage.filtersOut), [24, 40, 64, 128, 176, 304, 512]);
    assert.equal(roundRepeats(1, 2.2), 3);
  });

  // Keras applications' published totals (include_top=False, 3-channel input): the
  // reference count above must reproduce them before it is trusted for 1 channel.
  const published: [EfficientNetVariant, number][] = [
    ['b0', 4_049_571], ['b1', 6_575_239], ['b2', 7_768_569], ['b3', 10_783_535],
    ['b4', 17_673_823], ['b5', 28_513_527],
  ];
  for (const [variant, expected] of published) {
    test(`reference count reproduces Keras EfficientNet${variant.toUpperCase()} (no top)`,
      () => assert.equal(kerasParameters(variant, 3, { head: true, normalization: true }),
        expected));
  }

  test('unknown variant is refused, naming the known ones',
    () => assert.throws(() => efficientNetStages('b9' as EfficientNetVariant),
      /variant 'b9' is unknown; expected one of b0, b1, b2, b3, b4, b5/));
});

describe('buildEfficientUnet', () => {
  test('B0 at 64x128: output shape, probabilities, encoder and decoder parameters', async () => {
    await withModel(buildEfficientUnet({ height: 64, width: 128, variant: 'b0', seed: 1 }),
      (model) => {
        const output = tf.tidy(() => model.predict(tf.ones([1, 64, 128, 1])) as tf.Tensor);
        assert.deepEqual(output.shape, [1, 64, 128, 1]);
        const values = output.dataSync();
        output.dispose();
        assert.ok(values.every((v) => v > 0 && v < 1), 'sigmoid output is a probability');

        // Keras B0 without top: 4,049,571 = 3,634,268 here + 7 (Normalization, 3 channels)
        // + 576 (stem kernel 3x3x3x32 instead of 3x3x1x32) + 409,600 + 5,120 (head conv
        // 320 -> 1280 and its BN, which this encoder leaves out).
        assert.equal(kerasParameters('b0', 1, { head: false, normalization: false }), 3_634_268);
        assert.equal(encoderParameters(model), 3_634_268);
        // Decoder by hand, 3x3 kernels without bias + BN (4 per channel):
        //   stage0 (320 + 112) -> 256 -> 256: 995,328 + 589,824 + 2 * 1,024
        //   stage1 (256 + 40) -> 128 -> 128: 340,992 + 147,456 + 2 * 512
        //   stage2 (128 + 24) -> 64 -> 64: 87,552 + 36,864 + 2 * 256
        //   stage3 (64 + 16) -> 32 -> 32: 23,040 + 9,216 + 2 * 128
        //   stage4 32 -> 16 -> 16: 4,608 + 2,304 + 2 * 64; output 1x1 16 -> 1: 17
        assert.equal(model.countParams() - 3_634_268, 2_241_169);
      });
  });

  test('skips come from the last block at strides 2, 4, 8, 16 (B0)', async () => {
    const model = buildEfficientUnet({ height: 32, width: 64, variant: 'b0',
      decoderFilters: [8, 8, 8, 8, 8] });
    await withModel(model, () => {
      const concatInputs = [0, 1, 2, 3].map((stage) => {
        const layer = model.getLayer(`decoder_stage${stage}_concat`);
        return layer.inboundNodes[0].inboundLayers.map((inbound) => inbound.name);
      });
      assert.deepEqual(concatInputs.map((names) => names[1]),
        ['block5c_add', 'block3b_add', 'block2b_add', 'block1a_project_bn']);
      assert.throws(() => model.getLayer('decoder_stage4_concat'));
    });
  });

  const invalid: [string, number, number, RegExp][] = [
    ['height 60', 60, 64, /height 60 is not a positive multiple of 32 .*input was 60x64/],
    ['width 100', 64, 100, /width 100 is not a positive multiple of 32 .*input was 64x100/],
    ['height 0', 0, 32, /height 0 is not a positive multiple of 32/],
  ];
  for (const [name, height, width, message] of invalid) {
    test(`refused: ${name}`, () => assert.throws(
      () => buildEfficientUnet({ height, width, variant: 'b0' }), message));
  }

  test('same seed gives the same initial weights, another seed different ones', async () => {
    const stemKernel = (seed: number) => withModel(
      buildEfficientUnet({ height: 32, width: 32, variant: 'b0', seed,
        decoderFilters: [8, 8, 8, 8, 8] }),
      (model) => Array.from(model.getLayer('stem_conv').getWeights()[0].dataSync()));
    const first = await stemKernel(5);
    assert.deepEqual(await stemKernel(5), first);
    assert.notDeepEqual(await stemKernel(6), first);
  });

  test('gradients match finite differences; one SGD step lowers the loss (cpu)', async () => {
    // Gradients of the stem and the first depthwise kernel only: tfjs' cpu
    // Conv2DBackpropFilter is a plain loop, and deeper gradients are too small at
    // initialisation for a float32 finite difference. To reach these, the gradient still
    // passes back through every layer (depthwise, squeeze-excite, BN, skips, upsampling).
    // A small decoder keeps the forward passes short.
    // BN runs on its moving statistics (training: false), an affine map: with batch
    // statistics of 2 images at the 1x1 bottom of a 32x32 input, the loss is too rough for
    // a single step or a finite difference to be a fair check.
    const model = buildEfficientUnet({ height: 32, width: 32, variant: 'b0', seed: 3,
      decoderFilters: [8, 8, 8, 8, 8] });
    await withModel(model, async () => {
      const [images, masks] = tf.tidy(() => {
        const x = tf.randomUniform([2, 32, 32, 1], 0, 1, 'float32', 11);
        return [x, tf.cast(tf.greater(x, 0.7), 'float32')];
      });
      const loss = () => tf.losses.logLoss(masks,
        model.apply(images, { training: false }) as tf.Tensor) as tf.Scalar;
      const lossNow = () => tf.tidy(() => loss().dataSync()[0]);
      const variableOf = (layer: string) =>
        model.getLayer(layer).weights[0].read() as tf.Variable;
      const checked = ['stem_conv', 'block1a_dwconv'].map(variableOf);
      const { value, grads } = tf.variableGrads(loss, checked);
      const before = value.dataSync()[0];

      for (const variable of checked) {
        // The entry with the steepest gradient: float32 rounding of the loss is small
        // against the difference.
        const gradient = grads[variable.name].dataSync() as Float32Array;
        const steepest = gradient.reduce((best, g, i) =>
          (Math.abs(g) > Math.abs(gradient[best]) ? i : best), 0);
        const original = variable.dataSync().slice();
        const lossAt = (delta: number) => {
          const moved = original.slice();
          moved[steepest] += delta;
          tf.tidy(() => variable.assign(tf.tensor(moved, variable.shape)));
          return lossNow();
        };
        const numeric = (lossAt(0.05) - lossAt(-0.05)) / 0.1;
        tf.tidy(() => variable.assign(tf.tensor(original, variable.shape)));
      assert.ok(Math.abs(gradient[steepest] - numeric) <= 0.02 * Math.abs(numeric),
          `${variable.name}: gradient ${gradient[steepest]} vs finite difference ${numeric}`);
      }

      const optimizer = tf.train.sgd(10);
      optimizer.applyGradients(grads);
      const after = lossNow();
      tf.dispose([images, masks, value, grads]);
      optimizer.dispose();
      assert.ok(after < before, `loss fell: ${before} -> ${after}`);
    });
  });

  test('decoderFilters of the wrong length is refused', () => assert.throws(
    () => buildEfficientUnet({ height: 32, width: 32, variant: 'b0', decoderFilters: [8, 8] }),
    /decoderFilters \[8, 8\] must be 5 positive integers/));
});

describe('buildModel', () => {
  const specs: [ModelSpec, number, string][] = [
    // 431 = the U-Net of depth 1, base 2 counted by hand in unet.test.ts.
    [{ architecture: 'unet', baseFilters: 2, depth: 1 }, 431, 'unet'],
    // With batch norm each of the six 3x3 convolutions drops its bias (f) and gains BN (4 f):
    // 431 + 3 * (2 + 2 + 4 + 4 + 2 + 2) = 479 (down0, bottleneck, up0: 2, 4, 2 filters).
    [{ architecture: 'unet', baseFilters: 2, depth: 1, batchNorm: true }, 479, 'unet'],
    [{ architecture: 'efficientnet-unet', variant: 'b0' }, 5_875_437, 'efficientnet_b0_unet'],
  ];
  for (const [spec, parameters, name] of specs) {
    test(`builds ${JSON.stringify(spec)}`, async () => {
      await withModel(buildModel(spec, { height: 32, width: 32, seed: 1 }), (model) => {
        assert.equal(model.name, name);
        assert.equal(model.countParams(), parameters);
        assert.deepEqual(model.outputs[0].shape, [null, 32, 32, 1]);
      });
    });
  }

  test('unknown architecture is refused', () => assert.throws(
    () => buildModel({ architecture: 'resnet' } as unknown as ModelSpec, { height: 32, width: 32 }),
    /architecture "resnet" is unknown; expected 'unet' or 'efficientnet-unet'/));

  const settings: [Parameters<typeof modelSpecOf>[0], ModelSpec | RegExp][] = [
    [{ baseFilters: 8, depth: 4 }, { architecture: 'unet', baseFilters: 8, depth: 4 }],
    [{ baseFilters: 8, depth: 4, batchNorm: true },
      { architecture: 'unet', baseFilters: 8, depth: 4, batchNorm: true }],
    [{ architecture: 'efficientnet-unet', encoder: 'b5', baseFilters: 8, depth: 4 },
      { architecture: 'efficientnet-unet', variant: 'b5' }],
    [{ architecture: 'efficientnet-unet', baseFilters: 8, depth: 4 }, /encoder is missing/],
  ];
  for (const [input, expected] of settings) {
    test(`modelSpecOf ${JSON.stringify(input)}`, () => {
      if (expected instanceof RegExp) assert.throws(() => modelSpecOf(input), expected);
      else assert.deepEqual(modelSpecOf(input), expected);
    });
  }
});
