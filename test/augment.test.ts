import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import {
  applyTransforms, augmentBatch, drawTransform, type GeometricTransform,
} from '../lib/training/augment.js';
import { seededRandom } from '../lib/util/random.js';

let tensorsBefore = 0;
before(async () => {
  await tf.setBackend('cpu');
  tensorsBefore = tf.memory().numTensors;
});
after(() => assert.equal(tf.memory().numTensors, tensorsBefore, 'tensors leaked'));

/** The 2x3 image [[1, 2, 3], [4, 5, 6]] transformed, as nested rows. */
function transformed(transform: GeometricTransform): number[][] {
  return tf.tidy(() => {
    const image = tf.tensor4d([1, 2, 3, 4, 5, 6], [1, 2, 3, 1]);
    const out = applyTransforms(image, [transform]);
    return (out.reshape([2, 3]).arraySync() as number[][]);
  });
}

describe('applyTransforms on a hand-made 2x3 image', () => {
  const cases: [string, GeometricTransform, number[][]][] = [
    ['identity', { flip: false, shiftRows: 0, shiftColumns: 0 }, [[1, 2, 3], [4, 5, 6]]],
    ['flip', { flip: true, shiftRows: 0, shiftColumns: 0 }, [[3, 2, 1], [6, 5, 4]]],
    ['one column right', { flip: false, shiftRows: 0, shiftColumns: 1 }, [[0, 1, 2], [0, 4, 5]]],
    ['one column left', { flip: false, shiftRows: 0, shiftColumns: -1 }, [[2, 3, 0], [5, 6, 0]]],
    ['one row up', { flip: false, shiftRows: -1, shiftColumns: 0 }, [[4, 5, 6], [0, 0, 0]]],
    ['one row down', { flip: false, shiftRows: 1, shiftColumns: 0 }, [[0, 0, 0], [1, 2, 3]]],
    // Mirror first ([[3, 2, 1], [6, 5, 4]]), then move right by one.
    ['flip, then right', { flip: true, shiftRows: 0, shiftColumns: 1 }, [[0, 3, 2], [0, 6, 5]]],
    ['flip, then down-left', { flip: true, shiftRows: 1, shiftColumns: -2 },
      [[0, 0, 0], [1, 0, 0]]],
  ];
  for (const [name, transform, expected] of cases) {
    test(name, () => assert.deepEqual(transformed(transform), expected));
  }

  test('one transform per image, each applied to its own image', () => {
    const out = tf.tidy(() => {
      const batch = tf.tensor4d([1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6], [2, 2, 3, 1]);
      return applyTransforms(batch, [
        { flip: true, shiftRows: 0, shiftColumns: 0 },
        { flip: false, shiftRows: 0, shiftColumns: 0 },
      ]).reshape([2, 2, 3]).arraySync();
    });
    assert.deepEqual(out, [[[3, 2, 1], [6, 5, 4]], [[1, 2, 3], [4, 5, 6]]]);
  });

  test('wrong number of transforms names both counts', () => {
    const batch = tf.zeros([2, 2, 3, 1]) as tf.Tensor4D;
    assert.throws(() => applyTransforms(batch, []), /transforms has 0 entries.*\(2\)/);
    batch.dispose();
  });
});

describe('drawTransform', () => {
  test('shifts stay within 6% and cover the whole range; flips about half', () => {
    // 64 x 128: at most floor(3.84) = 3 rows and floor(7.68) = 7 columns.
    const rand = seededRandom(11);
    const rows = new Set<number>();
    const columns = new Set<number>();
    let flips = 0;
    for (let i = 0; i < 2000; i++) {
      const t = drawTransform(64, 128, rand);
      rows.add(t.shiftRows);
      columns.add(t.shiftColumns);
      if (t.flip) flips++;
    }
    assert.deepEqual([...rows].sort((a, b) => a - b), [-3, -2, -1, 0, 1, 2, 3]);
    assert.deepEqual([...columns].sort((a, b) => a - b), [-7, -6, -5, -4, -3, -2, -1, 0, 1, 2,
      3, 4, 5, 6, 7]);
    assert.ok(flips > 900 && flips < 1100, `flips ${flips} of 2000`);
  });

  test('no flip at probability 0, no shift at fraction 0', () => {
    const t = drawTransform(64, 64, seededRandom(1), { flipProbability: 0, maxShiftFraction: 0 });
    assert.deepEqual(t, { flip: false, shiftRows: 0, shiftColumns: 0 });
  });
});

describe('augmentBatch', () => {
  test('the mask follows the image: mask == (image > 0.5) before and after', () => {
    // Random images; the mask marks the bright pixels, so any misalignment breaks equality.
    // Shifts fill with 0 in both, which keeps the relation (0 is dark and background).
    const [count, height, width] = [6, 64, 64];
    const pixels = seededRandom(3);
    const values = Float32Array.from({ length: count * height * width }, () => pixels());
    const maskValues = values.map((v) => (v > 0.5 ? 1 : 0));
    const images = tf.tensor4d(values, [count, height, width, 1]);
    const masks = tf.tensor4d(maskValues, [count, height, width, 1]);

    const out = augmentBatch(images, masks, seededRandom(5));
    const augmentedImages = out.images.dataSync();
    const augmentedMasks = out.masks.dataSync();
    tf.dispose([images, masks, out.images, out.masks]);

    const brightAfter = Array.from(augmentedImages, (v) => (v > 0.5 ? 1 : 0));
    assert.deepEqual(Array.from(augmentedMasks), brightAfter);
    assert.notDeepEqual(Array.from(augmentedImages), Array.from(values), 'something moved');
  });

  test('same random source, same result', () => {
    const run = () => tf.tidy(() => {
      const images = tf.tensor4d(Float32Array.from({ length: 4 * 32 * 32 }, (_, i) => i % 7),
        [4, 32, 32, 1]);
      return Array.from(augmentBatch(images, images, seededRandom(9)).images.dataSync());
    });
    assert.deepEqual(run(), run());
  });

  test('shapes must match', () => {
    const images = tf.zeros([1, 4, 4, 1]) as tf.Tensor4D;
    const masks = tf.zeros([1, 4, 2, 1]) as tf.Tensor4D;
    assert.throws(() => augmentBatch(images, masks, Math.random), /masks shape \[1,4,2,1\]/);
    tf.dispose([images, masks]);
  });
});
