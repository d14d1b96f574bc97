import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import * as tf from '@tensorflow/tfjs';

import { loadProfile, type Profile } from '../lib/config/profiles.js';
import { buildModel, modelSpecOf } from '../lib/model/build.js';
import { saveModel } from '../lib/model/weights.js';
import { trainModel, type TrainingSample } from '../lib/training/train.js';
import { squareSample, temporaryFolder } from './data-synthetic.js';

const SIZE = 16;

function square(index: number): TrainingSample {
  return squareSample(index, SIZE);
}

const train = Array.from({ length: 8 }, (_, i) => square(i));
const validation = Array.from({ length: 2 }, (_, i) => square(8 + i));

// Without batch norm every weight is trainable: with a learning rate of 1e-12 one epoch
// (2 Adam steps, each moving a weight by about the learning rate) leaves them as they were.
// With batch norm the moving mean and variance would change regardless of the rate.
const profile: Profile = { ...loadProfile('smoke'), height: SIZE, width: SIZE, depth: 2,
  baseFilters: 2, batchNorm: false, epochs: 1, batchSize: 4, learningRate: 1e-12,
  augment: false };

/** Every weight value of a model, flattened in layer order. */
function weightValues(model: tf.LayersModel): Float32Array[] {
  return model.getWeights().map((weight) => weight.dataSync() as Float32Array);
}

function largestDifference(x: Float32Array[], y: Float32Array[]): number {
  assert.equal(x.length, y.length, 'weight count');
  let largest = 0;
  x.forEach((values, i) => {
    assert.equal(values.length, y[i].length, `weight ${i} length`);
    values.forEach((value, j) => { largest = Math.max(largest, Math.abs(value - y[i][j])); });
  });
  return largest;
}

describe('training from saved initial weights (cpu)', () => {
  let folder = '';
  let saved: Float32Array[] = [];
  let layersWithWeights = 0;

  before(async () => {
    await tf.setBackend('cpu');
    folder = join(temporaryFolder('initial-weights-'), 'earlier-model');
    // Seed 7 here, seed 1 for training: a model that ignored the file would start elsewhere.
    const model = buildModel(modelSpecOf(profile), { height: SIZE, width: SIZE, seed: 7 });
    try {
      await saveModel(model, folder);
      saved = weightValues(model);
      layersWithWeights = model.layers.filter((layer) => layer.weights.length > 0).length;
    } finally {
      model.dispose();
    }
  });
  after(() => rmSync(join(folder, '..'), { recursive: true, force: true }));

  test('every layer is loaded, logged, and the weights stay the saved ones at lr 1e-12',
    async () => {
      const tensorsBefore = tf.memory().numTensors;
      const lines: string[] = [];
      const trained = await trainModel({ train, validation, seed: 1, progress: false,
        profile: { ...profile, initialWeights: folder }, log: (line) => lines.push(line) });
      try {
        // depth 2: 2 convolutions on each of 3 levels down, 2 up-convolutions, 2 decoder
        // levels of 2 convolutions, the 1x1 output: 6 + 2 + 4 + 1 = 13 layers with weights.
        assert.equal(layersWithWeights, 13);
        assert.equal(lines[0], `initial weights from ${folder}: ${layersWithWeights} layers ` +
          'loaded, 0 kept their random start');
        assert.ok(lines.some((line) => line.startsWith('training: 8 images, 2 validation')));
        const difference = largestDifference(weightValues(trained.model), saved);
        assert.ok(difference <= 1e-6, `largest difference ${difference}`);
      } finally {
        trained.dispose();
      }
      assert.equal(tf.memory().numTensors, tensorsBefore, 'tensors leaked');
    });

  test('without the option the model starts from its own random weights', async () => {
    const tensorsBefore = tf.memory().numTensors;
    const lines: string[] = [];
    const trained = await trainModel({ train, validation, profile, seed: 1, progress: false,
      log: (line) => lines.push(line) });
    try {
      assert.equal(lines.some((line) => line.includes('initial weights')), false);
      const difference = largestDifference(weightValues(trained.model), saved);
      assert.ok(difference > 1e-3, `largest difference ${difference}`);
    } finally {
      trained.dispose();
    }
    assert.equal(tf.memory().numTensors, tensorsBefore, 'tensors leaked');
  });

  test('a folder that does not exist fails with the file error and leaks no tensor',
    async () => {
      const missing = join(folder, '..', 'no-such-model');
      const tensorsBefore = tf.memory().numTensors;
      await assert.rejects(trainModel({ train, validation, seed: 1, progress: false,
        profile: { ...profile, initialWeights: missing }, log: () => {} }),
      (error: Error) => error.message.includes(`model folder ${missing} does not exist`));
      assert.equal(tf.memory().numTensors, tensorsBefore, 'tensors leaked');
    });
});
