/**
 * Internal cluster-quality indices used to choose the number of clusters k, as in
 * Krois et al. 2021: the mean silhouette (higher is better) and the Davies-Bouldin index
 * (lower is better), both defined exactly as scikit-learn 1.2 computes them.
 */
import { euclideanDistance, validateFeatureMatrix } from './feature-matrix.js';

/** Labels recoded to 0..count-1 in ascending label order (scikit-learn's LabelEncoder). */
interface EncodedLabels {
  codes: number[];
  sizes: number[];
}

/**
 * Mean silhouette coefficient over all points, Euclidean distance: per point
 * s = (b - a) / max(a, b), with a the mean distance to the other members of its cluster
 * and b the lowest mean distance to the members of another cluster.
 * As sklearn.metrics.silhouette_score: a point alone in its cluster has s = 0, and so
 * has a point with a = b = 0 (duplicates split across clusters).
 * @param points one row per image.
 * @param labels one cluster label per point; any finite numbers, 2 to n - 1 distinct.
 * @returns the mean silhouette, in [-1, 1].
 * @throws Error when the lengths differ (naming both) or the number of distinct labels is
 *   not in [2, n - 1].
 * @example silhouetteScore([[0], [1], [10], [11]], [0, 0, 1, 1]) // 0.8997
 */
export function silhouetteScore(points: readonly number[][], labels: readonly number[]): number {
  const { codes, sizes } = encodeLabels(points, labels, 'silhouetteScore');
  const n = points.length;

  let total = 0;
  for (let i = 0; i < n; i++) {
    const sums = new Array<number>(sizes.length).fill(0);
    for (let j = 0; j < n; j++) sums[codes[j]] += euclideanDistance(points[i], points[j]);

    const own = codes[i];
    if (sizes[own] === 1) continue;
    const a = sums[own] / (sizes[own] - 1);
    let b = Infinity;
    sums.forEach((sum, c) => { if (c !== own) b = Math.min(b, sum / sizes[c]); });
    const larger = Math.max(a, b);
    total += larger === 0 ? 0 : (b - a) / larger;
  }
  return total / n;
}

/**
 * Davies-Bouldin index: mean over clusters i of max over j != i of
 * (S_i + S_j) / d(c_i, c_j), with c the centroid and S the mean Euclidean distance of the
 * members to it. As sklearn.metrics.davies_bouldin_score: 0 when every S is within 1e-8 of
 * 0 or every centroid distance is, and a pair with coinciding centroids contributes 0.
 * NOTE: sklearn finds coinciding centroids only when its |x|^2 - 2xy + |y|^2 distance
 * happens to round to exactly 0; here the distance is summed directly, so they always count.
 * @param points one row per image.
 * @param labels one cluster label per point; any finite numbers, 2 to n - 1 distinct.
 * @returns the index, >= 0 (lower means tighter, better separated clusters).
 * @throws Error when the lengths differ (naming both) or the number of distinct labels is
 *   not in [2, n - 1].
 * @example daviesBouldinScore([[0], [1], [10], [11]], [0, 0, 1, 1]) // 0.1
 */
export function daviesBouldinScore(
  points: readonly number[][],
  labels: readonly number[],
): number {
  const { codes, sizes } = encodeLabels(points, labels, 'daviesBouldinScore');
  const width = points[0].length;
  const centroids = sizes.map(() => new Array<number>(width).fill(0));
  points.forEach((point, i) => {
    for (let j = 0; j < width; j++) centroids[codes[i]][j] += point[j];
  });
  centroids.forEach((centroid, c) => {
    for (let j = 0; j < width; j++) centroid[j] /= sizes[c];
  });
  const spreads = new Array<number>(sizes.length).fill(0);
  points.forEach((point, i) => {
    spreads[codes[i]] += euclideanDistance(point, centroids[codes[i]]);
  });
  spreads.forEach((sum, c) => { spreads[c] = sum / sizes[c]; });

  const separations = centroids.map((a) => centroids.map((b) => euclideanDistance(a, b)));
  // np.allclose(x, 0) in sklearn: every |x| <= 1e-8.
  const allNearZero = (values: number[]): boolean => values.every((v) => Math.abs(v) <= 1e-8);
  if (allNearZero(spreads) || allNearZero(separations.flat())) return 0;

  const worst = spreads.map((spread, i) => Math.max(...spreads.map((other, j) =>
    separations[i][j] === 0 ? 0 : (spread + other) / separations[i][j])));
  return worst.reduce((sum, value) => sum + value, 0) / worst.length;
}

function encodeLabels(
  points: readonly number[][],
  labels: readonly number[],
  caller: string,
): EncodedLabels {
  validateFeatureMatrix(points, 'cluster-quality.ts');
  if (labels.length !== points.length) {
    throw new Error(`cluster-quality.ts: ${caller} got ${labels.length} labels for `
      + `${points.length} points; expected one label per point`);
  }
  const bad = labels.findIndex((label) => !Number.isFinite(label));
  if (bad >= 0) {
    throw new Error(`cluster-quality.ts: labels[${bad}] is ${labels[bad]}; expected a number`);
  }
  const distinct = [...new Set(labels)].sort((a, b) => a - b);
  if (distinct.length < 2 || distinct.length > points.length - 1) {
    throw new Error(`cluster-quality.ts: ${caller} got ${distinct.length} distinct labels for `
      + `${points.length} points; expected 2 to n - 1 = ${points.length - 1} clusters`);
  }
  const code = new Map(distinct.map((label, c) => [label, c]));
  const codes = labels.map((label) => code.get(label) as number);
  const sizes = new Array<number>(distinct.length).fill(0);
  codes.forEach((c) => { sizes[c] += 1; });
  return { codes, sizes };
}
