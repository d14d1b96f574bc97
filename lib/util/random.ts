/**
 * A seeded pseudo-random generator (mulberry32): the same seed gives the same splits,
 * folds and augmentations on every machine.
 * @example const rand = seededRandom(42); rand() // a number in [0, 1)
 */
export function seededRandom(seed: number): () => number {
  return randomStream(seed).next;
}

/** A seededRandom whose position can be read and restored, so a resumed run draws on. */
export interface RandomStream {
  /** The next number in [0, 1), the same sequence as seededRandom(seed). */
  next: () => number;
  /** The current position; randomStream(seed, position) continues from it. */
  position: () => number;
}

/**
 * The generator of seededRandom, with its position exposed for checkpoints.
 * @param seed the seed (as seededRandom).
 * @param position a value of position() to continue from; default the seed's start.
 * @example const s = randomStream(7); s.next(); randomStream(7, s.position()).next() === s.next()
 */
export function randomStream(seed: number, position?: number): RandomStream {
  let state = (position ?? seed) >>> 0;
  return {
    next: () => {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
    position: () => state,
  };
}

/** A copy of `items` in an order drawn from `rand` (Fisher-Yates). */
export function shuffled<T>(items: readonly T[], rand: () => number): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
