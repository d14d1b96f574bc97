/**
 * Degenerate data: centers too small or without lesions, a flat image through statistics,
 * CLAHE and alignment, fewer images than folds or clusters, identical feature vectors, a
 * zero-variance t-test (against scipy), and a failed run that leaves earlier cache entries
 * whole.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { adjustBrightnessContrast, fitAlignment } from '../lib/augmentation/brightness-contrast.js';
import { clahe } from '../lib/augmentation/clahe.js';
import { checkDataset } from '../lib/data/check.js';
import { kFold } from '../lib/data/folds.js';
import { buildManifest, type ImageRecord } from '../lib/data/manifest.js';
import { pixelStats } from '../lib/data/pixel-stats.js';
import { loadSamples, type Sample } from '../lib/data/preprocess.js';
import { IDENTITY_ROI } from '../lib/data/roi.js';
import { chooseK } from '../lib/splits/choose-k.js';
import { silhouetteScore } from '../lib/splits/cluster-quality.js';
import { clusteredFolds } from '../lib/splits/clustered-folds.js';
import { miniBatchKMeans } from '../lib/splits/kmeans.js';
import { studyFolds } from '../lib/splits/study-folds.js';
import { ttestInd } from '../lib/statistics/ttest.js';
import { seededRandom } from '../lib/util/random.js';
import { inTemporaryFolder, makeDataRoot, writeGreyPng } from './data-synthetic.js';

describe('centers that cannot take part', () => {
  const cases: Array<{ name: string; keep: number; emptyMasks?: boolean; message: RegExp }> = [
    { name: 'no images', keep: 0, message: /Center A: .*dc1000 holds no usable image/ },
    { name: 'one image, so no test image', keep: 1,
      message: /Center A: .*dc1000 holds only 1 usable image .*100\.png/ },
    { name: 'all masks empty', keep: 3, emptyMasks: true,
      message: /Center A: all 3 labels in .*dc1000 are empty; expected at least one lesion/ },
  ];
  for (const { name, keep, emptyMasks, message } of cases) {
    it(`${name}: buildManifest stops and the check lists it`, async () => {
      const root = await makeDataRoot(keep === 0 ? 1 : keep, 2);
      try {
        if (keep === 0) {
          rmSync(join(root, 'dc1000', 'images', '100.png'));
          rmSync(join(root, 'dc1000', 'masks', '100.png'));
        }
        for (let k = 0; emptyMasks && k < keep; k++) {
          await writeGreyPng(join(root, 'dc1000', 'masks', `${100 + k}.png`),
            new Uint8Array(64 * 32), 64, 32);
        }
        await assert.rejects(buildManifest(root), message);
        const [a, b] = await checkDataset(root);
        assert.ok(a.problems.some((problem) => message.test(problem)), a.problems.join('\n'));
        assert.deepEqual([a.good, b.good, b.problems], [keep, 2, []]);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    });
  }
});

describe('a flat image', () => {
  const flat = new Float32Array(16 * 32).fill(0.4);

  it('has SD 0, stays flat and finite through CLAHE, and keeps contrast 1', async () => {
    assert.deepEqual(pixelStats(flat), { mean: Math.fround(0.4) * 255, sd: 0 });
    const equalized = await clahe(flat, 16, 32);
    assert.ok(equalized.every((value) => value === equalized[0] && Number.isFinite(value)));

    const [factors] = fitAlignment([pixelStats(flat)], [{ mean: 80, sd: 30 }], seededRandom(1));
    assert.equal(factors.contrast, 1);
    const aligned = adjustBrightnessContrast(flat, factors.brightness, factors.contrast);
    assert.ok(Math.abs(pixelStats(aligned).mean - 80) < 1e-3);
    assert.equal(pixelStats(aligned).sd, 0);
  });
});

describe('fewer images than folds or clusters, identical features', () => {
  it('fewer images than folds: each fold builder names both numbers', () => {
    assert.throws(() => kFold(3, 5, 1), /kFold: 3 items cannot fill 5 folds/);
    assert.throws(() => clusteredFolds([0, 1, 0], 5, 1), /3 images cannot fill 5 folds/);
    assert.throws(() => studyFolds([], [], 5, 1), /0 training images cannot fill 5 folds/);
  });

  it('fewer points than clusters: k-means names k and n', () => {
    assert.throws(() => miniBatchKMeans([[0], [1]], 3), /k = 3 clusters .* n = 2 points/);
  });

  it('two images and two folds: one cluster, plain folds, a note', () => {
    const records = [0, 1].map((i) => ({ id: `A-${i}`, lesionCount: i + 1 }) as ImageRecord);
    const samples = [0.2, 0.6].map((grey) => ({ height: 2, width: 2,
      image: new Float32Array(4).fill(grey) }) as Sample);
    const result = studyFolds(records, samples, 2, 1);
    assert.deepEqual([result.k, result.labels], [1, [0, 0]]);
    assert.match(result.note ?? '', /2 images are too few to cluster/);
    assert.deepEqual(result.folds.map((fold) => fold.validation.length), [1, 1]);
  });

  it('identical feature vectors: k = 1 with a note; silhouette 0 as sklearn', () => {
    const same = [[1, 2], [1, 2], [1, 2], [1, 2]];
    const chosen = chooseK(same, [2, 3]);
    assert.deepEqual([chosen.k, chosen.labels], [1, [0, 0, 0, 0]]);
    assert.match(chosen.note ?? '', /all 4 feature vectors are identical/);
    // sklearn.metrics.silhouette_score(same, [0, 0, 1, 1]) == 0.0 (a = b = 0 gives s = 0)
    assert.equal(silhouetteScore(same, [0, 0, 1, 1]), 0);
  });
});

describe('t-test with zero-variance groups matches scipy 1.10', () => {
  type Encoded = number | 'NaN' | 'Infinity' | '-Infinity';
  const decode = (value: Encoded): number => Number(value);
  const fixtures = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures',
    'ttest.json'), 'utf8')) as { cases: Array<{ name: string; a: number[]; b: number[];
      statistic: Encoded; pvalue: Encoded }> };
  const constant = fixtures.cases.filter((c) => c.name.startsWith('zero variance'));
  it('has the three zero-variance cases', () => assert.equal(constant.length, 3));
  for (const { name, a, b, statistic, pvalue } of constant) {
    it(name, () => {
      const result = ttestInd(a, b);
      assert.deepEqual([result.statistic, result.pvalue], [decode(statistic), decode(pvalue)]);
    });
  }
});

describe('a failure does not corrupt what was written before it', () => {
  it('loadSamples stops at a corrupt image; the earlier cache entry stays whole', async () => {
    const root = await makeDataRoot(2, 2);
    try {
      await inTemporaryFolder(async (cache) => {
        const manifest = await buildManifest(root);
        const [good, bad] = manifest.records.filter((record) => record.center === 'A');
        const size = { height: 16, width: 32 };
        const rois = { A: IDENTITY_ROI, B: IDENTITY_ROI };
        const [first] = await loadSamples([good], rois, size, { cacheDir: cache });
        const broken = { ...bad, imagePath: join(cache, 'missing.png') };
        await assert.rejects(loadSamples([good, broken], rois, size, { cacheDir: cache }),
          /Could not read image .*missing\.png/);
        assert.deepEqual(readdirSync(cache).filter((name) => !name.endsWith('.sample')), []);
        const [again] = await loadSamples([good], rois, size, { cacheDir: cache });
        assert.deepEqual([again.image, again.mask], [first.image, first.mask]);
      });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
