import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { chooseK, KCandidate, pickK } from '../lib/splits/choose-k.js';
import { daviesBouldinScore, silhouetteScore } from '../lib/splits/cluster-quality.js';
import { miniBatchKMeans, standardize } from '../lib/splits/kmeans.js';
import { seededRandom } from '../lib/util/random.js';

interface Labeling {
  name: string;
  labels: number[];
  silhouette: number;
  daviesBouldin: number;
}

interface ClusterCase {
  name: string;
  blobCount: number;
  points: number[][];
  standardized: number[][];
  labelings: Labeling[];
  kmeans: { k: number; miniBatchInertia: number; kMeansInertia: number }[];
}

interface ClusterFixtures {
  batchSize: number;
  cases: ClusterCase[];
  constantColumn: { points: number[][]; standardized: number[][] };
}

const fixtures = JSON.parse(readFileSync(
  new URL('./fixtures/clustering.json', import.meta.url), 'utf8')) as ClusterFixtures;

function assertNear(actual: number, expected: number, absolute: number, what = ''): void {
  const error = Math.abs(actual - expected);
  assert.ok(error <= absolute, `${what} expected ${expected}, got ${actual} (error ${error})`);
}

function assertMatrixNear(actual: number[][], expected: number[][], absolute: number): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((row, i) => row.forEach((value, j) =>
    assertNear(value, expected[i][j], absolute, `[${i}][${j}]`)));
}

/** `sizes[c]` points around center c, spread uniformly by ±spread (seeded). */
function blobs(centers: number[][], sizes: number[], spread: number, seed: number): number[][] {
  const rand = seededRandom(seed);
  return centers.flatMap((center, c) => Array.from({ length: sizes[c] }, () =>
    center.map((x) => x + (rand() * 2 - 1) * spread)));
}

describe('silhouette and Davies-Bouldin against sklearn.metrics (fixtures/clustering.json)', () => {
  test('the fixture file holds the duplicate and singleton cases', () => {
    assert.ok(fixtures.cases.length >= 5);
    assert.ok(fixtures.cases.some((c) => c.name.includes('duplicate')));
    assert.ok(fixtures.cases.some((c) => c.name.includes('singleton')));
  });

  for (const fixture of fixtures.cases) {
    for (const labeling of fixture.labelings) {
      test(`${fixture.name}: ${labeling.name}`, () => {
        assertNear(silhouetteScore(fixture.points, labeling.labels), labeling.silhouette, 1e-9,
          'silhouette');
        assertNear(daviesBouldinScore(fixture.points, labeling.labels), labeling.daviesBouldin,
          1e-9, 'Davies-Bouldin');
      });
    }
  }
});

