import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import type { Counts } from '../lib/evaluation/confusion.js';
import type { LesionCounts, LesionScores } from '../lib/evaluation/lesions.js';
import type { Scores } from '../lib/evaluation/metrics.js';
import type { RunResult } from '../lib/experiments/runs.js';
import { scoreRuns, type FoldResult, type ScoredSet } from '../lib/experiments/scores.js';
import {
  byFraction, foldValues, fractionRows, groupTtestRows, metricRows, setTtestRows,
} from '../lib/experiments/summarize.js';
import { centerComparisonFigure, fractionFigure, metricBarsFigure } from
  '../lib/figures/charts.js';
import { ttestInd } from '../lib/statistics/ttest.js';

const close = (actual: number, expected: number, what: string, tolerance = 1e-12): void =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} vs ${expected}`);

/** A finished run with the given per-image counts and nothing else of interest. */
function run(name: string, counts: Record<string, Counts>,
  lesions: Record<string, LesionCounts>, fraction?: number): RunResult {
  return {
    hash: `hash of ${name}`, experiment: 'baseline', name, fold: 1,
    ...(fraction === undefined ? {} : { fraction }), trainImages: 4, validationImages: 2,
    bestEpoch: 1, threshold: 0.5, validationF1: 0.5, history: [], counts, lesions,
    backend: 'cpu', seconds: 1, reused: false,
  };
}

describe('scoreRuns from hand-made counts', () => {
  const counts: Record<string, Counts> = {
    'A-1': { tp: 3, fp: 1, fn: 1, tn: 15 },
    'A-2': { tp: 1, fp: 3, fn: 0, tn: 16 },
    'B-1': { tp: 0, fp: 0, fn: 4, tn: 16 },
  };
  const lesions: Record<string, LesionCounts> = {
    'A-1': { lesions: 2, detected: 1, predictedRegions: 2, falseDetections: 1 },
    'A-2': { lesions: 1, detected: 1, predictedRegions: 3, falseDetections: 2 },
    'B-1': { lesions: 3, detected: 0, predictedRegions: 0, falseDetections: 0 },
  };
  const [scored] = scoreRuns([run('fold 1', counts, lesions)], [
    { name: 'A', ids: ['A-1', 'A-2'] }, { name: 'B', ids: ['B-1'] }, { name: 'none', ids: [] },
  ]);

  function assertScores(actual: Scores | LesionScores, expected: Record<string, number>,
    what: string): void {
    for (const [key, value] of Object.entries(expected)) {
      const got = (actual as unknown as Record<string, number>)[key];
      if (Number.isNaN(value)) assert.ok(Number.isNaN(got), `${what} ${key}: ${got}, not NaN`);
      else close(got, value, `${what} ${key}`);
    }
  }

  test('the run keeps its fields and gains one scored set per test set, in order', () => {
    assert.equal(scored.name, 'fold 1');
    assert.deepEqual(scored.counts, counts);
    assert.deepEqual(scored.test.map((set) => [set.name, set.images]),
      [['A', 2], ['B', 1], ['none', 0]]);
  });

  test('A pooled: counts summed (tp 4, fp 4, fn 1, tn 31), then scored', () => {
    // F1 = 2*4 / (2*4 + 4 + 1) = 8/13; sensitivity 4/5; PPV 4/8; specificity 31/35.
    assertScores(scored.test[0].pooled,
      { f1: 8 / 13, sensitivity: 0.8, ppv: 0.5, specificity: 31 / 35, iou: 4 / 9 }, 'A pooled');
  });

  test('A per image: each image scored, then the mean', () => {
    // F1 6/8, sensitivity 3/4, PPV 3/4, specificity 15/16.
    // F1 2/5, sensitivity 1, PPV 1/4, specificity 16/19.
    assertScores(scored.test[0].perImage, { f1: (0.75 + 0.4) / 2, sensitivity: (0.75 + 1) / 2,
      ppv: (0.75 + 0.25) / 2, specificity: (15 / 16 + 16 / 19) / 2 }, 'A per image');
  });

  test('A lesions: pooled over images', () => {
    // 2 of 3 lesions detected; 5 regions, 3 false: PPV 2/5; 3 false detections / 2 images.
    assertScores(scored.test[0].lesions,
      { sensitivity: 2 / 3, ppv: 0.4, falseDetectionsPerImage: 1.5 }, 'A lesions');
  });

  test('B: nothing predicted gives F1 0, sensitivity 0, PPV undefined (NaN), specificity 1',
    () => {
      const expected = { f1: 0, sensitivity: 0, ppv: NaN, specificity: 1 };
      assertScores(scored.test[1].pooled, expected, 'B pooled');
      assertScores(scored.test[1].perImage, expected, 'B per image');
      assertScores(scored.test[1].lesions,
        { sensitivity: 0, ppv: NaN, falseDetectionsPerImage: 0 }, 'B lesions');
    });

  test('an empty test set scores NaN everywhere', () => {
    const empty = scored.test[2];
    for (const scores of [empty.pooled, empty.perImage, empty.lesions]) {
      for (const [key, value] of Object.entries(scores)) {
        assert.ok(Number.isNaN(value), `${key} is ${value}`);
      }
    }
  });

  test('an id the run was not scored on throws naming run, id and set', () => {
    assert.throws(() => scoreRuns([run('fold 3', counts, lesions)],
      [{ name: 'B with restorations', ids: ['B-1', 'B-9'] }]),
    /run 'fold 3' was not scored on image 'B-9' of test set 'B with restorations'/);
    // Pixel counts present but lesion counts missing is refused the same way.
    assert.throws(() => scoreRuns([run('fold 4', counts, {})], [{ name: 'A', ids: ['A-1'] }]),
      /run 'fold 4' was not scored on image 'A-1' of test set 'A'/);
  });
});

/** Pixel scores with only the four study metrics set (IoU 0); per image defaults to pooled. */
function pixel(f1: number, sensitivity: number, ppv: number, specificity: number): Scores {
  return { f1, sensitivity, ppv, specificity, iou: 0 };
}

interface SetValues {
  pooled: Scores;
  perImage?: Scores;
  lesions?: LesionScores;
}

/** A scored fold model with hand-chosen scores per test set. */
function fold(name: string, sets: Record<string, SetValues>, fraction?: number): FoldResult {
  const test: ScoredSet[] = Object.entries(sets).map(([set, values]) => ({
    name: set, images: 1, pooled: values.pooled, perImage: values.perImage ?? values.pooled,
    lesions: values.lesions ?? { sensitivity: NaN, ppv: NaN, falseDetectionsPerImage: NaN },
  }));
  return { ...run(name, {}, {}, fraction), test };
}

describe('summaries over fold models', () => {
  // F1 on A: 0.4, 0.5, 0.9 -> mean 0.6, SD sqrt((0.04 + 0.01 + 0.09) / 2) = sqrt(0.07)
  // = 0.26458 (n - 1; with n it would be 0.216). PPV on B: NaN, 0.2, 0.4 -> 2 models,
  // mean 0.3, SD sqrt(0.02 / 1) = 0.14142. Per-image F1 on A: 0.1, 0.2, 0.3 -> 0.2 ± 0.1.
  const folds = [
    fold('fold 1', {
      A: { pooled: pixel(0.4, 0.5, 0.6, 0.9), perImage: pixel(0.1, 0, 0, 0),
        lesions: { sensitivity: 0.5, ppv: 0.25, falseDetectionsPerImage: 2 } },
      B: { pooled: pixel(0.1, 0.2, NaN, 0.95) },
    }),
    fold('fold 2', {
      A: { pooled: pixel(0.5, 0.5, 0.6, 0.9), perImage: pixel(0.2, 0, 0, 0),
        lesions: { sensitivity: 0.75, ppv: 0.5, falseDetectionsPerImage: 1 } },
      B: { pooled: pixel(0.2, 0.3, 0.2, 0.96) },
    }),
    fold('fold 3', {
      A: { pooled: pixel(0.9, 0.5, 0.6, 0.9), perImage: pixel(0.3, 0, 0, 0),
        lesions: { sensitivity: 1, ppv: NaN, falseDetectionsPerImage: 0 } },
      B: { pooled: pixel(0.3, 0.4, 0.4, 0.97) },
    }),
  ];

  test('foldValues picks the metric of the set and reduction, dropping NaN', () => {
    assert.deepEqual(foldValues(folds, 'A', 'f1'), [0.4, 0.5, 0.9]);
    assert.deepEqual(foldValues(folds, 'A', 'f1', 'perImage'), [0.1, 0.2, 0.3]);
    assert.deepEqual(foldValues(folds, 'B', 'ppv'), [0.2, 0.4]);
    assert.deepEqual(foldValues(folds, 'A', 'ppv', 'lesions'), [0.25, 0.5]);
    assert.throws(() => foldValues(folds, 'C', 'f1'),
      /run 'fold 1' has no scores on test set 'C' \(it has 'A', 'B'\)/);
  });

  test('metricRows: "mean ± SD" with the n - 1 SD, and the number of models', () => {
    const rows = metricRows(folds);
    assert.deepEqual(rows.map((row) => [row.Metric, row['Test set']]), [
      ['F1', 'A'], ['F1', 'B'], ['Sensitivity', 'A'], ['Sensitivity', 'B'],
      ['PPV', 'A'], ['PPV', 'B'], ['Specificity', 'A'], ['Specificity', 'B']]);
    assert.deepEqual(rows[0], { Metric: 'F1', 'Test set': 'A', 'Mean ± SD': '0.600 ± 0.265',
      Models: 3 });
    // F1 on B: 0.1, 0.2, 0.3 -> 0.2 ± 0.1. Sensitivity on A constant: SD exactly 0.
    assert.equal(rows[1]['Mean ± SD'], '0.200 ± 0.100');
    assert.equal(rows[2]['Mean ± SD'], '0.500 ± 0.000');
    assert.deepEqual(rows[5], { Metric: 'PPV', 'Test set': 'B', 'Mean ± SD': '0.300 ± 0.141',
      Models: 2 });
  });

  test('metricRows: per-image reduction and a chosen set', () => {
    const rows = metricRows(folds, ['A'], 'perImage');
    assert.equal(rows.length, 4);
    assert.equal(rows[0]['Mean ± SD'], '0.200 ± 0.100');
  });

  test('metricRows: a metric undefined for every model says so, with 0 models', () => {
    const none = folds.map((entry) => fold(entry.name, {
      A: { pooled: pixel(0.1, 0.2, NaN, 0.9) } }));
    const ppv = metricRows(none, ['A']).find((row) => row.Metric === 'PPV');
    assert.deepEqual(ppv, { Metric: 'PPV', 'Test set': 'A',
      'Mean ± SD': 'undefined for every model', Models: 0 });
  });

  test('metricRows: lesion rows with their own labels', () => {
    // Sensitivity 0.5, 0.75, 1 -> 0.75 ± 0.25; PPV 0.25, 0.5 (NaN dropped) -> 0.375 ± 0.177;
    // false detections 2, 1, 0 -> 1 ± 1.
    assert.deepEqual(metricRows(folds, ['A'], 'lesions'), [
      { Metric: 'Lesion sensitivity', 'Test set': 'A', 'Mean ± SD': '0.750 ± 0.250', Models: 3 },
      { Metric: 'Lesion PPV', 'Test set': 'A', 'Mean ± SD': '0.375 ± 0.177', Models: 2 },
      { Metric: 'False detections per image', 'Test set': 'A', 'Mean ± SD': '1.000 ± 1.000',
        Models: 3 },
    ]);
  });

  test('setTtestRows: each metric tests the values of the first set against the second', () => {
    const rows = setTtestRows(folds, 'A', 'B');
    assert.deepEqual(rows.map((row) => [row.Metric, row.Comparison]), [
      ['F1', 'A vs B'], ['Sensitivity', 'A vs B'], ['PPV', 'A vs B'], ['Specificity', 'A vs B']]);
    const expected = [
      ttestInd([0.4, 0.5, 0.9], [0.1, 0.2, 0.3]),
      ttestInd([0.5, 0.5, 0.5], [0.2, 0.3, 0.4]),
      ttestInd([0.6, 0.6, 0.6], [0.2, 0.4]),
      ttestInd([0.9, 0.9, 0.9], [0.95, 0.96, 0.97]),
    ];
    rows.forEach((row, i) => {
      assert.equal(row.t, expected[i].statistic, `${row.Metric} t`);
      assert.equal(row.df, expected[i].df, `${row.Metric} df`);
      assert.equal(row.p, expected[i].pvalue, `${row.Metric} p`);
    });
    assert.equal(rows[2].df, 3, 'PPV: 3 + 2 models - 2');
    assert.ok((rows[0].t as number) > 0, 'A has the larger F1');

    const swapped = setTtestRows(folds, 'B', 'A');
    assert.equal(swapped[0].Comparison, 'B vs A');
    swapped.forEach((row, i) => {
      close(row.t as number, -(rows[i].t as number), `${row.Metric} swapped t`);
      assert.equal(row.p, rows[i].p);
    });
  });

  test('setTtestRows: NaN when a side has fewer than two values', () => {
    const two = folds.slice(0, 2);
    // PPV on B over folds 1-2: only 0.2 is defined.
    const ppv = setTtestRows(two, 'A', 'B')[2];
    assert.ok([ppv.t, ppv.df, ppv.p].every((value) => Number.isNaN(value)), JSON.stringify(ppv));
  });

  test('groupTtestRows: group x against group y, per metric and set', () => {
    const aligned = [0.7, 0.8].map((f1, i) => fold(`aligned ${i}`, {
      A: { pooled: pixel(f1, 0.6, 0.7, 0.8) }, B: { pooled: pixel(f1 - 0.5, 0.5, 0.5, 0.9) } }));
    const rows = groupTtestRows({ baseline: folds, aligned });
    assert.equal(rows.length, 8);
    assert.deepEqual(rows.slice(0, 2).map((row) => [row.Metric, row['Test set'], row.Comparison]),
      [['F1', 'A', 'baseline vs aligned'], ['F1', 'B', 'baseline vs aligned']]);
    const f1A = ttestInd([0.4, 0.5, 0.9], [0.7, 0.8]);
    const f1B = ttestInd([0.1, 0.2, 0.3], [0.7 - 0.5, 0.8 - 0.5]);
    assert.equal(rows[0].t, f1A.statistic);
    assert.equal(rows[0].p, f1A.pvalue);
    assert.equal(rows[1].t, f1B.statistic);
    assert.equal(rows[0].df, 3);

    const swapped = groupTtestRows({ aligned, baseline: folds });
    assert.equal(swapped[0].Comparison, 'aligned vs baseline');
    close(swapped[0].t as number, -f1A.statistic, 'swapped t');
  });

  test('groupTtestRows with three groups throws naming them', () => {
    assert.throws(() => groupTtestRows({ x: folds, y: folds, z: folds }),
      /expected two groups, got 3 \(x, y, z\)/);
  });
});

describe('experiment 3: runs by fraction', () => {
  // Two folds per fraction. F1 on A: fold 1 = f, fold 2 = f + 0.2 -> mean f + 0.1, SD
  // 0.2 / sqrt(2) = 0.14142; F1 on B: 1 - f for both -> mean 1 - f, SD 0. Sensitivity 0.5
  // and 0.7 on A (0.6 ± 0.1414), PPV 0.3 on B, specificity 0.9.
  const fractions = [0, 0.2, 0.4, 0.6, 0.8, 1];
  const folds = fractions.flatMap((f) => [0, 0.2].map((shift, i) => fold(
    `${Math.round(f * 100)}% B, fold ${i + 1}`, {
      A: { pooled: pixel(f + shift, 0.5 + shift, 0.3, 0.9) },
      B: { pooled: pixel(1 - f, 0.5, 0.3, 0.9) },
    }, f)));
  const shuffledFolds = [folds[7], folds[0], folds[11], folds[3], folds[2], folds[1],
    folds[10], folds[5], folds[4], folds[9], folds[6], folds[8]];

  test('byFraction: ascending fractions, runs kept in their order within one', () => {
    const groups = byFraction(shuffledFolds);
    assert.deepEqual([...groups.keys()], fractions);
    assert.deepEqual(groups.get(0)?.map((entry) => entry.name), ['0% B, fold 1', '0% B, fold 2']);
    assert.deepEqual(groups.get(0.4)?.map((entry) => entry.name),
      ['40% B, fold 2', '40% B, fold 1']);
  });

  test('byFraction: a run without fraction throws naming it', () => {
    assert.throws(() => byFraction([folds[0], fold('fold 1', {})]),
      /run 'fold 1' has no fraction/);
  });

  test('fractionRows: "0%", "20%", ... per set with mean ± SD of every metric', () => {
    const rows = fractionRows(shuffledFolds);
    assert.equal(rows.length, 12);
    assert.deepEqual(rows.map((row) => row['B in training']),
      ['0%', '0%', '20%', '20%', '40%', '40%', '60%', '60%', '80%', '80%', '100%', '100%']);
    assert.deepEqual(rows[0], { 'B in training': '0%', 'Test set': 'A', F1: '0.100 ± 0.141',
      Sensitivity: '0.600 ± 0.141', PPV: '0.300 ± 0.000', Specificity: '0.900 ± 0.000' });
    assert.equal(rows[3].F1, '0.800 ± 0.000', '20% on B');
    assert.equal(rows[10].F1, '1.100 ± 0.141', '100% on A');
  });

  test('fractionRows with the lesion reduction uses the lesion labels', () => {
    const rows = fractionRows(folds, ['A'], 'lesions');
    assert.deepEqual(Object.keys(rows[0]), ['B in training', 'Test set', 'Lesion sensitivity',
      'Lesion PPV', 'False detections per image']);
    assert.equal(rows[0]['Lesion PPV'], 'undefined for every model');
  });

  test('fractionFigure: 4 panels x 2 sets = 8 traces with means and sample SDs', () => {
    const figure = fractionFigure(shuffledFolds, 'Figure 3a');
    const data = figure.data as Record<string, unknown>[];
    assert.equal(data.length, 8);
    const axes = ['', '2', '3', '4'];
    const x = [0, 20, 40, 60, 80, 100];
    data.forEach((trace, i) => {
      const panel = Math.floor(i / 2);
      assert.deepEqual(trace.x, x);
      assert.equal(trace.name, i % 2 === 0 ? 'test on A' : 'test on B');
      assert.equal(trace.xaxis, `x${axes[panel]}`);
      assert.equal(trace.yaxis, `y${axes[panel]}`);
      assert.equal(trace.showlegend, panel === 0);
    });
    const y = (i: number): number[] => data[i].y as number[];
    const sd = (i: number): number[] => (data[i].error_y as { array: number[] }).array;
    fractions.forEach((f, k) => {
      close(y(0)[k], f + 0.1, `F1 on A at ${f}`);
      close(sd(0)[k], 0.2 / Math.SQRT2, `F1 SD on A at ${f}`);
      close(y(1)[k], 1 - f, `F1 on B at ${f}`);
      assert.equal(sd(1)[k], 0, `F1 SD on B at ${f}`);
      close(y(2)[k], 0.6, `sensitivity on A at ${f}`);
      close(y(5)[k], 0.3, `PPV on B at ${f}`);
      close(y(7)[k], 0.9, `specificity on B at ${f}`);
    });
    const layout = figure.layout as Record<string, { title: { text: string } }>;
    assert.deepEqual(['yaxis', 'yaxis2', 'yaxis3', 'yaxis4'].map((key) => layout[key].title.text),
      ['F1', 'Sensitivity', 'PPV', 'Specificity']);
    assert.ok(['xaxis', 'xaxis2', 'xaxis3', 'xaxis4'].every((key) => key in layout));
  });
});

describe('metric bars', () => {
  const one = [fold('fold 1', { A: { pooled: pixel(0.4, 0.5, 0.6, 0.9) },
    B: { pooled: pixel(0.1, 0.2, NaN, 0.95) } })];
  const two = [...one, fold('fold 2', { A: { pooled: pixel(0.6, 0.5, 0.6, 0.9) },
    B: { pooled: pixel(0.3, 0.2, NaN, 0.95) } })];

  test('one trace per series; bars are means, error bars SDs (0 where undefined)', () => {
    const figure = metricBarsFigure([
      { name: 'test on A', folds: two, set: 'A' },
      { name: 'test on B', folds: two, set: 'B' },
      { name: 'single model on A', folds: one, set: 'A' },
    ], 'Experiment 1');
    const data = figure.data as Record<string, unknown>[];
    assert.deepEqual(data.map((trace) => trace.name),
      ['test on A', 'test on B', 'single model on A']);
    assert.deepEqual(data[0].x, ['F1', 'Sensitivity', 'PPV', 'Specificity']);
    // F1 on A: 0.4, 0.6 -> 0.5 ± 0.1414.
    close((data[0].y as number[])[0], 0.5, 'F1 on A');
    close((data[0].error_y as { array: number[] }).array[0], 0.2 / Math.SQRT2, 'F1 SD on A');
    // PPV on B is undefined for both models: the bar is NaN, its error bar 0.
    assert.ok(Number.isNaN((data[1].y as number[])[2]));
    assert.equal((data[1].error_y as { array: number[] }).array[2], 0);
    // One model: its values, no spread (SD of n = 1 is NaN, drawn as 0).
    assert.deepEqual(data[2].y, [0.4, 0.5, 0.6, 0.9]);
    assert.deepEqual((data[2].error_y as { array: number[] }).array, [0, 0, 0, 0]);
  });

  test('centerComparisonFigure: A then B of the same models', () => {
    const data = centerComparisonFigure(two, 'Models trained on A').data as
      Record<string, unknown>[];
    assert.deepEqual(data.map((trace) => trace.name), ['test on A', 'test on B']);
    close((data[1].y as number[])[0], 0.2, 'F1 on B');
  });
});
