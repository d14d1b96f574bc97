/**
 * Mini-batch k-means (Sculley 2010, as in scikit-learn's MiniBatchKMeans): the clustering of
 * per-image features from which Krois et al. 2021 drew their cross-validation folds.
 */
import { seededRandom } from '../util/random.js';
import { countDistinct, squaredDistance, validateFeatureMatrix } from './feature-matrix.js';

/** Settings of `miniBatchKMeans`; the defaults are scikit-learn 1.2's. */
export interface KMeansOptions {
  /** Seed of the k-means++ draws and the mini-batch samples (default 0). */
  seed?: number;
  /** Points per mini-batch, drawn with replacement (default 1024, at most n). */
  batchSize?: number;
  /** Passes over the data: steps = floor(maxIterations * n / batchSize) (default 100). */
  maxIterations?: number;
  /** Stop when the summed squared center shift of one step is at most tolerance times the
   * mean feature variance (default 0: only the no-improvement rule stops early). */
  tolerance?: number;
  /** Independent k-means++ starts; the lowest final inertia wins (default 3). */
  nInit?: number;
}

/** Result of `miniBatchKMeans`. */
export interface KMeansResult {
  /** k cluster centers, one row per cluster. */
  centers: number[][];
  /** Per point, the index of its nearest center (ties to the lower index). */
  labels: number[];
  /** Sum over all points of the squared distance to the assigned center. */
  inertia: number;
  /** Mini-batch steps taken by the winning start. */
  iterations: number;
}

/** scikit-learn's max_no_improvement: steps without a lower smoothed batch inertia. */
const MAX_NO_IMPROVEMENT = 10;

/**
 * z-scores every column: (x - mean) / SD with the population SD (divisor n), as
 * scikit-learn's StandardScaler; so features of different units weigh alike in k-means.
 * A constant column becomes all 0 (its SD is 0; StandardScaler does the same).
 * @param points one row per image; rectangular, finite.
 * @returns a new matrix of the same shape.
 * @throws Error when `points` is empty, ragged or holds a non-finite number.
 * @example standardize([[1, 5], [3, 5]]) // [[-1, 0], [1, 0]]
 */
export function standardize(points: readonly number[][]): number[][] {
  const width = validateFeatureMatrix(points, 'kmeans.ts');
  const n = points.length;
  const scales = Array.from({ length: width }, (_, j) => {
    const column = points.map((row) => row[j]);
    const mean = column.reduce((sum, value) => sum + value, 0) / n;
    // Checked exactly: rounding in the mean would otherwise leave an SD near 1e-17.
    const constant = column.every((value) => value === column[0]);
    const variance = column.reduce((sum, value) => sum + (value - mean) ** 2, 0) / n;
    return { mean, sd: constant ? 0 : Math.sqrt(variance) };
  });
  return points.map((row) => row.map((value, j) => {
    const { mean, sd } = scales[j];
    return sd === 0 ? 0 : (value - mean) / sd;
  }));
}

/**
 * Assigns every point to its nearest center.
 * @returns per point the center index (ties to the lower index) and the summed squared
 *   distance (inertia).
 * @example assignToCenters([[0], [9]], [[1], [10]]) // { labels: [0, 1], inertia: 2 }
 */
export function assignToCenters(
  points: readonly number[][],
  centers: readonly number[][],
): { labels: number[]; inertia: number } {
  let inertia = 0;
  const labels = points.map((point) => {
    const nearest = nearestCenter(point, centers);
    inertia += nearest.squared;
    return nearest.index;
  });
  return { labels, inertia };
}

