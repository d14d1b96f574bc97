import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';

import { chooseBackend } from '../lib/compute/backend.js';
import { loadProfile, type Profile } from '../lib/config/profiles.js';
import { buildManifest, type Manifest } from '../lib/data/manifest.js';
import { runBaseline } from '../lib/experiments/baseline.js';
import type { FoldResult } from '../lib/experiments/scores.js';
import {
  parseResult, runInWorkers, stringifyResult, workerCount,
} from '../lib/experiments/parallel.js';
import { makeDataRoot, temporaryFolder } from './data-synthetic.js';

describe('results travel between processes unchanged', () => {
  const cases: [string, unknown][] = [
    ['NaN and infinities', { f1: NaN, high: Infinity, low: -Infinity, list: [1, NaN] }],
    ['plain numbers keep every digit', { threshold: 0.35000000000000003, fold: 2, tiny: 5e-324 }],
    ['nested arrays and strings', [{ center: 'A', scores: [0.1, 0.2] }, 'B', null]],
    ['an object that only looks like a marker', { $number: 'NaN', other: 1 }],
  ];
  for (const [label, value] of cases) {
    test(label, () => assert.deepEqual(parseResult(stringifyResult(value)), value));
  }
});

describe('workerCount', () => {
  test('an explicit count wins; 0 and 1.5 are refused with the source named', () => {
    assert.equal(workerCount(3), 3);
    assert.throws(() => workerCount(0), /options.workers is '0'/);
    assert.throws(() => workerCount(1.5), /expected an integer >= 1/);
  });

  test('env STUDY_WORKERS is read when no count is given', () => {
    const saved = process.env.STUDY_WORKERS;
    try {
      process.env.STUDY_WORKERS = '5';
      assert.equal(workerCount(), 5);
      process.env.STUDY_WORKERS = 'two';
      assert.throws(() => workerCount(), /env STUDY_WORKERS is 'NaN'/);
    } finally {
      if (saved === undefined) delete process.env.STUDY_WORKERS;
      else process.env.STUDY_WORKERS = saved;
    }
  });
});

describe('runInWorkers', () => {
  test('a failing worker rejects with its name and the end of its stderr', async () => {
    const lines: string[] = [];
    await assert.rejects(
      runInWorkers([{ kind: 'no-such-kind', name: 'job x' }], { workers: 1,
        log: (line) => lines.push(line) }),
      (error: Error) => error.message.includes("job 'job x' (no-such-kind) failed (exit 1)") &&
        error.message.includes("job kind 'no-such-kind' is unknown"));
  });
});

describe('experiment 1 gives the same numbers in workers as in-process', () => {
  let dataRoot = '';
  let cache = '';
  let manifest: Manifest;
  const savedCache = process.env.STUDY_CACHE;
  // 10 synthetic images of A (8 train, 2 test), 4 of B (1 test); 2 folds of 4 training images.
  const profile: Profile = { ...loadProfile('smoke'), height: 32, width: 64, depth: 2,
    baseFilters: 2, folds: 2, epochs: 2, batchSize: 4, maxTrainImages: 8 };

  before(async () => {
    dataRoot = await makeDataRoot(10, 4);
    cache = temporaryFolder('study-cache-');
    process.env.STUDY_CACHE = cache;
    manifest = await buildManifest(dataRoot, { seed: profile.seed, testFraction: 0.2 });
    await chooseBackend({ requested: 'wasm' });
  });
  after(() => {
    if (savedCache === undefined) delete process.env.STUDY_CACHE;
    else process.env.STUDY_CACHE = savedCache;
    rmSync(dataRoot, { recursive: true, force: true });
    rmSync(cache, { recursive: true, force: true });
  });

  test('2 folds, 2 epochs, 32x64: identical fold results; worker lines are prefixed; ' +
    'a second call reuses the stored runs', async () => {
    const quiet = () => {};
    const [here, there] = [temporaryFolder('results-'), temporaryFolder('results-')];
    try {
      const inProcess = await runBaseline(manifest, profile,
        { workers: 1, log: quiet, resultsRoot: here });
      const lines: string[] = [];
      const inWorkers = await runBaseline(manifest, profile,
        { workers: 2, log: (line) => lines.push(line), resultsRoot: there });

      assert.equal(inProcess.length, 2);
      assert.deepEqual(inWorkers.map(measured), inProcess.map(measured));
      for (const fold of [1, 2]) {
        assert.ok(lines.some((line) => line.startsWith(`[fold ${fold}] epoch 2/2`)),
          `an epoch line of fold ${fold}, prefixed`);
      }

      const again: string[] = [];
      const reused = await runBaseline(manifest, profile,
        { workers: 2, log: (line) => again.push(line), resultsRoot: here });
      assert.ok(reused.every((fold) => fold.reused));
      assert.deepEqual(reused.map(measured), inProcess.map(measured));
      assert.ok(again.includes('all 2 runs reused; nothing to train'), again.join('\n'));
    } finally {
      for (const folder of [here, there]) rmSync(folder, { recursive: true, force: true });
    }
  });
});

/** A fold result without what differs between equal runs: wall times and the reuse flag. */
function measured(fold: FoldResult): unknown {
  const { seconds: _seconds, reused: _reused, history, ...rest } = fold;
  return { ...rest, history: history.map(({ msPerStep: _ms, ...epoch }) => epoch) };
}
