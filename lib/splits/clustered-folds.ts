/**
 * Cluster-balanced cross-validation (Krois et al. 2021): images are clustered on their
 * features and every fold draws evenly from every cluster, so no fold is dominated by one
 * kind of image.
 */
import { Fold } from '../data/folds.js';
import { seededRandom, shuffled } from '../util/random.js';

/**
 * Folds drawn evenly from every cluster: clusters are taken in ascending label order, each
 * cluster's members are shuffled with `seed` and dealt round robin over the folds, and the
 * deal continues across clusters where the previous one stopped. Hence every fold gets
 * floor or ceil of (cluster size / folds) members of every cluster, fold sizes differ by
 * at most one, and every index validates exactly once.
 * `train` and `validation` list indices into `labels` in ascending order.
 * @param labels one cluster label per image (e.g. chooseK(...).labels); finite numbers.
 * @param folds number of folds, an integer >= 2.
 * @param seed seed of the shuffles; the same seed gives the same folds.
 * @returns `folds` Fold objects, fold = 0..folds-1.
 * @throws Error when folds is not an integer >= 2, when a label is not finite, or when there
 *   are fewer images than folds (naming both numbers).
 * @example clusteredFolds([0, 0, 1, 1], 2, 7).map((f) => f.validation.length) // [2, 2]
 */
export function clusteredFolds(labels: readonly number[], folds: number, seed: number): Fold[] {
  if (!Number.isInteger(folds) || folds < 2) {
    throw new Error(`clustered-folds.ts: folds is ${folds}; expected an integer >= 2`);
  }
  if (labels.length < folds) {
    throw new Error(`clustered-folds.ts: ${labels.length} images cannot fill ${folds} folds; `
      + 'expected at least one image per fold');
  }
  const bad = labels.findIndex((label) => !Number.isFinite(label));
  if (bad >= 0) {
    throw new Error(`clustered-folds.ts: labels[${bad}] is ${labels[bad]}; expected a number`);
  }

  const rand = seededRandom(seed);
  const clusters = [...new Set(labels)].sort((a, b) => a - b);
  const assignment = new Array<number>(labels.length);
  let position = 0;
  for (const cluster of clusters) {
    const members = labels.flatMap((label, index) => (label === cluster ? [index] : []));
    for (const index of shuffled(members, rand)) assignment[index] = position++ % folds;
  }

  const indices = labels.map((_, index) => index);
  return Array.from({ length: folds }, (_, fold) => ({
    fold,
    train: indices.filter((index) => assignment[index] !== fold),
    validation: indices.filter((index) => assignment[index] === fold),
  }));
}