/**
 * Mini-batch k-means: k-means++ starts, then steps that each draw `batchSize` points with
 * replacement and move every center to the running mean of all points ever assigned to
 * it (per-center learning rate 1 / count), stopping early as scikit-learn does.
 * Final labels are the nearest center over all points.
 * Identical points: k = 1 gives their common vector as center and inertia 0 (up to
 * rounding in the running mean); no NaN arises, since a center without points stays put.
 * NOTE: unlike scikit-learn, starts are compared by final full-data inertia (not by a
 * validation batch after initialization) and centers with low counts are never reassigned.
 * @param points one row per image (standardize first when the units differ).
 * @param k number of clusters, 1 <= k <= number of distinct points.
 * @param options seed, batchSize, maxIterations, tolerance, nInit (see KMeansOptions).
 * @returns centers, labels, inertia and steps taken.
 * @throws Error when k is not an integer in [1, distinct points] (naming k and n), when
 *   points are empty, ragged or non-finite, or an option is out of range.
 * @example miniBatchKMeans([[0], [1], [10], [11]], 2).inertia // 1
 */
export function miniBatchKMeans(
  points: readonly number[][],
  k: number,
  options: KMeansOptions = {},
): KMeansResult {
  validateFeatureMatrix(points, 'kmeans.ts');
  const n = points.length;
  const distinct = countDistinct(points);
  if (!Number.isInteger(k) || k < 1 || k > distinct) {
    throw new Error(`kmeans.ts: k = ${k} clusters cannot be fitted to n = ${n} points with `
      + `${distinct} distinct feature vectors; expected an integer 1 <= k <= ${distinct}`);
  }
  const batchSize = Math.min(positiveInteger(options.batchSize ?? 1024, 'batchSize'), n);
  const maxIterations = positiveInteger(options.maxIterations ?? 100, 'maxIterations');
  const nInit = positiveInteger(options.nInit ?? 3, 'nInit');
  const tolerance = options.tolerance ?? 0;
  if (!(tolerance >= 0) || !Number.isFinite(tolerance)) {
    throw new Error(`kmeans.ts: options.tolerance is ${tolerance}; expected a number >= 0`);
  }

  const rand = seededRandom(options.seed ?? 0);
  const settings = { batchSize, steps: Math.floor((maxIterations * n) / batchSize),
    shiftLimit: tolerance * meanVariance(points) };
  let best: KMeansResult | undefined;
  for (let start = 0; start < nInit; start++) {
    const centers = kMeansPlusPlus(points, k, rand);
    const iterations = miniBatchSteps(points, centers, settings, rand);
    const { labels, inertia } = assignToCenters(points, centers);
    if (best === undefined || inertia < best.inertia) {
      best = { centers, labels, inertia, iterations };
    }
  }
  return best as KMeansResult;
}

function positiveInteger(value: number, field: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`kmeans.ts: options.${field} is ${value}; expected an integer >= 1`);
  }
  return value;
}

function nearestCenter(
  point: readonly number[],
  centers: readonly number[][],
): { index: number; squared: number } {
  let index = 0;
  let squared = Infinity;
  centers.forEach((center, c) => {
    const distance = squaredDistance(point, center);
    if (distance < squared) {
      index = c;
      squared = distance;
    }
  });
  return { index, squared };
}

/** Mean over columns of the population variance; scales `tolerance` as scikit-learn does. */
function meanVariance(points: readonly number[][]): number {
  const n = points.length;
  const width = points[0].length;
  let total = 0;
  for (let j = 0; j < width; j++) {
    const mean = points.reduce((sum, row) => sum + row[j], 0) / n;
    total += points.reduce((sum, row) => sum + (row[j] - mean) ** 2, 0) / n;
  }
  return total / width;
}

/**
 * Greedy k-means++ (Arthur & Vassilvitskii 2007, as scikit-learn): each new center is the
 * best of 2 + floor(ln k) candidates drawn with probability proportional to the squared
 * distance to the nearest chosen center. A point already chosen has weight 0 and is never
 * drawn again, so k <= distinct points always yields k distinct centers.
 */
