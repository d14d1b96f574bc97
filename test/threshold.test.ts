import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { addCounts, binarize, confusionCounts, zeroCounts } from '../lib/evaluation/confusion.js';
import { f1 } from '../lib/evaluation/metrics.js';
import {
  countsAtThresholds,
  DEFAULT_THRESHOLD_CANDIDATES,
  f1OptimalThreshold,
} from '../lib/evaluation/threshold.js';
import { seededRandom } from '../lib/util/random.js';

const mask = (bits: string): Uint8Array => Uint8Array.from(bits, (c) => Number(c));

/** Pooled counts at one cutoff the slow, obvious way: binarize every image, sum counts. */
function bruteForceCounts(probabilities: Float32Array[], truths: Uint8Array[], cutoff: number) {
  return truths
    .map((truth, i) => confusionCounts(binarize(probabilities[i], cutoff), truth))
    .reduce(addCounts, zeroCounts());
}

/** The rule written out plainly: highest F1, then closest to 0.5, then the lower cutoff. */
function bruteForceOptimum(
  probabilities: Float32Array[],
  truths: Uint8Array[],
  candidates: readonly number[],
) {
  const rows = candidates.map((threshold) => ({
    threshold,
    f1: f1(bruteForceCounts(probabilities, truths, threshold)),
  }));
  const defined = rows.filter((row) => !Number.isNaN(row.f1));
  const best = Math.max(...defined.map((row) => row.f1));
  const pool = defined.length > 0 ? defined.filter((row) => row.f1 === best) : rows;
  const distance = (t: number) => Math.round(Math.abs(t - 0.5) * 1e9);
  pool.sort((p, q) => distance(p.threshold) - distance(q.threshold) || p.threshold - q.threshold);
  return pool[0];
}

/**
 * Random validation images whose probabilities include values exactly at the candidates
 * (as float32), 0, 1, values outside [0, 1] and NaN: where wrong bin edges would show.
 */
function randomImages(seed: number, images: number, pixels: number) {
  const rand = seededRandom(seed);
  const special = [...DEFAULT_THRESHOLD_CANDIDATES, 0, 1, 0.3, -0.25, 1.25, NaN];
  const probabilities: Float32Array[] = [];
  const truths: Uint8Array[] = [];
  for (let image = 0; image < images; image++) {
    const truth = new Uint8Array(pixels);
    const probability = new Float32Array(pixels);
    for (let i = 0; i < pixels; i++) {
      truth[i] = rand() < 0.2 ? 1 : 0;
      const signal = truth[i] === 1 ? 0.35 : 0;
      probability[i] = rand() < 0.1
        ? special[Math.floor(rand() * special.length)]
        : Math.min(1, rand() * 0.65 + signal);
    }
    probabilities.push(probability);
    truths.push(truth);
  }
  return { probabilities, truths };
}

describe('countsAtThresholds equals binarize + confusionCounts at every cutoff', () => {
  const candidateSets: [string, readonly number[]][] = [
    ['default candidates', DEFAULT_THRESHOLD_CANDIDATES],
    ['unordered, with duplicates, outside [0, 1]', [0.7, 0.3, 0.3, -1, 2, 0.5, 0]],
    ['one candidate', [0.42]],
  ];
  for (const seed of [1, 2, 3]) {
    const { probabilities, truths } = randomImages(seed, 4, 500);
    for (const [name, candidates] of candidateSets) {
      test(`seed ${seed}, ${name}`, () => {
        const expected = candidates.map((t) => bruteForceCounts(probabilities, truths, t));
        assert.deepEqual(countsAtThresholds(probabilities, truths, candidates), expected);
      });
    }
  }
});

describe('f1OptimalThreshold equals brute force', () => {
  for (const seed of [11, 12, 13, 14, 15]) {
    test(`seed ${seed}`, () => {
      const { probabilities, truths } = randomImages(seed, 3, 400);
      assert.deepEqual(
        f1OptimalThreshold(probabilities, truths),
        bruteForceOptimum(probabilities, truths, DEFAULT_THRESHOLD_CANDIDATES),
      );
    });
  }
});

