/**
 * Mean and sample standard deviation of repeated results (e.g. F1 over folds), and their
 * "mean ± SD" text as in the paper's tables.
 */
import { mean as arithmeticMean, sampleVariance } from 'simple-statistics';

/** Mean, sample standard deviation (ddof = 1) and count of a list of values. */
export interface MeanSd {
  mean: number;
  sd: number;
  n: number;
}

/** Mean, sample variance (ddof = 1) and count; the moments a t-test needs. */
export interface SampleMoments {
  mean: number;
  variance: number;
  n: number;
}

/**
 * Mean and sample variance (divisor n - 1) of `values`.
 * A list whose values are all equal gets exactly that value as mean and exactly 0 as
 * variance; summing e.g. three 0.1s in floating point would otherwise leave a variance near
 * 1e-34 instead of 0.
 * @param values the numbers; all must be finite.
 * @param field the name used in errors, e.g. 'group a'.
 * @returns mean, variance and n; variance is NaN when n = 1.
 * @throws Error when `values` is empty or holds a non-finite number.
 * @example sampleMoments([1, 2, 3], 'f1') // { mean: 2, variance: 1, n: 3 }
 */
export function sampleMoments(values: readonly number[], field: string): SampleMoments {
  if (values.length === 0) {
    throw new Error(`summary.ts: ${field} is empty; expected at least one value`);
  }
  const bad = values.findIndex((value) => !Number.isFinite(value));
  if (bad >= 0) {
    throw new Error(`summary.ts: ${field}[${bad}] is ${values[bad]}; expected a finite number`);
  }

  const n = values.length;
  if (values.every((value) => value === values[0])) {
    return { mean: values[0], variance: n > 1 ? 0 : NaN, n };
  }
  const list = values as number[];
  return { mean: arithmeticMean(list), variance: sampleVariance(list), n };
}

/**
 * Mean and sample standard deviation (ddof = 1, divisor n - 1) of `values`.
 * @param values the numbers, e.g. one F1 per fold; all must be finite.
 * @returns mean, sd and n; sd is NaN when n = 1 (a single value has no spread to estimate).
 * @throws Error when `values` is empty or holds a non-finite number.
 * @example meanSd([1, 2, 3, 4]) // { mean: 2.5, sd: 1.291, n: 4 }
 */
export function meanSd(values: readonly number[]): MeanSd {
  const moments = sampleMoments(values, 'values');
  return { mean: moments.mean, sd: Math.sqrt(moments.variance), n: moments.n };
}

/**
 * "mean ± sd" with a fixed number of decimals, as reported in the study's tables.
 * A NaN sd (n = 1) is written as "NaN"; "-0.000" is written as "0.000".
 * @param summary from `meanSd`.
 * @param digits decimals for both numbers, default 3.
 * @returns e.g. "0.512 ± 0.034".
 * @throws RangeError (from toFixed) when `digits` is outside 0..100.
 * @example formatMeanSd({ mean: 0.5123, sd: 0.0341, n: 10 }) // "0.512 ± 0.034"
 */
export function formatMeanSd(summary: MeanSd, digits = 3): string {
  return `${fixed(summary.mean, digits)} ± ${fixed(summary.sd, digits)}`;
}

function fixed(value: number, digits: number): string {
  const text = value.toFixed(digits);
  // A tiny negative mean rounds to "-0.000", which reads as a sign where there is none.
  return /^-0(\.0*)?$/.test(text) ? text.slice(1) : text;
}
