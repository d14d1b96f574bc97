import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mixTrainingSet, STUDY_FRACTIONS } from '../lib/splits/fractions.js';

const a = Array.from({ length: 10 }, (_, i) => i);
const b = Array.from({ length: 10 }, (_, i) => 100 + i);

test('every fraction keeps the training-set size constant', () => {
  for (const fraction of STUDY_FRACTIONS) {
    const mix = mixTrainingSet(a, b, fraction, 5, 3);
    assert.equal(mix.fromA.length + mix.fromB.length, 5);
    assert.equal(mix.fromB.length, Math.round(fraction * 5));
  }
});

test('a larger fraction keeps the B images of a smaller one', () => {
  const small = mixTrainingSet(a, b, 0.2, 5, 3);
  const large = mixTrainingSet(a, b, 0.6, 5, 3);
  assert.deepEqual(large.fromB.slice(0, small.fromB.length), small.fromB);
  assert.deepEqual(small.fromA.slice(0, large.fromA.length), large.fromA);
});

test('0% takes only A, 100% only B', () => {
  assert.deepEqual(mixTrainingSet(a, b, 0, 4, 1).fromB, []);
  assert.deepEqual(mixTrainingSet(a, b, 1, 4, 1).fromA, []);
});

test('too few candidates and a fraction outside [0, 1] are errors', () => {
  assert.throws(() => mixTrainingSet(a, b.slice(0, 2), 1, 4, 1), /4 of B are needed/);
  assert.throws(() => mixTrainingSet(a, b, 1.5, 4, 1), /fraction must be in \[0, 1\]/);
});