describe('f1OptimalThreshold, cases checkable by eye', () => {
  // name, probabilities per image, mask per image, candidates, expected cutoff and F1
  const cases: [string, number[][], string[], number[] | undefined, number, number][] = [
    // Cutoffs 0.15 .. 0.40 all separate the classes (F1 = 1); 0.40 is closest to 0.5.
    ['plateau resolved towards 0.5', [[0.1, 0.4, 0.6, 0.9]], ['0111'], undefined, 0.4, 1],
    // Both cutoffs separate the classes; equally far from 0.5, so the lower one wins.
    ['tie at equal distance goes low', [[0.2, 0.8]], ['01'], [0.7, 0.3], 0.3, 1],
    ['0.45 and 0.55 tie, 0.45 wins', [[0.2, 0.8]], ['01'], [0.55, 0.45], 0.45, 1],
    // A probability exactly at the cutoff is lesion.
    ['probability equal to the cutoff', [[0.5, 0.25]], ['10'], [0.5], 0.5, 1],
    // At 0.2 a false positive gives F1 = 0; at 0.5 nothing is predicted (F1 = NaN).
    ['a number beats NaN', [[0.3]], ['0'], [0.5, 0.2], 0.2, 0],
    ['NaN everywhere: closest to 0.5', [[0]], ['0'], [0.2, 0.6], 0.6, NaN],
    // At 0.5: tp 1, fp 1, fn 1 (F1 1/2); at 0.25: tp 2, fp 2 (F1 4/6), pooled over both.
    ['pooled over images', [[0.9, 0.6], [0.3, 0.35]], ['10', '10'], [0.5, 0.25], 0.25, 2 / 3],
  ];
  for (const [name, probabilities, truths, candidates, threshold, expectedF1] of cases) {
    test(name, () => {
      const probabilityMaps = probabilities.map((values) => Float32Array.from(values));
      const result = f1OptimalThreshold(probabilityMaps, truths.map(mask), candidates);
      assert.equal(result.threshold, threshold);
      if (Number.isNaN(expectedF1)) assert.ok(Number.isNaN(result.f1));
      else assert.ok(Math.abs(result.f1 - expectedF1) < 1e-15, `f1 ${result.f1}`);
    });
  }
});

test('default candidates are 0.05, 0.10, ..., 0.95', () => {
  assert.equal(DEFAULT_THRESHOLD_CANDIDATES.length, 19);
  assert.equal(DEFAULT_THRESHOLD_CANDIDATES[0], 0.05);
  assert.equal(DEFAULT_THRESHOLD_CANDIDATES[2], 0.15);
  assert.equal(DEFAULT_THRESHOLD_CANDIDATES[18], 0.95);
});

describe('refused inputs', () => {
  const one = [Float32Array.of(0.5)];
  const cases: [string, () => unknown, RegExp][] = [
    ['no image', () => f1OptimalThreshold([], []), /truths is empty/],
    ['image counts differ', () => f1OptimalThreshold(one, []), /1 images but truths has 0/],
    ['pixel counts differ', () => f1OptimalThreshold(one, [mask('10')]),
      /probabilities\[0\] has 1 pixels but truths\[0\] has 2/],
    ['mask value 255', () => f1OptimalThreshold(one, [Uint8Array.of(255)]),
      /truths\[0\]\[0\] is 255/],
    ['no candidate', () => f1OptimalThreshold(one, [mask('1')], []), /candidates is \[\]/],
    ['NaN candidate', () => countsAtThresholds(one, [mask('1')], [0.5, NaN]), /NaN/],
  ];
  for (const [name, run, message] of cases) {
    test(name, () => assert.throws(run, message));
  }
});