describe('silhouette and Davies-Bouldin, cases checkable by hand', () => {
  // Line 0, 1 | 10, 11. Point 0: a = 1, b = (10 + 11) / 2 = 10.5, s = 9.5 / 10.5.
  // Point 1: a = 1, b = (9 + 10) / 2 = 9.5, s = 8.5 / 9.5; 10 and 11 mirror 1 and 0.
  // Davies-Bouldin: centroids 0.5 and 10.5, spreads 0.5 each: (0.5 + 0.5) / 10 = 0.1.
  const line = [[0], [1], [10], [11]];
  // 0, 1 | 5 with 5 alone: s(0) = (5 - 1) / 5, s(1) = (4 - 1) / 4, s(5) = 0 (singleton).
  // Davies-Bouldin: centroids 0.5 and 5, spreads 0.5 and 0: both ratios 0.5 / 4.5, mean too.
  const cases: [string, number[][], number[], number, number][] = [
    ['two clusters on a line', line, [0, 0, 1, 1], (9.5 / 10.5 + 8.5 / 9.5) / 2, 0.1],
    ['labels need not be 0..k-1', line, [7, 7, -3, -3], (9.5 / 10.5 + 8.5 / 9.5) / 2, 0.1],
    ['a singleton cluster scores 0', [[0], [1], [5]], [0, 0, 1], (0.8 + 0.75) / 3, 0.5 / 4.5],
    // a = b = 0 everywhere: sklearn's 0/0 becomes 0; every spread 0 gives index 0.
    ['identical points split in two', [[2], [2], [2], [2]], [0, 0, 1, 1], 0, 0],
    // Spreads 0.5e-8 <= 1e-8: sklearn's np.allclose(spreads, 0) returns 0, where the formula
    // would give (0.5e-8 + 0.5e-8) / 3e-8 = 1/3 (checked with davies_bouldin_score).
    // Silhouette: s(0) = (3.5 - 1) / 3.5, s(1e-8) = (2.5 - 1) / 2.5, mirrored.
    ['spreads within 1e-8 of zero', [[0], [1e-8], [3e-8], [4e-8]], [0, 0, 1, 1],
      (2.5 / 3.5 + 1.5 / 2.5) / 2, 0],
    // Rectangle 3 x 4, clusters = its long sides: every point has a = 4, b = (3 + 5) / 2,
    // so s = 0. Centroids (0, 2) and (3, 2), spreads 2: Davies-Bouldin (2 + 2) / 3.
    ['rectangle split along its long sides', [[0, 0], [0, 4], [3, 0], [3, 4]], [0, 0, 1, 1],
      0, 4 / 3],
  ];
  for (const [name, points, labels, silhouette, daviesBouldin] of cases) {
    test(name, () => {
      assertNear(silhouetteScore(points, labels), silhouette, 1e-15, 'silhouette');
      assertNear(daviesBouldinScore(points, labels), daviesBouldin, 1e-15, 'Davies-Bouldin');
    });
  }

  test('errors name the counts', () => {
    assert.throws(() => silhouetteScore(line, [0, 0, 1]), /3 labels for 4 points/);
    assert.throws(() => daviesBouldinScore(line, [0, 0, 1, 1, 1]), /5 labels for 4 points/);
    assert.throws(() => silhouetteScore(line, [1, 1, 1, 1]), /1 distinct labels for 4 points/);
    assert.throws(() => daviesBouldinScore(line, [0, 1, 2, 3]), /4 distinct labels for 4 points/);
    assert.throws(() => silhouetteScore([[0], [NaN]], [0, 1]), /points\[1\]\[0\] is NaN/);
  });
});

describe('standardize against sklearn StandardScaler', () => {
  for (const fixture of fixtures.cases) {
    test(fixture.name, () => {
      assertMatrixNear(standardize(fixture.points), fixture.standardized, 1e-12);
    });
  }
  test('a constant column becomes 0', () => {
    const { points, standardized } = fixtures.constantColumn;
    assertMatrixNear(standardize(points), standardized, 1e-12);
    assert.deepEqual(standardize(points).map((row) => row[1]), [0, 0, 0, 0]);
  });
  test('by hand: [[1, 5], [3, 5]] -> [[-1, 0], [1, 0]] (population SD 1)', () => {
    assert.deepEqual(standardize([[1, 5], [3, 5]]), [[-1, 0], [1, 0]]);
  });
});

describe('miniBatchKMeans against scikit-learn inertia (same data, k, batch size)', () => {
  const batchSize = fixtures.batchSize;
  for (const fixture of fixtures.cases) {
    test(fixture.name, () => {
      for (const row of fixture.kmeans) {
        const ours = miniBatchKMeans(fixture.points, row.k, { batchSize, nInit: 3, seed: 0 });
        const toOptimum = ours.inertia / row.kMeansInertia;
        // At the blob count: within 1% of KMeans (Lloyd, 10 starts), the optimum reference.
        // At other k the stochastic updates stop early on flat optima: within 5%.
        const limit = row.k === fixture.blobCount ? 1.01 : 1.05;
        assert.ok(toOptimum >= 0.99 && toOptimum <= limit,
          `k = ${row.k}: inertia ${ours.inertia} is ${toOptimum} x KMeans ${row.kMeansInertia}`);
        // Never more than 2% worse than sklearn's own MiniBatchKMeans.
        assert.ok(ours.inertia <= 1.02 * row.miniBatchInertia,
          `k = ${row.k}: ${ours.inertia} vs MiniBatchKMeans ${row.miniBatchInertia}`);
      }
    });
  }
});

