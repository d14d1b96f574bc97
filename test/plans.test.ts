import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import sharp from 'sharp';

import { loadProfile, type Profile } from '../lib/config/profiles.js';
import { buildManifest, recordsOf, type Manifest } from '../lib/data/manifest.js';
import {
  alignedPlans, baselinePlans, crossCenterPlans, crossCenterSize, studySplits,
  type CenterSplit, type StudySplits,
} from '../lib/experiments/plans.js';
import type { RunPlan } from '../lib/experiments/runs.js';
import { makeDataRoot, ramp, SYNTHETIC, temporaryFolder, vocXml } from './data-synthetic.js';

/**
 * A data folder with `countA` images of A (makeDataRoot) and `countB` of B written here:
 * makeDataRoot puts k + 1 boxes on B image k, which leave the 80-pixel width from k = 7 on,
 * so image k here gets (k mod 4) + 1 boxes.
 */
async function makeStudyRoot(countA: number, countB: number): Promise<string> {
  const root = await makeDataRoot(countA, 0);
  const { width, height } = SYNTHETIC.B;
  const grey = ramp(width, height);
  const rgb = new Uint8Array(grey.length * 3).map((_, i) => grey[Math.floor(i / 3)]);
  for (let k = 0; k < countB; k++) {
    const stem = `00${500 + k}`;
    await sharp(rgb, { raw: { width, height, channels: 3 } }).jpeg({ quality: 95 })
      .toFile(join(root, 'cariesxrays', 'images', `${stem}.jpg`));
    const boxes = Array.from({ length: (k % 4) + 1 }, (_, i) =>
      ({ xmin: 20 + 8 * i, ymin: 15, xmax: 25 + 8 * i, ymax: 20 }));
    writeFileSync(join(root, 'cariesxrays', 'annotations', `${stem}.xml`),
      vocXml(`${stem}.jpg`, width, height, boxes));
  }
  return root;
}

/** The ids of one fold of a center: training and validation, in fold order. */
function foldIds(split: CenterSplit, fold: number): { train: string[]; validation: string[] } {
  const { train, validation } = split.clustering.folds[fold];
  return { train: train.map((i) => split.trainIds[i]),
    validation: validation.map((i) => split.trainIds[i]) };
}

/** Points the sample cache at `folder`; returns what puts the previous setting back. */
function useSampleCache(folder: string): () => void {
  const saved = process.env.STUDY_CACHE;
  process.env.STUDY_CACHE = folder;
  return () => {
    if (saved === undefined) delete process.env.STUDY_CACHE;
    else process.env.STUDY_CACHE = saved;
  };
}

const sorted = (ids: readonly string[]): string[] => [...ids].sort();
const fromB = (ids: readonly string[]): string[] => ids.filter((id) => id.startsWith('B-'));
const fromA = (ids: readonly string[]): string[] => ids.filter((id) => id.startsWith('A-'));

function assertDisjoint(x: readonly string[], y: readonly string[], what: string): void {
  const ys = new Set(y);
  assert.deepEqual(x.filter((id) => ys.has(id)), [], what);
}

