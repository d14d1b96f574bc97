/**
 * Independent two-sample t-test with pooled (equal) variances, two-sided: the test the
 * study uses to compare, e.g., F1 on center A with F1 on center B. It reproduces
 * scipy.stats.ttest_ind(a, b) with its default equal_var=True.
 */
import tCdf from '@stdlib/stats-base-dists-t-cdf';
import { sampleMoments } from './summary.js';

/** t statistic, two-sided p-value and degrees of freedom (n_a + n_b - 2). */
export interface TTestResult {
  statistic: number;
  pvalue: number;
  df: number;
}

/**
 * Student's t-test for two independent groups assuming equal variances.
 * t = (mean_a - mean_b) / sqrt(s_p^2 (1/n_a + 1/n_b)) with the pooled variance
 * s_p^2 = ((n_a - 1) var_a + (n_b - 1) var_b) / df; p = 2 P(T_df <= -|t|).
 * When both groups are constant (zero variance), the result is what scipy 1.10 returns:
 * equal constants give statistic NaN and pvalue NaN, different constants give statistic
 * +/-Infinity and pvalue 0.
 * NOTE: all-equal groups get variance exactly 0, unlike scipy (t = -1.2e16 instead of -inf).
 * E.g. [0.1, 0.1, 0.1] vs [0.2, 0.2, 0.2, 0.2]: scipy's rounding leaves a variance near 1e-34
 * and gives t = -1.2e16, p = 7e-80; this returns t = -Infinity, p = 0.
 * @param a first group, e.g. per-fold F1 on center A; at least 2 finite values.
 * @param b second group; at least 2 finite values.
 * @returns statistic (positive when a's mean is larger), two-sided pvalue and df.
 * @throws Error naming the group when it has fewer than 2 values or a non-finite value.
 * @example ttestInd([1, 2, 3], [4, 5, 6]) // { statistic: -3.674, pvalue: 0.0213, df: 4 }
 */
export function ttestInd(a: readonly number[], b: readonly number[]): TTestResult {
  for (const [field, values] of [['a', a], ['b', b]] as const) {
    if (values.length < 2) {
      throw new Error(
        `ttest.ts: group ${field} has ${values.length} value(s); expected at least 2`,
      );
    }
  }
  const groupA = sampleMoments(a, 'group a');
  const groupB = sampleMoments(b, 'group b');

  // Same order of operations as scipy's _equal_var_ttest_denom, so results agree to ~1 ulp.
  const df = groupA.n + groupB.n - 2;
  const pooledVariance = ((groupA.n - 1) * groupA.variance + (groupB.n - 1) * groupB.variance) / df;
  const standardError = Math.sqrt(pooledVariance * (1 / groupA.n + 1 / groupB.n));
  const statistic = (groupA.mean - groupB.mean) / standardError;

  // The lower tail at -|t| keeps tiny p-values accurate; 1 - cdf(|t|) would round them to 0.
  const pvalue = 2 * tCdf(-Math.abs(statistic), df);
  return { statistic, pvalue, df };
}
