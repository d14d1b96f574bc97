import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Fold } from '../lib/data/folds.js';
import { clusteredFolds } from '../lib/splits/clustered-folds.js';

/** Labels for clusters of the given sizes, interleaved so members are not contiguous. */
function labelsFor(sizes: number[], ids: number[] = sizes.map((_, c) => c)): number[] {
  const remaining = sizes.slice();
  const labels: number[] = [];
  while (remaining.some((left) => left > 0)) {
    remaining.forEach((left, c) => {
      if (left > 0) {
        labels.push(ids[c]);
        remaining[c] -= 1;
      }
    });
  }
  return labels;
}

/** Fold index of every item, from the validation lists. */
function foldOf(folds: Fold[], count: number): number[] {
  const assignment = new Array<number>(count).fill(-1);
  folds.forEach(({ fold, validation }) => validation.forEach((i) => { assignment[i] = fold; }));
  return assignment;
}

describe('clusteredFolds: balance (cluster sizes, folds)', () => {
  const cases: [string, number[], number][] = [
    ['one cluster of 10 in 5 folds', [10], 5],
    ['clusters 7/5/3 in 3 folds', [7, 5, 3], 3],
    ['clusters 40/25/10 in 10 folds (some smaller than folds)', [40, 25, 10], 10],
    ['five clusters 50/35/25/15/8 in 10 folds', [50, 35, 25, 15, 8], 10],
    ['singletons and a large cluster, 4 folds', [1, 1, 1, 13], 4],
    ['as many items as folds', [2, 3], 5],
    ['labels not 0..k-1', [6, 4], 3],
  ];
  for (const [name, sizes, folds] of cases) {
    test(name, () => {
      const ids = name.startsWith('labels not') ? [42, -7] : undefined;
      const labels = labelsFor(sizes, ids);
      const result = clusteredFolds(labels, folds, 2021);
      const n = labels.length;
      assert.deepEqual(result.map((f) => f.fold), Array.from({ length: folds }, (_, f) => f));

      // Every index validates exactly once; train is the rest, in ascending order.
      const all = result.flatMap((f) => f.validation).sort((a, b) => a - b);
      assert.deepEqual(all, Array.from({ length: n }, (_, i) => i));
      for (const { train, validation } of result) {
        const expected = Array.from({ length: n }, (_, i) => i)
          .filter((i) => !validation.includes(i));
        assert.deepEqual(train, expected);
      }

      // Fold sizes differ by at most one.
      const sizesPerFold = result.map((f) => f.validation.length);
      assert.ok(Math.max(...sizesPerFold) - Math.min(...sizesPerFold) <= 1, `${sizesPerFold}`);

      // Every fold holds floor or ceil of (cluster size / folds) of every cluster.
      for (const label of new Set(labels)) {
        const size = labels.filter((l) => l === label).length;
        for (const { fold, validation } of result) {
          const count = validation.filter((i) => labels[i] === label).length;
          assert.ok(count === Math.floor(size / folds) || count === Math.ceil(size / folds),
            `cluster ${label} (size ${size}): fold ${fold} has ${count}`);
        }
      }
    });
  }
});

describe('clusteredFolds: seeds and hand-checkable cases', () => {
  test('labels [0, 0, 1, 1] in 2 folds: each fold one member of each cluster', () => {
    for (const seed of [1, 2, 3]) {
      for (const { validation } of clusteredFolds([0, 0, 1, 1], 2, seed)) {
        assert.deepEqual(validation.map((i) => [0, 0, 1, 1][i]), [0, 1]);
      }
    }
  });

  test('the deal continues across clusters: sizes 3 and 3 in 2 folds give 3 and 3', () => {
    // Cluster 0 fills positions 0, 1, 2 (folds 0, 1, 0); cluster 1 continues at 3, 4, 5
    // (folds 1, 0, 1): a fresh start per cluster would give fold 0 four items.
    const result = clusteredFolds([0, 0, 0, 1, 1, 1], 2, 9);
    assert.deepEqual(result.map((f) => f.validation.length), [3, 3]);
  });

  test('the same seed gives the same folds, another seed other folds', () => {
    const labels = labelsFor([20, 12, 8]);
    assert.deepEqual(clusteredFolds(labels, 4, 7), clusteredFolds(labels, 4, 7));
    assert.notDeepEqual(foldOf(clusteredFolds(labels, 4, 7), labels.length),
      foldOf(clusteredFolds(labels, 4, 8), labels.length));
  });

  test('errors name the numbers', () => {
    assert.throws(() => clusteredFolds([0, 1, 1], 4, 1), /3 images cannot fill 4 folds/);
    assert.throws(() => clusteredFolds([0, 1, 1], 1, 1), /folds is 1; expected an integer >= 2/);
    assert.throws(() => clusteredFolds([0, NaN, 1], 2, 1), /labels\[1\] is NaN/);
  });
});
