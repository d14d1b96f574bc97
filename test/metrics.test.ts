import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { MetricAccumulator } from '../lib/evaluation/accumulator.js';
import { addCounts, binarize, confusionCounts, type Counts } from '../lib/evaluation/confusion.js';
import { reduceScores, scores, type Scores } from '../lib/evaluation/metrics.js';

const mask = (bits: string): Uint8Array => Uint8Array.from(bits, (c) => Number(c));

/** Equal up to rounding; NaN equals NaN. */
function assertScores(actual: Scores, expected: Scores, tolerance = 1e-12): void {
  for (const name of Object.keys(expected) as (keyof Scores)[]) {
    const [a, e] = [actual[name], expected[name]];
    if (Number.isNaN(e)) assert.ok(Number.isNaN(a), `${name}: expected NaN, got ${a}`);
    else assert.ok(Math.abs(a - e) <= tolerance, `${name}: expected ${e}, got ${a}`);
  }
}

describe('confusionCounts', () => {
  const cases: [string, string, string, Counts][] = [
    ['one of each', '1100', '1010', { tp: 1, fp: 1, fn: 1, tn: 1 }],
    ['perfect', '1001', '1001', { tp: 2, fp: 0, fn: 0, tn: 2 }],
    ['all wrong', '10', '01', { tp: 0, fp: 1, fn: 1, tn: 0 }],
    ['both empty', '000', '000', { tp: 0, fp: 0, fn: 0, tn: 3 }],
    ['no pixels', '', '', { tp: 0, fp: 0, fn: 0, tn: 0 }],
  ];
  for (const [name, prediction, truth, expected] of cases) {
    test(name, () => assert.deepEqual(confusionCounts(mask(prediction), mask(truth)), expected));
  }

  test('different lengths: the error names both', () => {
    assert.throws(() => confusionCounts(mask('101'), mask('10')), /prediction has 3.*truth has 2/);
  });

  test('a 0/255 mask is refused, not counted as lesion', () => {
    assert.throws(() => confusionCounts(mask('01'), Uint8Array.of(0, 255)), /truth\[1\] is 255/);
    assert.throws(() => confusionCounts(Uint8Array.of(2), mask('1')), /prediction\[0\] is 2/);
  });
});

describe('binarize', () => {
  test('a probability equal to the threshold is lesion; NaN is background', () => {
    const probabilities = Float32Array.of(0, 0.49, 0.5, 0.51, 1, NaN);
    assert.deepEqual(binarize(probabilities, 0.5), mask('001110'));
  });

  test('float32 probabilities are compared as stored', () => {
    // Math.fround(0.3) is slightly above 0.3, so it reaches the cutoff 0.3.
    assert.deepEqual(binarize(Float32Array.of(0.3), 0.3), mask('1'));
  });

  test('a NaN threshold is refused', () => {
    assert.throws(() => binarize(Float32Array.of(0.5), NaN), /threshold is NaN/);
  });
});

test('addCounts sums field by field', () => {
  const a = { tp: 1, fp: 0, fn: 2, tn: 5 };
  assert.deepEqual(addCounts(a, { tp: 3, fp: 1, fn: 0, tn: 4 }), { tp: 4, fp: 1, fn: 2, tn: 9 });
  assert.deepEqual(a, { tp: 1, fp: 0, fn: 2, tn: 5 });
});

describe('scores of hand-made counts', () => {
  const cases: [string, Counts, Scores][] = [
    ['one of each', { tp: 1, fp: 1, fn: 1, tn: 1 },
      { f1: 0.5, sensitivity: 0.5, ppv: 0.5, specificity: 0.5, iou: 1 / 3 }],
    ['tp 2, fp 1, fn 1, tn 6', { tp: 2, fp: 1, fn: 1, tn: 6 },
      { f1: 2 / 3, sensitivity: 2 / 3, ppv: 2 / 3, specificity: 6 / 7, iou: 0.5 }],
    ['ppv differs from sensitivity', { tp: 1, fp: 3, fn: 0, tn: 4 },
      { f1: 2 / 5, sensitivity: 1, ppv: 0.25, specificity: 4 / 7, iou: 0.25 }],
    ['perfect', { tp: 2, fp: 0, fn: 0, tn: 2 },
      { f1: 1, sensitivity: 1, ppv: 1, specificity: 1, iou: 1 }],
    ['all wrong', { tp: 0, fp: 1, fn: 1, tn: 0 },
      { f1: 0, sensitivity: 0, ppv: 0, specificity: 0, iou: 0 }],
    // The 0/0 policy: undefined scores are NaN, never 0 or 1.
    ['empty mask, empty prediction', { tp: 0, fp: 0, fn: 0, tn: 3 },
      { f1: NaN, sensitivity: NaN, ppv: NaN, specificity: 1, iou: NaN }],
    ['lesion missed, nothing predicted', { tp: 0, fp: 0, fn: 2, tn: 2 },
      { f1: 0, sensitivity: 0, ppv: NaN, specificity: 1, iou: 0 }],
    ['all lesion, all predicted', { tp: 2, fp: 0, fn: 0, tn: 0 },
      { f1: 1, sensitivity: 1, ppv: 1, specificity: NaN, iou: 1 }],
    ['no pixels', { tp: 0, fp: 0, fn: 0, tn: 0 },
      { f1: NaN, sensitivity: NaN, ppv: NaN, specificity: NaN, iou: NaN }],
  ];
  for (const [name, counts, expected] of cases) {
    test(name, () => assertScores(scores(counts), expected));
  }
});