describe('miniBatchKMeans, cases checkable by hand', () => {
  test('two clusters on a line: centers near 0.5 and 10.5, inertia near 4 x 0.25 = 1', () => {
    // A center is the mean of the points sampled (with replacement) into it, not of the
    // cluster, so it lands near 0.5 but rarely on it: 0.45 would give inertia 1.005.
    const result = miniBatchKMeans([[0], [1], [10], [11]], 2, { seed: 3 });
    const centers = result.centers.map((c) => c[0]).sort((a, b) => a - b);
    assertNear(centers[0], 0.5, 0.05);
    assertNear(centers[1], 10.5, 0.05);
    assert.ok(result.inertia >= 1 && result.inertia <= 1.005, `inertia ${result.inertia}`);
    assert.equal(result.labels[0], result.labels[1]);
    assert.equal(result.labels[2], result.labels[3]);
    assert.notEqual(result.labels[0], result.labels[2]);
  });

  test('steps: floor(maxIterations * n / batchSize), fewer when the centers settle', () => {
    const line = [[0], [1], [10], [11]];
    assert.equal(miniBatchKMeans(line, 2, { maxIterations: 3, batchSize: 2 }).iterations, 6);
    // The first step is never judged; at the second any shift is below a huge tolerance.
    assert.equal(miniBatchKMeans(line, 2, { tolerance: 1e9 }).iterations, 2);
  });

  test('k = n distinct points: every point its own center, inertia 0', () => {
    const result = miniBatchKMeans([[0, 0], [5, 5], [9, 1]], 3);
    assert.equal(result.inertia, 0);
    assert.equal(new Set(result.labels).size, 3);
  });

  test('the same seed gives the same clustering', () => {
    const points = blobs([[0, 0], [6, 0], [0, 6]], [20, 15, 10], 1.5, 11);
    const options = { seed: 5, batchSize: 8 };
    assert.deepEqual(miniBatchKMeans(points, 3, options), miniBatchKMeans(points, 3, options));
  });

  test('identical points: k = 1 gives that point and inertia 0, no NaN', () => {
    const same = Array.from({ length: 5 }, () => [0.1, 3]);
    const result = miniBatchKMeans(same, 1, { batchSize: 2 });
    assertMatrixNear(result.centers, [[0.1, 3]], 1e-15);
    assert.ok(result.inertia < 1e-25, `inertia ${result.inertia}`);
    assert.deepEqual(result.labels, [0, 0, 0, 0, 0]);
  });

  test('errors name k and n', () => {
    const same = Array.from({ length: 5 }, () => [0.1, 3]);
    assert.throws(() => miniBatchKMeans(same, 2), /k = 2 clusters .* n = 5 points with 1 distinct/);
    assert.throws(() => miniBatchKMeans([[0], [1]], 3), /k = 3 clusters .* n = 2 points/);
    assert.throws(() => miniBatchKMeans([[0], [1]], 0), /k = 0 clusters/);
    assert.throws(() => miniBatchKMeans([[0], [1]], 1.5), /k = 1.5 clusters/);
    assert.throws(() => miniBatchKMeans([[0], [1]], 1, { nInit: 0 }), /options.nInit is 0/);
    assert.throws(() => miniBatchKMeans([], 1), /points is empty/);
  });
});

