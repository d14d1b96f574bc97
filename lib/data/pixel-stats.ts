/**
 * Per-image pixel statistics, the numbers by which the study describes each center (Figure 2,
 * Table 1): the mean and the standard deviation of an image's grey values, and per center
 * their median with first and third quartile. Reported on the 8-bit scale 0..255, as in the
 * paper, although samples hold grey values in [0, 1].
 */

/** One image's grey-value mean and population standard deviation, both in 0..255 units. */
export interface PixelStats {
  mean: number;
  sd: number;
}

/** Median, first and third quartile of one quantity over a center's images. */
export interface QuartileSummary {
  median: number;
  q1: number;
  q3: number;
}

/** A center's Table 1 entry: quartiles of the per-image mean and of the per-image SD. */
export interface CenterPixelSummary {
  n: number;
  mean: QuartileSummary;
  sd: QuartileSummary;
}

/**
 * Mean and population standard deviation (divisor n, ddof = 0, like numpy's `std`) of an
 * image's grey values, scaled by 255 to the paper's 8-bit scale. Two passes (mean first,
 * then squared deviations) in double precision; an image whose pixels are all equal gets
 * exactly 0 as SD.
 * @param image grey values in [0, 1], any length >= 1
 * @returns { mean, sd } in 0..255 units
 * @throws Error when the image is empty or holds a non-finite value
 * @example pixelStats(Float32Array.of(0, 1)) // { mean: 127.5, sd: 127.5 }
 */
export function pixelStats(image: Float32Array): PixelStats {
  const n = image.length;
  if (n === 0) throw new Error('pixel-stats.ts pixelStats: image is empty; expected pixels');

  let sum = 0;
  let allEqual = true;
  for (let i = 0; i < n; i++) {
    const value = image[i];
    if (!Number.isFinite(value)) {
      throw new Error(`pixel-stats.ts pixelStats: image[${i}] is ${value}; expected finite`);
    }
    sum += value;
    if (value !== image[0]) allEqual = false;
  }
  // Summing n equal floats need not give n times the value exactly; the SD must be 0 then.
  if (allEqual) return { mean: image[0] * 255, sd: 0 };

  const mean = sum / n;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (image[i] - mean) ** 2;
  return { mean: mean * 255, sd: Math.sqrt(squares / n) * 255 };
}

/**
 * The p-quantile of `values` by linear interpolation between order statistics (Hyndman and
 * Fan type 7, numpy's default `method='linear'`, R's default): with the values sorted and
 * h = (n - 1) p, the result lies between the floor(h)-th and the next value. Interpolated
 * from the nearer end the way numpy does, so results agree with numpy to the last bits.
 * NOTE: simple-statistics 7.12 also uses type 7, but older 7.x releases did not; hence our own.
 * @param values finite numbers, at least one (not modified)
 * @param p the probability in [0, 1], e.g. 0.25 for the first quartile
 * @returns the quantile
 * @throws Error when `values` is empty or holds a non-finite number, or p is outside [0, 1]
 * @example quantile([1, 2, 3, 4], 0.25) // 1.75
 */
export function quantile(values: ArrayLike<number>, p: number): number {
  if (!(p >= 0 && p <= 1)) {
    throw new Error(`pixel-stats.ts quantile: p must be in [0, 1], got ${p}`);
  }
  return quantileSorted(sortedCopy(values, 'values'), p);
}

/**
 * Table 1's "median (Q1, Q3)" of the per-image mean and of the per-image SD of one center.
 * @param stats one entry per image, from pixelStats
 * @returns n and the type-7 quartiles (see quantile) of mean and of sd, in 0..255 units
 * @throws Error when `stats` is empty or holds a non-finite number
 * @example centerPixelSummary(samples.map((s) => pixelStats(s.image))).mean.median
 */
export function centerPixelSummary(stats: readonly PixelStats[]): CenterPixelSummary {
  const summarize = (field: 'mean' | 'sd'): QuartileSummary => {
    const sorted = sortedCopy(stats.map((entry) => entry[field]), `stats[].${field}`);
    return { median: quantileSorted(sorted, 0.5), q1: quantileSorted(sorted, 0.25),
      q3: quantileSorted(sorted, 0.75) };
  };
  return { n: stats.length, mean: summarize('mean'), sd: summarize('sd') };
}

/**
 * "median (Q1, Q3)" with a fixed number of decimals, as in the paper's Table 1.
 * @param summary one quantity's quartiles
 * @param digits decimals, default 1
 * @returns e.g. "112.3 (101.0, 120.8)"
 * @example formatQuartiles({ median: 112.34, q1: 101, q3: 120.75 }) // "112.3 (101.0, 120.8)"
 */
export function formatQuartiles(summary: QuartileSummary, digits = 1): string {
  const text = (value: number) => value.toFixed(digits);
  return `${text(summary.median)} (${text(summary.q1)}, ${text(summary.q3)})`;
}

function sortedCopy(values: ArrayLike<number>, field: string): Float64Array {
  if (values.length === 0) {
    throw new Error(`pixel-stats.ts: ${field} is empty; expected at least one value`);
  }
  const sorted = Float64Array.from(values);
  const bad = sorted.findIndex((value) => !Number.isFinite(value));
  if (bad >= 0) {
    throw new Error(`pixel-stats.ts: ${field}[${bad}] is ${sorted[bad]}; expected finite`);
  }
  return sorted.sort();
}

/** Type-7 quantile of ascending values, with numpy's index formula and two-sided lerp. */
function quantileSorted(sorted: Float64Array, p: number): number {
  const n = sorted.length;
  // numpy's virtual index for alpha = beta = 1: n p + (1 - p) - 1, i.e. (n - 1) p.
  const index = Math.min(Math.max(n * p + (1 - p) - 1, 0), n - 1);
  const lower = Math.floor(index);
  const upper = Math.min(lower + 1, n - 1);
  const fraction = index - lower;
  const a = sorted[lower];
  const b = sorted[upper];
  const difference = b - a;
  return fraction >= 0.5 ? b - difference * (1 - fraction) : a + difference * fraction;
}