describe('experiment plans on a synthetic study (30 images of A, 20 of B, 3 folds)', () => {
  let root = '';
  let cache = '';
  let manifest: Manifest;
  let splits: StudySplits;
  let restoreCache = (): void => {};
  const profile: Profile = { ...loadProfile('smoke'), height: 32, width: 64, folds: 3,
    maxTrainImages: undefined };

  before(async () => {
    root = await makeStudyRoot(30, 20);
    cache = temporaryFolder('study-cache-');
    restoreCache = useSampleCache(cache);
    manifest = await buildManifest(root, { seed: profile.seed, testFraction: 0.2 });
    splits = await studySplits(manifest, profile);
  });
  after(() => {
    restoreCache();
    for (const folder of [root, cache]) rmSync(folder, { recursive: true, force: true });
  });

  test('studySplits: each center keeps the manifest split; 3 folds per center', () => {
    // testFraction 0.2: 6 of 30 images of A and 4 of 20 of B are test images.
    for (const [center, train, testCount] of [['A', 24, 6], ['B', 16, 4]] as const) {
      const split = splits[center];
      assert.deepEqual(split.trainIds, recordsOf(manifest, center, 'train').map((r) => r.id));
      assert.deepEqual(split.testIds, recordsOf(manifest, center, 'test').map((r) => r.id));
      assert.equal(split.trainIds.length, train);
      assert.equal(split.testIds.length, testCount);
      assert.equal(split.clustering.folds.length, 3);
    }
  });

  test('baseline: validation sets partition A\'s training ids; train and validation ' +
    'disjoint; no test id in either', () => {
    const plans = baselinePlans(profile, splits);
    assert.equal(plans.length, 3);
    const validations = plans.flatMap((plan) => plan.validationIds);
    assert.deepEqual(sorted(validations), sorted(splits.A.trainIds));
    const testIds = [...splits.A.testIds, ...splits.B.testIds];
    plans.forEach((plan, fold) => {
      assert.equal(plan.experiment, 'baseline');
      assert.equal(plan.fold, fold + 1);
      assert.equal(plan.name, `fold ${fold + 1}`);
      assert.equal(plan.seed, profile.seed + fold);
      assert.equal(plan.align, undefined);
      assert.equal(plan.fraction, undefined);
      assertDisjoint(plan.trainIds, plan.validationIds, `fold ${fold + 1} train / validation`);
      assertDisjoint([...plan.trainIds, ...plan.validationIds], testIds, 'test ids');
      // Without a cap, a fold trains on every training image of A it does not validate on.
      assert.deepEqual(sorted([...plan.trainIds, ...plan.validationIds]),
        sorted(splits.A.trainIds));
      assert.deepEqual(fromB(plan.trainIds), []);
    });
  });

  test('baseline: scored on A\'s test images and every image of B', () => {
    const everyB = recordsOf(manifest, 'B').map((record) => record.id);
    for (const plan of baselinePlans(profile, splits)) {
      assert.deepEqual(plan.scoreIds,
        [...splits.A.testIds, ...splits.B.trainIds, ...splits.B.testIds]);
      assert.deepEqual(sorted(fromB(plan.scoreIds)), sorted(everyB));
      assert.deepEqual(sorted(fromA(plan.scoreIds)), sorted(splits.A.testIds));
    }
  });

  test('baseline: maxTrainImages caps the training ids, keeps validation as it was', () => {
    const full = baselinePlans(profile, splits);
    const capped = baselinePlans({ ...profile, maxTrainImages: 5 }, splits);
    capped.forEach((plan, fold) => {
      assert.equal(plan.trainIds.length, 5);
      const allowed = new Set(full[fold].trainIds);
      assert.deepEqual(plan.trainIds.filter((id) => !allowed.has(id)), [], 'from the fold');
      assert.deepEqual(plan.validationIds, full[fold].validationIds);
    });
  });

  test('aligned: the baseline plans with B\'s training ids as alignment targets', () => {
    const baseline = baselinePlans(profile, splits);
    const aligned = alignedPlans(profile, splits);
    assert.equal(aligned.length, baseline.length);
    aligned.forEach((plan, fold) => {
      const { experiment, align, ...rest } = plan;
      assert.equal(experiment, 'aligned');
      assert.deepEqual({ ...rest, experiment: 'baseline' }, baseline[fold]);
      assert.deepEqual(align, { targetIds: splits.B.trainIds, clahe: true,
        seed: baseline[fold].seed });
      assertDisjoint(align?.targetIds ?? [], splits.B.testIds, 'targets and B test ids');
    });
  });

  test('crossCenterSize: the smallest fold training set of either center', () => {
    const sizes = [splits.A, splits.B].flatMap((split) =>
      split.clustering.folds.map((fold) => fold.train.length));
    // B: 16 training images in 3 folds, so its fold training sets hold 10 or 11.
    assert.equal(crossCenterSize(profile, splits), Math.min(...sizes));
    assert.ok(Math.min(...sizes) >= 10 && Math.min(...sizes) <= 11, `sizes ${sizes}`);
    assert.equal(crossCenterSize({ ...profile, maxTrainImages: 4 }, splits), 4);
  });

  describe('cross-center plans', () => {
    let plans: RunPlan[] = [];
    let size = 0;
    const fractions = [0, 0.2, 0.4, 0.6, 0.8, 1];
    before(() => {
      plans = crossCenterPlans(profile, splits);
      size = crossCenterSize(profile, splits);
    });

    test('fraction-major: 6 fractions x 3 folds, names and seeds', () => {
      assert.equal(plans.length, 18);
      plans.forEach((plan, i) => {
        const fraction = fractions[Math.floor(i / 3)];
        const fold = (i % 3) + 1;
        assert.equal(plan.experiment, 'cross-center');
        assert.equal(plan.fraction, fraction);
        assert.equal(plan.fold, fold);
        assert.equal(plan.name, `${Math.round(fraction * 100)}% B, fold ${fold}`);
        assert.equal(plan.seed, profile.seed + fold - 1);
      });
    });

    test('every training set has the constant size with round(f * size) images of B', () => {
      for (const plan of plans) {
        assert.equal(plan.trainIds.length, size, plan.name);
        assert.equal(new Set(plan.trainIds).size, size, `${plan.name}: no id twice`);
        assert.equal(fromB(plan.trainIds).length, Math.round((plan.fraction ?? NaN) * size),
          plan.name);
      }
    });

    test('B (and A) training ids come only from that fold\'s training ids', () => {
      for (const plan of plans) {
        const a = foldIds(splits.A, plan.fold - 1);
        const b = foldIds(splits.B, plan.fold - 1);
        const allowed = new Set([...a.train, ...b.train]);
        assert.deepEqual(plan.trainIds.filter((id) => !allowed.has(id)), [], plan.name);
        assertDisjoint(plan.trainIds, [...b.validation, ...splits.B.testIds], plan.name);
        assertDisjoint(plan.trainIds, [...a.validation, ...splits.A.testIds], plan.name);
      }
    });

    test('a smaller fraction\'s B ids are a subset of a larger one\'s, fold by fold', () => {
      for (let fold = 1; fold <= 3; fold++) {
        const ofFold = plans.filter((plan) => plan.fold === fold);
        for (let i = 1; i < ofFold.length; i++) {
          const larger = new Set(fromB(ofFold[i].trainIds));
          const missing = fromB(ofFold[i - 1].trainIds).filter((id) => !larger.has(id));
          assert.deepEqual(missing, [], `${ofFold[i - 1].name} within ${ofFold[i].name}`);
        }
      }
    });

    test('validation = the fold\'s validation ids of A, then of B; scored on both test sets',
      () => {
        for (const plan of plans) {
          const a = foldIds(splits.A, plan.fold - 1);
          const b = foldIds(splits.B, plan.fold - 1);
          assert.deepEqual(plan.validationIds, [...a.validation, ...b.validation], plan.name);
          assert.deepEqual(plan.scoreIds, [...splits.A.testIds, ...splits.B.testIds]);
        }
      });

    test('a fractions argument is respected', () => {
      const half = crossCenterPlans(profile, splits, [0.5]);
      assert.deepEqual(half.map((plan) => plan.name),
        ['50% B, fold 1', '50% B, fold 2', '50% B, fold 3']);
      for (const plan of half) {
        assert.equal(plan.fraction, 0.5);
        assert.equal(fromB(plan.trainIds).length, Math.round(0.5 * size));
      }
    });
  });
});

describe('a center with fewer training images than folds', () => {
  test('studySplits fails naming the image and fold counts', async () => {
    // B: 3 images, 1 held out for testing (round(3 * 0.2) = 1), so 2 to fill 3 folds.
    const root = await makeDataRoot(10, 3);
    const cache = temporaryFolder('study-cache-');
    const restoreCache = useSampleCache(cache);
    try {
      const profile: Profile = { ...loadProfile('smoke'), height: 32, width: 64, folds: 3 };
      const manifest = await buildManifest(root, { seed: profile.seed, testFraction: 0.2 });
      assert.equal(recordsOf(manifest, 'B', 'train').length, 2);
      await assert.rejects(studySplits(manifest, profile),
        /\b2 (training )?images cannot fill 3 folds/);
    } finally {
      restoreCache();
      for (const folder of [root, cache]) rmSync(folder, { recursive: true, force: true });
    }
  });
});