describe('reduceScores', () => {
  // A: one lesion pixel found. B: nine lesion pixels missed, one background pixel right.
  const imageA = { tp: 1, fp: 0, fn: 0, tn: 0 };
  const imageB = { tp: 0, fp: 0, fn: 9, tn: 1 };
  const bothEmpty = { tp: 0, fp: 0, fn: 0, tn: 4 };

  test('pooled weighs pixels, per-image weighs images', () => {
    assertScores(reduceScores([imageA, imageB], 'pooled'),
      { f1: 2 / 11, sensitivity: 0.1, ppv: 1, specificity: 1, iou: 0.1 });
    assertScores(reduceScores([imageA, imageB], 'per-image'),
      { f1: 0.5, sensitivity: 0.5, ppv: 1, specificity: 1, iou: 0.5 });
  });

  test('per-image mean skips NaN scores of an empty image', () => {
    assertScores(reduceScores([imageA, bothEmpty], 'per-image'),
      { f1: 1, sensitivity: 1, ppv: 1, specificity: 1, iou: 1 });
  });

  test('a score that is NaN on every image stays NaN', () => {
    assertScores(reduceScores([bothEmpty, bothEmpty], 'per-image'),
      { f1: NaN, sensitivity: NaN, ppv: NaN, specificity: 1, iou: NaN });
  });

  test('no image gives NaN for both reductions', () => {
    const none = { f1: NaN, sensitivity: NaN, ppv: NaN, specificity: NaN, iou: NaN };
    assertScores(reduceScores([], 'pooled'), none);
    assertScores(reduceScores([], 'per-image'), none);
  });

  test('an unknown reduction is refused', () => {
    assert.throws(() => reduceScores([imageA], 'micro' as 'pooled'), /reduction is "micro"/);
  });
});

describe('MetricAccumulator', () => {
  test('sums per image and scores through reduceScores', () => {
    const accumulator = new MetricAccumulator();
    assert.deepEqual(accumulator.add(mask('1'), mask('1')), { tp: 1, fp: 0, fn: 0, tn: 0 });
    accumulator.add(mask('0000000000'), mask('1111111110'));
    assert.equal(accumulator.size, 2);
    assert.deepEqual(accumulator.perImage(),
      [{ tp: 1, fp: 0, fn: 0, tn: 0 }, { tp: 0, fp: 0, fn: 9, tn: 1 }]);
    assert.deepEqual(accumulator.pooled(), { tp: 1, fp: 0, fn: 9, tn: 1 });
    for (const reduction of ['pooled', 'per-image'] as const) {
      assert.deepEqual(accumulator.scores(reduction),
        reduceScores(accumulator.perImage(), reduction));
    }
  });

  test('perImage returns copies; reset forgets every image', () => {
    const accumulator = new MetricAccumulator();
    accumulator.add(mask('10'), mask('11'));
    accumulator.perImage()[0].tp = 99;
    assert.equal(accumulator.pooled().tp, 1);
    accumulator.reset();
    assert.equal(accumulator.size, 0);
    assert.deepEqual(accumulator.pooled(), { tp: 0, fp: 0, fn: 0, tn: 0 });
  });

  test('a length mismatch is refused and nothing is added', () => {
    const accumulator = new MetricAccumulator();
    assert.throws(() => accumulator.add(mask('1'), mask('10')), /prediction has 1/);
    assert.equal(accumulator.size, 0);
  });
});

interface MetricsFixture {
  name: string;
  images: { prediction: string; truth: string }[];
  pooled: Scores;
  perImage: Scores;
}

describe('against sklearn.metrics (test/fixtures/metrics.json)', () => {
  const path = new URL('./fixtures/metrics.json', import.meta.url);
  const fixtures = JSON.parse(readFileSync(path, 'utf8')).cases as MetricsFixture[];

  for (const fixture of fixtures) {
    test(fixture.name, () => {
      const accumulator = new MetricAccumulator();
      for (const image of fixture.images) {
        accumulator.add(mask(image.prediction), mask(image.truth));
      }
      assertScores(accumulator.scores('pooled'), fixture.pooled);
      assertScores(accumulator.scores('per-image'), fixture.perImage);
    });
  }
});
