/**
 * The per-image feature matrix that the cluster-balanced folds start from (one row per
 * image, one column per feature such as lesion count or pixel mean): its checks and the
 * Euclidean distance every clustering step measures with.
 */

/**
 * Checks that `points` is a non-empty rectangular matrix of finite numbers.
 * @param points one row per image, one column per feature.
 * @param file the calling module, named in errors, e.g. 'kmeans.ts'.
 * @returns the number of columns (features).
 * @throws Error naming the file, the row and what was expected.
 * @example validateFeatureMatrix([[1, 2], [3, 4]], 'kmeans.ts') // 2
 */
export function validateFeatureMatrix(points: readonly number[][], file: string): number {
  if (points.length === 0) {
    throw new Error(`${file}: points is empty; expected at least one feature vector`);
  }
  const width = points[0].length;
  if (width === 0) {
    throw new Error(`${file}: points[0] has no features; expected at least one column`);
  }
  points.forEach((row, i) => {
    if (row.length !== width) {
      throw new Error(`${file}: points[${i}] has ${row.length} features; expected ${width}`);
    }
    const bad = row.findIndex((value) => !Number.isFinite(value));
    if (bad >= 0) {
      throw new Error(`${file}: points[${i}][${bad}] is ${row[bad]}; expected a finite number`);
    }
  });
  return width;
}

/**
 * Squared Euclidean distance, summed feature by feature (no |x|^2 - 2xy + |y|^2 expansion,
 * so duplicate rows are exactly 0 apart).
 * @example squaredDistance([0, 0], [3, 4]) // 25
 */
export function squaredDistance(a: readonly number[], b: readonly number[]): number {
  let sum = 0;
  for (let j = 0; j < a.length; j++) {
    const difference = a[j] - b[j];
    sum += difference * difference;
  }
  return sum;
}

/**
 * Euclidean distance between two feature vectors.
 * @example euclideanDistance([0, 0], [3, 4]) // 5
 */
export function euclideanDistance(a: readonly number[], b: readonly number[]): number {
  return Math.sqrt(squaredDistance(a, b));
}

/**
 * Number of distinct feature vectors (exact equality of every feature; -0 equals 0, since
 * both print as '0').
 * @example countDistinct([[1, 2], [1, 2], [0, 2]]) // 2
 */
export function countDistinct(points: readonly number[][]): number {
  return new Set(points.map((row) => row.join(','))).size;
}
