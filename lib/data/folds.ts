import { seededRandom, shuffled } from '../util/random.js';

/** One cross-validation fold: indices into the list that was split. */
export interface Fold {
  fold: number;
  train: number[];
  validation: number[];
}

/**
 * Plain k-fold cross-validation: the items are shuffled once with `seed` and dealt round
 * robin, so fold sizes differ by at most one and every item validates exactly once.
 * @throws Error when there are fewer items than folds or fewer than 2 folds.
 * @example kFold(10, 5, 1)[0].validation.length // 2
 */
export function kFold(count: number, folds: number, seed: number): Fold[] {
  if (!Number.isInteger(folds) || folds < 2) {
    throw new Error(`kFold: folds must be an integer of at least 2, got ${folds}`);
  }
  if (count < folds) {
    throw new Error(`kFold: ${count} items cannot fill ${folds} folds (one item each at least)`);
  }
  const order = shuffled(Array.from({ length: count }, (_, i) => i), seededRandom(seed));
  const assignment = new Array<number>(count);
  order.forEach((item, position) => { assignment[item] = position % folds; });

  return Array.from({ length: folds }, (_, fold) => ({
    fold,
    train: order.filter((item) => assignment[item] !== fold),
    validation: order.filter((item) => assignment[item] === fold),
  }));
}