describe('chooseK', () => {
  const row = (k: number, silhouette: number, daviesBouldin: number): KCandidate =>
    ({ k, silhouette, daviesBouldin, inertia: 0 });
  const rules: [string, KCandidate[], number][] = [
    ['highest silhouette wins', [row(2, 0.5, 0.4), row(3, 0.7, 0.6), row(4, 0.6, 0.5)], 3],
    ['silhouette within 0.01: lower Davies-Bouldin wins',
      [row(2, 0.700, 0.6), row(3, 0.695, 0.4), row(4, 0.5, 0.1)], 3],
    ['silhouette 0.02 lower: Davies-Bouldin does not matter',
      [row(2, 0.70, 0.6), row(3, 0.68, 0.1)], 2],
    ['full tie: the smaller k', [row(5, 0.6, 0.5), row(3, 0.6, 0.5)], 3],
    ['NaN rows are ignored', [row(2, NaN, NaN), row(3, 0.1, 2)], 3],
  ];
  for (const [name, table, expected] of rules) {
    test(`pickK: ${name}`, () => assert.equal(pickK(table), expected));
  }
  test('pickK: a table without finite rows is an error', () => {
    assert.throws(() => pickK([row(2, NaN, NaN)]), /no row with a finite silhouette/);
  });

  // Clear blobs: centers 10 apart, uniform spread of at most 1.5, uneven sizes. (On the
  // fixture blobs, whose random centers lie closer, both indices can prefer merging two.)
  const unit = (dims: number, axis: number): number[] =>
    Array.from({ length: dims }, (_, j) => (j === axis ? 10 : 0));
  const clearBlobs: [string, number[][], number[], number][] = [
    ['three 2-D blobs, sizes 20/12/5', [[0, 0], [10, 0], [0, 10]], [20, 12, 5], 1],
    ['four 3-D blobs, sizes 12/9/6/3', [[0, 0, 0], unit(3, 0), unit(3, 1), unit(3, 2)],
      [12, 9, 6, 3], 1],
    ['four 4-D blobs, sizes 30/15/10/6', [0, 1, 2, 3].map((axis) => unit(4, axis)),
      [30, 15, 10, 6], 1.5],
    ['five 6-D blobs, sizes 25/18/12/7/4', [0, 1, 2, 3, 4].map((axis) => unit(6, axis)),
      [25, 18, 12, 7, 4], 1.5],
  ];
  for (const [name, centers, sizes, spread] of clearBlobs) {
    test(`picks the blob count: ${name}, raw and standardized`, () => {
      const points = blobs(centers, sizes, spread, sizes.length);
      for (const input of [points, standardize(points)]) {
        const chosen = chooseK(input, [2, 3, 4, 5, 6, 7], { seed: 1 });
        assert.equal(chosen.k, centers.length);
        assert.deepEqual(chosen.table.map((r) => r.k), [2, 3, 4, 5, 6, 7]);
        assert.equal(chosen.note, undefined);
        assert.equal(new Set(chosen.labels).size, centers.length);
      }
    });
  }

  test('picks 3 on the fixture blobs with duplicate rows', () => {
    const fixture = fixtures.cases.find((c) => c.name.includes('duplicate')) as ClusterCase;
    assert.equal(chooseK(fixture.points, [2, 3, 4, 5], { seed: 1 }).k, 3);
  });

  test('identical feature vectors: k = 1 with a note, every label 0', () => {
    const chosen = chooseK(Array.from({ length: 6 }, () => [1, 2]), [2, 3]);
    assert.equal(chosen.k, 1);
    assert.deepEqual(chosen.labels, [0, 0, 0, 0, 0, 0]);
    assert.deepEqual(chosen.table, []);
    assert.match(chosen.note ?? '', /all 6 feature vectors are identical/);
  });

  test('fewer images than clusters: unfit k skipped with a note, or an error if none fit', () => {
    const chosen = chooseK([[0], [1], [9]], [2, 3, 4]);
    assert.equal(chosen.k, 2);
    assert.deepEqual(chosen.table.map((r) => r.k), [2]);
    assert.match(chosen.note ?? '', /k = 3, 4 skipped: n = 3 points/);
    // Two distinct vectors among four points: k = 3 cannot be fitted.
    assert.match(chooseK([[0], [0], [0], [5]], [2, 3]).note ?? '', /2 distinct .* k <= 2/);
    assert.throws(() => chooseK([[0], [1], [9]], [3, 4]), /no k in \[3, 4\] fits n = 3/);
    assert.throws(() => chooseK([[0], [1], [9]], [1, 2]), /expected integers >= 2/);
  });
});