function kMeansPlusPlus(points: readonly number[][], k: number, rand: () => number): number[][] {
  const n = points.length;
  const trials = 2 + Math.floor(Math.log(k));
  const first = Math.min(Math.floor(rand() * n), n - 1);
  const centers = [points[first].slice()];
  let closest = points.map((point) => squaredDistance(point, points[first]));

  while (centers.length < k) {
    const cumulative = cumulativeSums(closest);
    const potential = cumulative[n - 1];
    let bestClosest = closest;
    let bestPotential = Infinity;
    let bestIndex = 0;
    for (let t = 0; t < trials; t++) {
      const candidate = firstAbove(cumulative, rand() * potential);
      const updated = points.map((point, i) =>
        Math.min(closest[i], squaredDistance(point, points[candidate])));
      const candidatePotential = updated.reduce((sum, value) => sum + value, 0);
      if (candidatePotential < bestPotential) {
        bestClosest = updated;
        bestPotential = candidatePotential;
        bestIndex = candidate;
      }
    }
    centers.push(points[bestIndex].slice());
    closest = bestClosest;
  }
  return centers;
}

function cumulativeSums(values: readonly number[]): number[] {
  let sum = 0;
  return values.map((value) => (sum += value));
}

/** First index whose cumulative sum exceeds `target` (so zero-weight points are skipped). */
function firstAbove(cumulative: readonly number[], target: number): number {
  let low = 0;
  let high = cumulative.length - 1;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (cumulative[middle] > target) high = middle;
    else low = middle + 1;
  }
  return low;
}

/**
 * The mini-batch steps, moving `centers` in place. Early stopping follows scikit-learn:
 * an exponentially weighted average of the per-point batch inertia (weight
 * 2 * batchSize / (n + 1)) that has not improved for MAX_NO_IMPROVEMENT steps, or a center
 * shift at most `shiftLimit` when that is positive. The first step is never judged.
 * @returns the number of steps taken.
 */
function miniBatchSteps(
  points: readonly number[][],
  centers: number[][],
  settings: { batchSize: number; steps: number; shiftLimit: number },
  rand: () => number,
): number {
  const n = points.length;
  const { batchSize, steps, shiftLimit } = settings;
  const counts = new Array<number>(centers.length).fill(0);
  const alpha = Math.min((batchSize * 2) / (n + 1), 1);
  let smoothed: number | undefined;
  let smoothedMin = Infinity;
  let noImprovement = 0;

  for (let step = 0; step < steps; step++) {
    const batch = Array.from({ length: batchSize }, () =>
      points[Math.min(Math.floor(rand() * n), n - 1)]);
    const { labels, inertia } = assignToCenters(batch, centers);
    const shift = updateCenters(batch, labels, centers, counts);

    if (step === 0) continue;
    const batchInertia = inertia / batchSize;
    smoothed = smoothed === undefined
      ? batchInertia
      : smoothed * (1 - alpha) + batchInertia * alpha;
    if (shiftLimit > 0 && shift <= shiftLimit) return step + 1;
    if (smoothed < smoothedMin) {
      smoothedMin = smoothed;
      noImprovement = 0;
    } else if (++noImprovement >= MAX_NO_IMPROVEMENT) {
      return step + 1;
    }
  }
  return steps;
}

/**
 * Moves each center to the mean of everything it has been assigned so far:
 * center = (center * count + sum of its batch points) / (count + batch points).
 * @returns the summed squared shift of all centers.
 */
function updateCenters(
  batch: readonly number[][],
  labels: readonly number[],
  centers: number[][],
  counts: number[],
): number {
  const width = centers[0].length;
  const sums = centers.map(() => new Array<number>(width).fill(0));
  const added = new Array<number>(centers.length).fill(0);
  batch.forEach((point, i) => {
    added[labels[i]] += 1;
    for (let j = 0; j < width; j++) sums[labels[i]][j] += point[j];
  });

  let shift = 0;
  centers.forEach((center, c) => {
    if (added[c] === 0) return;
    const total = counts[c] + added[c];
    for (let j = 0; j < width; j++) {
      const moved = (center[j] * counts[c] + sums[c][j]) / total;
      shift += (moved - center[j]) ** 2;
      center[j] = moved;
    }
    counts[c] = total;
  });
  return shift;
}
