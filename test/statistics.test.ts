import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { formatMeanSd, meanSd } from '../lib/statistics/summary.js';
import { ttestInd } from '../lib/statistics/ttest.js';

interface TTestFixture {
  name: string;
  a: number[];
  b: number[];
  statistic: number | string;
  pvalue: number | string;
  df: number;
}

/** make_fixtures.py writes non-finite numbers as strings, since JSON has none. */
const decode = (value: number | string): number =>
  typeof value === 'string' ? Number(value) : value;

/** Equal within a relative tolerance (0 must be exactly 0); NaN and infinities exactly. */
function assertClose(actual: number, expected: number, relative: number): void {
  if (!Number.isFinite(expected)) {
    assert.ok(Object.is(actual, expected), `expected ${expected}, got ${actual}`);
    return;
  }
  const error = Math.abs(actual - expected);
  assert.ok(
    error <= relative * Math.abs(expected),
    `expected ${expected}, got ${actual} (error ${error})`,
  );
}

describe('ttestInd against scipy.stats.ttest_ind (test/fixtures/ttest.json)', () => {
  const path = new URL('./fixtures/ttest.json', import.meta.url);
  const fixtures = JSON.parse(readFileSync(path, 'utf8')).cases as TTestFixture[];

  test('the fixture file holds the zero-variance cases', () => {
    assert.ok(fixtures.length >= 25);
    assert.ok(fixtures.some((f) => f.name === 'zero variance, same constant'));
  });

  for (const fixture of fixtures) {
    test(fixture.name, () => {
      const result = ttestInd(fixture.a, fixture.b);
      assertClose(result.statistic, decode(fixture.statistic), 1e-10);
      assertClose(result.df, fixture.df, 1e-10);
      // Relative even for p = 1e-83: an absolute floor would hide a p computed as 1 - cdf.
      assertClose(result.pvalue, decode(fixture.pvalue), 1e-9);
    });
  }
});

describe('ttestInd, cases checkable by hand', () => {
  test('[1, 2, 3] vs [4, 5, 6]: t = -3 / sqrt(2/3), df 4', () => {
    const result = ttestInd([1, 2, 3], [4, 5, 6]);
    assertClose(result.statistic, -3 / Math.sqrt(2 / 3), 1e-15);
    assert.equal(result.df, 4);
    // scipy.stats.ttest_ind([1, 2, 3], [4, 5, 6]).pvalue
    assertClose(result.pvalue, 0.021311641128756727, 1e-12);
  });

  test('swapping the groups flips the sign only', () => {
    const forward = ttestInd([0.5, 0.7, 0.6], [0.2, 0.4, 0.1, 0.3]);
    const backward = ttestInd([0.2, 0.4, 0.1, 0.3], [0.5, 0.7, 0.6]);
    assert.equal(backward.statistic, -forward.statistic);
    assert.equal(backward.pvalue, forward.pvalue);
  });

  // scipy's floating-point variance of [0.1, 0.1, 0.1] is about 3e-34, not 0; see ttest.ts.
  const zeroVariance: [string, number[], number[], number, number][] = [
    ['equal constants', [0.1, 0.1, 0.1], [0.1, 0.1, 0.1, 0.1], NaN, NaN],
    ['a below b, not exact in binary', [0.1, 0.1, 0.1], [0.2, 0.2, 0.2, 0.2], -Infinity, 0],
    ['a above b', [3, 3], [1, 1], Infinity, 0],
  ];
  for (const [name, a, b, statistic, pvalue] of zeroVariance) {
    test(`zero variance: ${name}`, () => {
      const result = ttestInd(a, b);
      assert.ok(Object.is(result.statistic, statistic), `statistic ${result.statistic}`);
      assert.ok(Object.is(result.pvalue, pvalue), `pvalue ${result.pvalue}`);
    });
  }

  const refused: [string, number[], number[], RegExp][] = [
    ['a has one value', [1], [1, 2], /group a has 1 value\(s\); expected at least 2/],
    ['b is empty', [1, 2], [], /group b has 0 value\(s\)/],
    ['NaN in b', [1, 2], [1, NaN], /group b\[1\] is NaN/],
    ['Infinity in a', [Infinity, 2], [1, 2], /group a\[0\] is Infinity/],
  ];
  for (const [name, a, b, message] of refused) {
    test(`refused: ${name}`, () => assert.throws(() => ttestInd(a, b), message));
  }
});

describe('meanSd (sample SD, ddof = 1)', () => {
  const cases: [string, number[], number, number][] = [
    ['1, 2, 3, 4: sd = sqrt(5/3)', [1, 2, 3, 4], 2.5, Math.sqrt(5 / 3)],
    ['2, 4: sd = sqrt(2)', [2, 4], 3, Math.SQRT2],
    ['constant, inexact in binary', [0.1, 0.1, 0.1], 0.1, 0],
    ['one value: sd NaN', [0.7], 0.7, NaN],
    ['negative values', [-1, -3], -2, Math.SQRT2],
  ];
  for (const [name, values, mean, sd] of cases) {
    test(name, () => {
      const summary = meanSd(values);
      assert.equal(summary.n, values.length);
      assertClose(summary.mean, mean, 1e-15);
      assertClose(summary.sd, sd, 1e-15);
    });
  }

  test('no value or a non-finite value is refused', () => {
    assert.throws(() => meanSd([]), /values is empty/);
    assert.throws(() => meanSd([1, NaN]), /values\[1\] is NaN/);
  });
});

describe('formatMeanSd', () => {
  const cases: [string, number, number, number | undefined, string][] = [
    ['three digits by default', 0.5123, 0.0341, undefined, '0.512 ± 0.034'],
    ['two digits', 0.5123, 0.0341, 2, '0.51 ± 0.03'],
    ['rounds up to 1.000', 0.9996, 0.1, 3, '1.000 ± 0.100'],
    ['sd NaN for one value', 0.5, NaN, 3, '0.500 ± NaN'],
    ['no "-0.000"', -0.0001, 0.01, 3, '0.000 ± 0.010'],
    ['negative mean kept', -0.25, 0.01, 2, '-0.25 ± 0.01'],
  ];
  for (const [name, mean, sd, digits, expected] of cases) {
    test(name, () => assert.equal(formatMeanSd({ mean, sd, n: 2 }, digits), expected));
  }
});
