import { seededRandom, shuffled } from '../util/random.js';

/** The study's fractions of center B in the training set (Figure 3a). */
export const STUDY_FRACTIONS: readonly number[] = [0, 0.2, 0.4, 0.6, 0.8, 1];

/** Which training images of each center one mixed training set takes (indices). */
export interface MixedTrainingSet {
  fraction: number;
  fromA: number[];
  fromB: number[];
}

/**
 * A training set of constant `size` in which `fraction` of the images come from center B and
 * the rest from center A (experiment 3). Each center's candidates are shuffled once with
 * `seed`, and every fraction takes a prefix of that order, so a larger fraction keeps the B
 * images of a smaller one and only swaps further A images out.
 * @throws Error when a center has fewer candidates than the fraction needs.
 * @example mixTrainingSet([0, 1, 2, 3], [10, 11, 12, 13], 0.5, 4, 7) // 2 from A, 2 from B
 */
export function mixTrainingSet(
  candidatesA: readonly number[], candidatesB: readonly number[], fraction: number,
  size: number, seed: number,
): MixedTrainingSet {
  if (!(fraction >= 0 && fraction <= 1)) {
    throw new Error(`mixTrainingSet: fraction must be in [0, 1], got ${fraction}`);
  }
  const countB = Math.round(fraction * size);
  const countA = size - countB;
  if (countA > candidatesA.length || countB > candidatesB.length) {
    throw new Error(`mixTrainingSet: ${countA} images of A and ${countB} of B are needed for ` +
      `fraction ${fraction} of ${size}, but only ${candidatesA.length} and ` +
      `${candidatesB.length} are available`);
  }
  return {
    fraction,
    fromA: shuffled(candidatesA, seededRandom(seed)).slice(0, countA),
    fromB: shuffled(candidatesB, seededRandom(seed + 1)).slice(0, countB),
  };
}
