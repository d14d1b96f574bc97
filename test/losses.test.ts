import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { bceDiceLoss, binaryFocalLoss, lossFor } from '../lib/training/losses.js';
import { loadProfile } from '../lib/config/profiles.js';

let tensorsBefore = 0;
before(async () => {
  await tf.setBackend('cpu');
  tensorsBefore = tf.memory().numTensors;
});
after(() => assert.equal(tf.memory().numTensors, tensorsBefore, 'tensors leaked'));

/** Evaluates a loss on plain arrays (2x2 images) and frees every tensor. */
function value(
  loss: (y: tf.Tensor, p: tf.Tensor) => tf.Scalar, truth: number[], prediction: number[],
): number {
  return tf.tidy(() => loss(tf.tensor(truth, [1, 2, 2, 1]), tf.tensor(prediction, [1, 2, 2, 1]))
    .dataSync()[0]);
}

const close = (actual: number, expected: number, tolerance = 1e-5): void =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `expected ${expected}, got ${actual}`);

// The 2x2 example used below: mask y = [1, 0, 0, 1], probabilities p = [0.8, 0.2, 0.4, 0.9].
const y = [1, 0, 0, 1];
const p = [0.8, 0.2, 0.4, 0.9];

describe('bceDiceLoss', () => {
  test('hand-computed 2x2 example', () => {
    // BCE per pixel: -ln 0.8 = 0.223144, -ln(1-0.2) = 0.223144, -ln(1-0.4) = 0.510826,
    //   -ln 0.9 = 0.105361; mean = 1.062475 / 4 = 0.265619.
    // Dice: sum(y p) = 0.8 + 0.9 = 1.7, sum(y) = 2, sum(p) = 2.3,
    //   (2 * 1.7 + 1) / (2 + 2.3 + 1) = 4.4 / 5.3 = 0.830189; 1 - Dice = 0.169811.
    // Total 0.265619 + 0.169811 = 0.435430.
    close(value(bceDiceLoss, y, p), 0.435430);
  });

  test('Dice is pooled over the batch, not averaged per image', () => {
    // Image 1: y = [1,0,0,0], p = [1,0,0,0]; image 2: y = 0, p = [0.5,0,0,0].
    // Pooled: sum(y p) = 1, sum(y) = 1, sum(p) = 1.5 -> Dice (2 + 1) / (1 + 1.5 + 1) = 3/3.5.
    // BCE: pixel p = 1 and p = 0 give ~1e-7 each; p = 0.5 on y = 0 gives ln 2; mean ln2 / 8.
    const truth = tf.tensor([1, 0, 0, 0, 0, 0, 0, 0], [2, 2, 2, 1]);
    const prediction = tf.tensor([1, 0, 0, 0, 0.5, 0, 0, 0], [2, 2, 2, 1]);
    const loss = bceDiceLoss(truth, prediction);
    close(loss.dataSync()[0], Math.LN2 / 8 + 1 - 3 / 3.5);
    tf.dispose([truth, prediction, loss]);
  });

  const perfect: [string, number[]][] = [
    ['some lesion', [1, 0, 0, 1]],
    ['no lesion (smooth term gives Dice 1)', [0, 0, 0, 0]],
    ['all lesion', [1, 1, 1, 1]],
  ];
  for (const [name, mask] of perfect) {
    test(`perfect prediction gives ~0: ${name}`, () => {
      // Prediction equal to the mask: BCE is only the clipping epsilon, 1 - Dice is 0.
      close(value(bceDiceLoss, mask, mask), 0, 1e-6);
    });
  }

  test('shapes must match', () => {
    const a = tf.zeros([1, 2, 2, 1]);
    const b = tf.zeros([1, 4, 1, 1]);
    assert.throws(() => bceDiceLoss(a, b), /losses\.ts bceDiceLoss: yTrue shape \[1,2,2,1\]/);
    tf.dispose([a, b]);
  });
});

describe('binaryFocalLoss', () => {
  test('hand-computed 2x2 example, alpha 0.25, gamma 2', () => {
    // y=1, p=0.8: 0.25 * 0.2^2 * 0.223144 = 0.00223144
    // y=0, p=0.2: 0.75 * 0.2^2 * 0.223144 = 0.00669432
    // y=0, p=0.4: 0.75 * 0.4^2 * 0.510826 = 0.06129912
    // y=1, p=0.9: 0.25 * 0.1^2 * 0.105361 = 0.00026340
    // mean = 0.07048828 / 4 = 0.01762207
    close(value(binaryFocalLoss, y, p), 0.01762207);
  });

  test('gamma 0 is the alpha-weighted cross-entropy', () => {
    // alpha 0.25: 0.25 * (0.223144 + 0.105361) + 0.75 * (0.223144 + 0.510826) = 0.632604;
    // mean over 4 pixels = 0.158151.
    const weighted = (t: tf.Tensor, q: tf.Tensor) => binaryFocalLoss(t, q, 0.25, 0);
    close(value(weighted, y, p), 0.158151);
    // alpha 0.5, gamma 0 is half the plain BCE (0.265619 from the example above).
    const half = (t: tf.Tensor, q: tf.Tensor) => binaryFocalLoss(t, q, 0.5, 0);
    close(value(half, y, p), 0.265619 / 2);
  });

  test('alpha weights the lesion class', () => {
    // One lesion pixel at p = 0.5, gamma 0: alpha * ln 2; background pixel: (1-alpha) ln 2.
    const lesionOnly = (alpha: number) =>
      value((t, q) => binaryFocalLoss(t, q, alpha, 0), [1, 1, 1, 1], [0.5, 0.5, 0.5, 0.5]);
    close(lesionOnly(0.25), 0.25 * Math.LN2);
    close(lesionOnly(1), Math.LN2);
    close(lesionOnly(0), 0);
  });
});

describe('lossFor', () => {
  test('bce-dice by default', () => {
    assert.equal(lossFor(loadProfile('smoke')), bceDiceLoss);
  });

  test('focal uses the profile alpha and gamma', () => {
    const profile = { ...loadProfile('smoke'), loss: 'focal' as const, focalAlpha: 0.25,
      focalGamma: 2 };
    close(value(lossFor(profile), y, p), 0.01762207);
  });

  test('unknown loss names the field', () => {
    const profile = { ...loadProfile('smoke'), loss: 'hinge' as never };
    assert.throws(() => lossFor(profile),
      /profile\.loss must be 'bce-dice' or 'focal', got 'hinge'/);
  });
});
