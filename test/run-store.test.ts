import assert from 'node:assert/strict';
import {
  existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import sharp from 'sharp';

import { loadProfile, type Profile } from '../lib/config/profiles.js';
import { buildManifest, type Manifest } from '../lib/data/manifest.js';
import { projectRoot } from '../lib/data/paths.js';
import {
  canonicalJson, readRunResult, resultsDir, runDir, runHash, writeRunResult,
} from '../lib/experiments/run-store.js';
import { planHash, type RunPlan } from '../lib/experiments/runs.js';
import { makeDataRoot, temporaryFolder } from './data-synthetic.js';

/** Every file below `folder`, as paths relative to it, sorted. */
function filesBelow(folder: string): string[] {
  return (readdirSync(folder, { recursive: true }) as string[])
    .filter((file) => statSync(join(folder, file)).isFile()).sort();
}

/** Runs `body` with env STUDY_RESULTS set to `value` (unset: undefined), then restores it. */
async function withResultsEnv<T>(value: string | undefined, body: () => T | Promise<T>):
  Promise<T> {
  const saved = process.env.STUDY_RESULTS;
  if (value === undefined) delete process.env.STUDY_RESULTS;
  else process.env.STUDY_RESULTS = value;
  try {
    return await body();
  } finally {
    if (saved === undefined) delete process.env.STUDY_RESULTS;
    else process.env.STUDY_RESULTS = saved;
  }
}

describe('canonicalJson', () => {
  const cases: [string, unknown, string][] = [
    ['keys sorted at the top level', { b: 1, a: 2 }, '{"a":2,"b":1}'],
    ['keys sorted inside nested objects and objects in arrays',
      { z: { y: 1, x: [{ d: 4, c: 3 }] }, a: null },
      '{"a":null,"z":{"x":[{"c":3,"d":4}],"y":1}}'],
    ['undefined fields dropped at every level', { b: undefined, a: { d: undefined, c: 1 } },
      '{"a":{"c":1}}'],
    ['array order kept', { list: [3, 1, 2] }, '{"list":[3,1,2]}'],
    ['plain values as JSON.stringify', 'fold 1', '"fold 1"'],
  ];
  for (const [label, value, expected] of cases) {
    test(label, () => assert.equal(canonicalJson(value), expected));
  }
});

describe('runHash', () => {
  const spec = { plan: { fold: 1, seed: 7, trainIds: ['A-1', 'A-2'] }, profile: { epochs: 2 },
    data: 'abc' };

  test('64 hex digits, equal for the same content with keys in another order', () => {
    assert.match(runHash(spec), /^[0-9a-f]{64}$/);
    const reordered = { data: 'abc', profile: { epochs: 2 },
      plan: { trainIds: ['A-1', 'A-2'], seed: 7, fold: 1 } };
    assert.equal(runHash(reordered), runHash(spec));
    assert.equal(runHash({ ...spec, extra: undefined }), runHash(spec));
  });

  const changes: [string, unknown][] = [
    ['fold', { ...spec, plan: { ...spec.plan, fold: 2 } }],
    ['seed', { ...spec, plan: { ...spec.plan, seed: 8 } }],
    ['a training id', { ...spec, plan: { ...spec.plan, trainIds: ['A-1', 'A-3'] } }],
    ['the order of training ids', { ...spec, plan: { ...spec.plan, trainIds: ['A-2', 'A-1'] } }],
    ['a profile field', { ...spec, profile: { epochs: 3 } }],
    ['the data hash', { ...spec, data: 'abd' }],
    ['a number given as a string', { ...spec, profile: { epochs: '2' } }],
  ];
  for (const [label, changed] of changes) {
    test(`differs when ${label} changes`, () => assert.notEqual(runHash(changed), runHash(spec)));
  }
});

describe('results folder', () => {
  let root = '';
  before(() => { root = temporaryFolder('results-'); });
  after(() => rmSync(root, { recursive: true, force: true }));

  test('resultsDir follows STUDY_RESULTS; runDir is <root>/runs/<hash>', async () => {
    assert.equal(await withResultsEnv(root, () => resultsDir()), root);
    const blank = await withResultsEnv('  ', () => resultsDir());
    assert.equal(blank, join(projectRoot(), 'results'), 'a blank setting means the default');
    assert.equal(runDir('ab12', root), join(root, 'runs', 'ab12'));
    assert.equal(await withResultsEnv(root, () => runDir('ab12')), join(root, 'runs', 'ab12'));
  });

  test('a run that was never stored reads as undefined', () => {
    assert.equal(readRunResult('0'.repeat(64), root), undefined);
  });

  test('a result.json of another format reads as undefined', () => {
    const cases: [string, string][] = [
      ['older-format', JSON.stringify({ format: 0, result: { bestEpoch: 3 } })],
      ['no-format', JSON.stringify({ result: { bestEpoch: 3 } })],
      ['an-array', '[1, 2]'],
    ];
    for (const [hash, text] of cases) {
      mkdirSync(runDir(hash, root), { recursive: true });
      writeFileSync(join(runDir(hash, root), 'result.json'), text);
      assert.equal(readRunResult(hash, root), undefined, hash);
    }
  });

  test('a damaged result.json throws naming the file', () => {
    const file = join(runDir('damaged', root), 'result.json');
    mkdirSync(runDir('damaged', root), { recursive: true });
    writeFileSync(file, '{"format": 1, "result": {"bestEp');
    assert.throws(() => readRunResult('damaged', root),
      (error: Error) => error.message.includes(file) && /not valid JSON/.test(error.message));
  });

  test('a result.json holding JSON null reads as undefined or throws naming the file', () => {
    const file = join(runDir('null', root), 'result.json');
    mkdirSync(runDir('null', root), { recursive: true });
    writeFileSync(file, 'null');
    let outcome: unknown;
    try {
      outcome = readRunResult('null', root);
    } catch (error) {
      assert.ok((error as Error).message.includes(file), (error as Error).message);
      return;
    }
    assert.equal(outcome, undefined);
  });

  test('writeRunResult writes model/ first, then result.json, and leaves no *.tmp', async () => {
    const hash = 'f'.repeat(64);
    const result = { bestEpoch: 2, threshold: 0.35, validationF1: NaN, high: Infinity,
      counts: { 'A-1': { tp: 1, fp: 0, fn: 2, tn: 5 } }, history: [{ epoch: 1, valIoU: NaN }] };
    let resultExistedDuringSave: boolean | undefined;
    const folder = await writeRunResult(hash, result, async (modelFolder) => {
      assert.equal(modelFolder, join(root, 'runs', hash, 'model'));
      resultExistedDuringSave = existsSync(join(root, 'runs', hash, 'result.json'));
      mkdirSync(modelFolder, { recursive: true });
      writeFileSync(join(modelFolder, 'weights.bin'), Uint8Array.of(1, 2, 3));
    }, root);

    assert.equal(folder, runDir(hash, root));
    assert.equal(resultExistedDuringSave, false);
    assert.deepEqual(filesBelow(folder), ['model/weights.bin', 'result.json']);
    assert.equal(filesBelow(root).some((file) => file.endsWith('.tmp')), false);
    // NaN and Infinity survive the round trip (plain JSON would turn them into null).
    assert.deepEqual(readRunResult(hash, root), result);
    assert.equal(JSON.parse(readFileSync(join(folder, 'result.json'), 'utf8')).format, 1);
  });

  test('a failed model save leaves the run unfinished (no result.json)', async () => {
    const hash = 'e'.repeat(64);
    await assert.rejects(writeRunResult(hash, { bestEpoch: 1 }, async () => {
      throw new Error('disk full');
    }, root), /disk full/);
    assert.equal(existsSync(join(runDir(hash, root), 'result.json')), false);
    assert.equal(readRunResult(hash, root), undefined);
  });

  test('without a root, writeRunResult and readRunResult use STUDY_RESULTS', async () => {
    const other = temporaryFolder('results-env-');
    try {
      await withResultsEnv(other, async () => {
        await writeRunResult('d'.repeat(64), { bestEpoch: 4 }, async (modelFolder) => {
          mkdirSync(modelFolder, { recursive: true });
        });
        assert.deepEqual(readRunResult('d'.repeat(64)), { bestEpoch: 4 });
      });
      assert.equal(existsSync(join(other, 'runs', 'd'.repeat(64), 'result.json')), true);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});

describe('planHash', () => {
  // Two data folders with the same content (makeDataRoot is deterministic); the second is
  // then changed one file at a time. Ids A-100..A-104 and B-00500..B-00503.
  let first = '';
  let second = '';
  let manifestFirst: Manifest;
  let manifestSecond: Manifest;
  let weightsFolder = '';
  const profile: Profile = { ...loadProfile('smoke'), height: 32, width: 64 };
  const plan: RunPlan = {
    experiment: 'baseline', name: 'fold 1', fold: 1, trainIds: ['A-100', 'A-101'],
    validationIds: ['A-102'], scoreIds: ['B-00500'], seed: 11,
  };

  /** Replaces an A image of the second folder by a flat grey one of the same size. */
  async function changeImage(stem: string, grey: number): Promise<void> {
    const pixels = new Uint8Array(64 * 32).fill(grey);
    await sharp(pixels, { raw: { width: 64, height: 32, channels: 1 } }).png()
      .toFile(join(second, 'dc1000', 'images', `${stem}.png`));
  }

  before(async () => {
    [first, second] = [await makeDataRoot(5, 4), await makeDataRoot(5, 4)];
    manifestFirst = await buildManifest(first, { seed: 3, testFraction: 0.2 });
    manifestSecond = await buildManifest(second, { seed: 3, testFraction: 0.2 });
    weightsFolder = temporaryFolder('initial-weights-');
  });
  after(() => {
    for (const folder of [first, second, weightsFolder]) {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  test('unchanged by the display name; equal over two folders with the same content', () => {
    const hash = planHash(plan, profile, manifestFirst);
    assert.match(hash, /^[0-9a-f]{64}$/);
    assert.equal(planHash({ ...plan, name: 'another name' }, profile, manifestFirst), hash);
    assert.equal(planHash(plan, profile, manifestSecond), hash);
  });

  const changes: [string, (p: RunPlan, q: Profile) => [RunPlan, Profile]][] = [
    ['a training id', (p, q) => [{ ...p, trainIds: ['A-100', 'A-103'] }, q]],
    ['a validation id', (p, q) => [{ ...p, validationIds: ['A-103'] }, q]],
    ['a scored id', (p, q) => [{ ...p, scoreIds: ['B-00501'] }, q]],
    ['the seed', (p, q) => [{ ...p, seed: 12 }, q]],
    ['the fold', (p, q) => [{ ...p, fold: 2 }, q]],
    ['the experiment', (p, q) => [{ ...p, experiment: 'aligned' }, q]],
    ['the fraction', (p, q) => [{ ...p, fraction: 0.2 }, q]],
    ['alignment added', (p, q) =>
      [{ ...p, align: { targetIds: ['B-00500'], clahe: true, seed: 11 } }, q]],
    ['the profile epochs', (p, q) => [p, { ...q, epochs: 3 }]],
    ['the profile learning rate', (p, q) => [p, { ...q, learningRate: 0.001 }]],
    ['the profile augment flag', (p, q) => [p, { ...q, augment: false }]],
    ['the profile input size', (p, q) => [p, { ...q, height: 64, width: 128 }]],
  ];
  for (const [label, change] of changes) {
    test(`changed by ${label}`, () => {
      const [changedPlan, changedProfile] = change(plan, profile);
      assert.notEqual(planHash(changedPlan, changedProfile, manifestFirst),
        planHash(plan, profile, manifestFirst));
    });
  }

  test('alignment: a different CLAHE flag or target gives another hash', () => {
    const aligned = { ...plan, align: { targetIds: ['B-00500'], clahe: true, seed: 11 } };
    const hash = planHash(aligned, profile, manifestFirst);
    assert.notEqual(planHash({ ...aligned, align: { ...aligned.align, clahe: false } },
      profile, manifestFirst), hash);
    assert.notEqual(planHash({ ...aligned, align: { ...aligned.align, targetIds: ['B-00501'] } },
      profile, manifestFirst), hash);
  });

  test('an image the plan does not read changes nothing; one it reads changes the hash',
    async () => {
      const hash = planHash(plan, profile, manifestFirst);
      // A-104 is in neither list of the plan.
      await changeImage('104', 40);
      // The manifest hashes each file when it is built: build it again after a change.
      manifestSecond = await buildManifest(second, { seed: 3, testFraction: 0.2 });
      assert.equal(planHash(plan, profile, manifestSecond), hash);
      // ... but it is read once it is an alignment target.
      const aligned = { ...plan, align: { targetIds: ['A-104'], clahe: true, seed: 11 } };
      assert.notEqual(planHash(aligned, profile, manifestSecond),
        planHash(aligned, profile, manifestFirst));

      await changeImage('100', 40);
      manifestSecond = await buildManifest(second, { seed: 3, testFraction: 0.2 });
      assert.notEqual(planHash(plan, profile, manifestSecond), hash);
    });

  test('a changed label file of a read image changes the hash', async () => {
    const previous = planHash(plan, profile, manifestSecond);
    const mask = new Uint8Array(64 * 32);
    mask.fill(255, 0, 10);
    await sharp(mask, { raw: { width: 64, height: 32, channels: 1 } }).png()
      .toFile(join(second, 'dc1000', 'masks', '102.png'));
    manifestSecond = await buildManifest(second, { seed: 3, testFraction: 0.2 });
    assert.notEqual(planHash(plan, profile, manifestSecond), previous);
  });

  test('initial weights that do not exist: the error names profile.initialWeights', () => {
    const missing = join(weightsFolder, 'no-such-model');
    assert.throws(() => planHash(plan, { ...profile, initialWeights: missing }, manifestFirst),
      (error: Error) => error.message.includes(missing) &&
        error.message.includes('initialWeights'));
  });

  test('initial weights: their file content is part of the hash, not only their folder',
    () => {
      writeFileSync(join(weightsFolder, 'weights.bin'), Uint8Array.of(1, 2, 3));
      const withWeights = { ...profile, initialWeights: weightsFolder };
      const hash = planHash(plan, withWeights, manifestFirst);
      assert.notEqual(hash, planHash(plan, profile, manifestFirst));
      writeFileSync(join(weightsFolder, 'weights.bin'), Uint8Array.of(1, 2, 4));
      assert.notEqual(planHash(plan, withWeights, manifestFirst), hash);
    });
});
