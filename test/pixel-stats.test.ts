import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';

import {
  centerPixelSummary, formatQuartiles, pixelStats, type PixelStats, quantile,
} from '../lib/data/pixel-stats.js';

interface PixelFixture { name: string; image: number[]; mean: number; sd: number }
interface QuantileFixture {
  name: string;
  values: number[];
  probabilities: number[];
  quantiles: number[];
}

const fixtures = JSON.parse(readFileSync(new URL('./fixtures/pixel-stats.json',
  import.meta.url), 'utf8')) as { pixelStats: PixelFixture[]; quantiles: QuantileFixture[] };

describe('pixelStats on hand-made images (0..255 units, population SD)', () => {
  // [grey values in [0, 1], mean, sd], worked out by hand.
  const cases: [string, number[], number, number][] = [
    ['one pixel', [0.5], 127.5, 0],
    ['black and white', [0, 1], 127.5, 127.5],
    ['three equal pixels', [0.2, 0.2, 0.2], Math.fround(0.2) * 255, 0],
    // mean 0.25; deviations -0.25 (x3) and 0.75: variance (3/16 + 9/16) / 4 = 3/16.
    ['three black, one white', [0, 0, 0, 1], 63.75, 255 * Math.sqrt(3 / 16)],
    // mean 0.5, every deviation 0.25: SD 0.25, i.e. 63.75 (numpy's ddof=0, not 73.6).
    ['0.25 and 0.75, twice', [0.25, 0.75, 0.25, 0.75], 127.5, 63.75],
  ];
  for (const [name, values, mean, sd] of cases) {
    test(name, () => {
      const stats = pixelStats(Float32Array.from(values));
      assert.ok(Math.abs(stats.mean - mean) < 1e-12, `mean ${stats.mean}, expected ${mean}`);
      assert.ok(Math.abs(stats.sd - sd) < 1e-12, `sd ${stats.sd}, expected ${sd}`);
    });
  }

  test('a flat image has exactly SD 0', () => {
    assert.equal(pixelStats(new Float32Array(1001).fill(0.1)).sd, 0);
  });

  test('rejects an empty image and a NaN pixel, naming the pixel', () => {
    assert.throws(() => pixelStats(new Float32Array(0)), /pixelStats: image is empty/);
    assert.throws(() => pixelStats(Float32Array.of(0.1, NaN)), /image\[1\] is NaN/);
  });
});

describe('pixelStats against numpy mean and std(ddof=0) (test/fixtures/pixel-stats.json)', () => {
  for (const fixture of fixtures.pixelStats) {
    test(fixture.name, () => {
      const stats = pixelStats(Float32Array.from(fixture.image));
      assert.ok(Math.abs(stats.mean - fixture.mean) < 1e-11, `mean ${stats.mean}`);
      assert.ok(Math.abs(stats.sd - fixture.sd) < 1e-11, `sd ${stats.sd}`);
    });
  }
});

describe('quantile (type 7, numpy linear)', () => {
  // [values, p, expected]: h = (n - 1) p, then linear between neighbours.
  const cases: [number[], number, number][] = [
    [[1, 2, 3, 4], 0.25, 1.75],
    [[1, 2, 3, 4], 0.5, 2.5],
    [[1, 2, 3, 4], 0.75, 3.25],
    [[1, 2, 3, 4, 5], 0.25, 2],
    [[5, 1, 4, 2, 3], 0.75, 4],
    [[7], 0.3, 7],
    [[10, 20], 0, 10],
    [[10, 20], 1, 20],
    [[10, 20], 0.1, 11],
  ];
  for (const [values, p, expected] of cases) {
    test(`[${values}] at ${p} is ${expected}`, () => {
      assert.ok(Math.abs(quantile(values, p) - expected) < 1e-12);
    });
  }

  test('leaves its input unsorted', () => {
    const values = [3, 1, 2];
    quantile(values, 0.5);
    assert.deepEqual(values, [3, 1, 2]);
  });

  test('rejects empty input, NaN values and p outside [0, 1]', () => {
    assert.throws(() => quantile([], 0.5), /values is empty/);
    assert.throws(() => quantile([1, NaN], 0.5), /values\[1\] is NaN/);
    assert.throws(() => quantile([1, 2], 1.5), /p must be in \[0, 1\], got 1.5/);
    assert.throws(() => quantile([1, 2], NaN), /p must be in \[0, 1\]/);
  });
});

describe('quantile against numpy.percentile (test/fixtures/pixel-stats.json)', () => {
  for (const fixture of fixtures.quantiles) {
    test(fixture.name, () => {
      fixture.probabilities.forEach((p, i) => {
        const ours = quantile(fixture.values, p);
        const numpy = fixture.quantiles[i];
        assert.ok(Math.abs(ours - numpy) <= 1e-12 * Math.max(1, Math.abs(numpy)),
          `p = ${p}: ours ${ours}, numpy ${numpy}`);
      });
    });
  }
});

describe('centerPixelSummary', () => {
  const stats: PixelStats[] = [
    { mean: 100, sd: 30 }, { mean: 120, sd: 50 }, { mean: 90, sd: 40 }, { mean: 110, sd: 20 },
  ];

  test('quartiles of mean and of SD, type 7', () => {
    // means sorted 90, 100, 110, 120; SDs sorted 20, 30, 40, 50.
    assert.deepEqual(centerPixelSummary(stats), {
      n: 4,
      mean: { median: 105, q1: 97.5, q3: 112.5 },
      sd: { median: 35, q1: 27.5, q3: 42.5 },
    });
  });

  test('one image: all three quartiles are its value', () => {
    assert.deepEqual(centerPixelSummary([{ mean: 80, sd: 12 }]).sd,
      { median: 12, q1: 12, q3: 12 });
  });

  test('rejects no images and a non-finite SD, naming the field', () => {
    assert.throws(() => centerPixelSummary([]), /stats\[\]\.mean is empty/);
    assert.throws(() => centerPixelSummary([{ mean: 1, sd: Infinity }]),
      /stats\[\]\.sd\[0\] is Infinity/);
  });

  test('formats "median (Q1, Q3)" with fixed decimals', () => {
    assert.equal(formatQuartiles(centerPixelSummary(stats).mean), '105.0 (97.5, 112.5)');
    assert.equal(formatQuartiles({ median: 1, q1: 0.5, q3: 2 }, 2), '1.00 (0.50, 2.00)');
  });
});
