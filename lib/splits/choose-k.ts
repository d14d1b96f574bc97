/**
 * Choosing the number of image clusters k for the cluster-balanced folds, as Krois et al.
 * 2021 did: mini-batch k-means for every k in a range, judged by silhouette and
 * Davies-Bouldin index.
 */
import { daviesBouldinScore, silhouetteScore } from './cluster-quality.js';
import { countDistinct, validateFeatureMatrix } from './feature-matrix.js';
import { KMeansOptions, miniBatchKMeans } from './kmeans.js';

/** One candidate k: its clustering's indices (NaN when k-means left < 2 clusters filled). */
export interface KCandidate {
  k: number;
  silhouette: number;
  daviesBouldin: number;
  inertia: number;
}

/** Settings of `chooseK`: those of the k-means runs plus the silhouette margin. */
export interface ChooseKOptions extends KMeansOptions {
  /** Silhouettes within this distance of the best count as tied (default 0.01). */
  margin?: number;
}

/** Result of `chooseK`. */
export interface ChosenK {
  k: number;
  /** The cluster label of every point under the chosen k (all 0 for the k = 1 fallback). */
  labels: number[];
  /** One row per k that could be fitted, in the order of kRange. */
  table: KCandidate[];
  /** Why k values were skipped or why k = 1 was returned; absent when nothing happened. */
  note?: string;
}

/**
 * The rule combining both indices: the highest silhouette wins; every k whose silhouette
 * is within `margin` of the best counts as tied, and among those the lowest
 * Davies-Bouldin index wins; a remaining tie goes to the smaller k. Rows with a NaN index
 * are ignored.
 * @param table the candidates, e.g. chooseK(...).table.
 * @param margin silhouette distance treated as a tie (default 0.01).
 * @returns the chosen k.
 * @throws Error when no row has finite indices.
 * @example pickK([{ k: 2, silhouette: 0.70, daviesBouldin: 0.6, inertia: 9 },
 *   { k: 3, silhouette: 0.695, daviesBouldin: 0.4, inertia: 5 }]) // 3
 */
export function pickK(table: readonly KCandidate[], margin = 0.01): number {
  const valid = table.filter((row) =>
    Number.isFinite(row.silhouette) && Number.isFinite(row.daviesBouldin));
  if (valid.length === 0) {
    throw new Error('choose-k.ts: table has no row with a finite silhouette and '
      + 'Davies-Bouldin index; expected at least one clustering of 2 or more clusters');
  }
  const best = Math.max(...valid.map((row) => row.silhouette));
  const tied = valid.filter((row) => row.silhouette >= best - margin);
  tied.sort((a, b) => a.daviesBouldin - b.daviesBouldin || a.k - b.k);
  return tied[0].k;
}

/**
 * Clusters `points` with mini-batch k-means for every k in `kRange` and picks k by
 * `pickK`. k values the data cannot support (k > distinct points, or k > n - 1 where the
 * silhouette is undefined) are skipped and named in `note`.
 * When all feature vectors are identical no clustering exists: the result is k = 1, every
 * label 0, an empty table and a note (folds then reduce to plain k-fold).
 * @param points one row per image (standardize first when the units differ).
 * @param kRange candidate numbers of clusters, integers >= 2, e.g. [2, 3, ..., 10].
 * @param options k-means settings (seed, batchSize, ...) and the silhouette margin.
 * @returns the chosen k, its labels, the table of indices and an optional note.
 * @throws Error when kRange is empty or holds a non-integer or a value < 2, when points are
 *   invalid, or when no k in the range can be fitted to non-identical points.
 * @example chooseK(standardize(features), [2, 3, 4, 5], { seed: 1 }).k
 */
export function chooseK(
  points: readonly number[][],
  kRange: readonly number[],
  options: ChooseKOptions = {},
): ChosenK {
  validateFeatureMatrix(points, 'choose-k.ts');
  if (kRange.length === 0 || kRange.some((k) => !Number.isInteger(k) || k < 2)) {
    throw new Error(`choose-k.ts: kRange is [${kRange.join(', ')}]; expected integers >= 2`);
  }
  const n = points.length;
  const distinct = countDistinct(points);
  if (distinct === 1) {
    return { k: 1, labels: new Array<number>(n).fill(0), table: [],
      note: `all ${n} feature vectors are identical; one cluster (k = 1) returned` };
  }

  const limit = Math.min(distinct, n - 1);
  const skipped = kRange.filter((k) => k > limit);
  const fitted = kRange.filter((k) => k <= limit);
  if (fitted.length === 0) {
    throw new Error(`choose-k.ts: no k in [${kRange.join(', ')}] fits n = ${n} points with `
      + `${distinct} distinct feature vectors; expected some k <= ${limit}`);
  }

  const runs = fitted.map((k) => ({ k, result: miniBatchKMeans(points, k, options) }));
  const table = runs.map(({ k, result }) => candidate(points, k, result.labels, result.inertia));
  const k = pickK(table, options.margin ?? 0.01);
  const labels = (runs.find((run) => run.k === k) as (typeof runs)[number]).result.labels;
  const note = skipped.length === 0 ? undefined : `k = ${skipped.join(', ')} skipped: `
    + `n = ${n} points with ${distinct} distinct feature vectors allow k <= ${limit}`;
  return note === undefined ? { k, labels, table } : { k, labels, table, note };
}

function candidate(
  points: readonly number[][],
  k: number,
  labels: readonly number[],
  inertia: number,
): KCandidate {
  // A center can end up nearest to no point; with one cluster left the indices are undefined.
  if (new Set(labels).size < 2) return { k, silhouette: NaN, daviesBouldin: NaN, inertia };
  return {
    k,
    silhouette: silhouetteScore(points, labels),
    daviesBouldin: daviesBouldinScore(points, labels),
    inertia,
  };
}
