import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import * as tf from '@tensorflow/tfjs';

import { chooseBackend } from '../lib/compute/backend.js';
import { loadProfile, type Profile } from '../lib/config/profiles.js';
import { parseResult } from '../lib/experiments/parallel.js';
import { readCheckpoint } from '../lib/training/checkpoint.js';
import { trainModel, type TrainingSample } from '../lib/training/train.js';
import { makeDataRoot, squareSample, temporaryFolder } from './data-synthetic.js';

const SIZE = 16;

function square(index: number): TrainingSample {
  return squareSample(index, SIZE);
}

const profile: Profile = { ...loadProfile('smoke'), height: SIZE, width: SIZE, depth: 2,
  baseFilters: 2, epochs: 4, batchSize: 2 };
const fresh = () => ({ train: Array.from({ length: 6 }, (_, i) => square(i)),
  validation: [square(6), square(7)] });

function weightsOf(model: tf.LayersModel): number[][] {
  return model.getWeights().map((weight) => Array.from(weight.dataSync()));
}

/** The history without wall times, which differ between equal runs. */
function historyOf(records: { epoch: number; loss: number; valIoU: number }[]): unknown {
  return records.map(({ epoch, loss, valIoU }) => ({ epoch, loss, valIoU }));
}

describe('checkpoints: an interrupted run ends as an uninterrupted one', () => {
  let folder = '';
  before(async () => {
    await chooseBackend({ requested: 'wasm' });
    folder = temporaryFolder('checkpoint-');
  });
  after(() => rmSync(folder, { recursive: true, force: true }));

  test('stopped after epoch 2 of 4 and resumed: same history, best epoch and weights; ' +
    'no tensor leaks', async () => {
    const tensors = tf.memory().numTensors;
    const whole = await trainModel({ ...fresh(), profile, seed: 5, progress: false });
    const expected = { weights: weightsOf(whole.model), history: historyOf(whole.history),
      best: whole.bestEpoch };
    whole.dispose();

    const checkpoint = join(folder, 'stop.bin');
    const stopAt = (line: string): void => {
      if (line.startsWith('epoch 2/4')) throw new Error('stopped on purpose');
    };
    await assert.rejects(trainModel({ ...fresh(), profile, seed: 5, progress: false,
      checkpoint, log: stopAt }), /stopped on purpose/);
    assert.equal(tf.memory().numTensors, tensors, 'the stopped run freed its tensors');
    const state = readCheckpoint(checkpoint, { seed: 5, epochs: 4, trainImages: 6,
      validationImages: 2 });
    assert.equal(state?.epoch, 2);
    if (state) {
      tf.dispose([...state.modelWeights, ...state.best.weights,
        ...state.optimizerWeights.map((w) => w.tensor)]);
    }

    const lines: string[] = [];
    const resumed = await trainModel({ ...fresh(), profile, seed: 5, progress: false,
      checkpoint, log: (line) => lines.push(line) });
    assert.ok(lines.some((line) => line.startsWith('resuming after epoch 2/4')), lines.join('\n'));
    assert.deepEqual(historyOf(resumed.history), expected.history);
    assert.equal(resumed.bestEpoch, expected.best);
    assert.deepEqual(weightsOf(resumed.model), expected.weights);
    resumed.dispose();
    assert.equal(tf.memory().numTensors, tensors, 'no tensor left behind');
  });

  test('a checkpoint of another run is refused with the differences named', async () => {
    const checkpoint = join(folder, 'other.bin');
    await trainModel({ ...fresh(), profile: { ...profile, epochs: 1 }, seed: 5,
      progress: false, checkpoint }).then((trained) => trained.dispose());
    await assert.rejects(trainModel({ ...fresh(), profile, seed: 6, progress: false,
      checkpoint }), (error: Error) => error.message.includes(checkpoint) &&
      /seed 5 there, 6 here; epochs 1 there, 4 here/.test(error.message));
  });

  test('a damaged checkpoint is refused, naming the file', () => {
    const checkpoint = join(folder, 'damaged.bin');
    writeFileSync(checkpoint, 'DCKP\u0001\u0000\u0000\u0000garbage');
    assert.throws(() => readCheckpoint(checkpoint, { seed: 1, epochs: 1, trainImages: 1,
      validationImages: 1 }), (error: Error) => error.message.includes(checkpoint));
  });

  test('a loss that becomes NaN stops the run, names epoch and step, keeps the last good ' +
    'checkpoint', async () => {
    const tensors = tf.memory().numTensors;
    const checkpoint = join(folder, 'nan.bin');
    const data = fresh();
    // After epoch 2, one training image turns to NaN, as a corrupt batch would.
    const poison = (line: string): void => {
      if (line.startsWith('epoch 2/4')) data.train.forEach((sample) => sample.image.fill(NaN));
    };
    await assert.rejects(trainModel({ ...data, profile, seed: 5, progress: false, checkpoint,
      log: poison }), (error: Error) => /the loss became NaN at epoch 3, step 1/.test(
      error.message) && error.message.includes(`checkpoint of epoch 2 is kept at ${checkpoint}`));
    assert.equal(tf.memory().numTensors, tensors, 'the stopped run freed its tensors');
    const state = readCheckpoint(checkpoint, { seed: 5, epochs: 4, trainImages: 6,
      validationImages: 2 });
    assert.equal(state?.epoch, 2, 'the checkpoint is the one of epoch 2, intact');
    const finite = state?.modelWeights.every((w) => Array.from(w.dataSync())
      .every(Number.isFinite));
    assert.ok(finite, 'its weights are finite');
    if (state) {
      tf.dispose([...state.modelWeights, ...state.best.weights,
        ...state.optimizerWeights.map((w) => w.tensor)]);
    }
  });

  test('30 consecutive runs in one process leave the tensor count as it was', async () => {
    const tensors = tf.memory().numTensors;
    for (let run = 0; run < 30; run++) {
      const trained = await trainModel({ ...fresh(), profile: { ...profile, epochs: 1 },
        seed: run, progress: false, checkpoint: join(folder, `soak-${run}.bin`) });
      await trained.predict([square(9).image]);
      trained.dispose();
      assert.equal(tf.memory().numTensors, tensors, `after run ${run + 1}`);
    }
  });
});

describe('a run killed by SIGKILL continues where it stopped', () => {
  let dataRoot = '';
  let results = '';
  let reference = '';
  const child = ['--import', 'tsx', 'test/train-child.ts'];
  const env: NodeJS.ProcessEnv = { ...process.env, STUDY_PROGRESS: 'lines' };
  before(async () => {
    dataRoot = await makeDataRoot(10, 4);
    results = temporaryFolder('results-killed-');
    reference = temporaryFolder('results-whole-');
    env.STUDY_CACHE = temporaryFolder('cache-');
  });
  after(() => {
    for (const path of [dataRoot, results, reference, env.STUDY_CACHE ?? '']) {
      rmSync(path, { recursive: true, force: true });
    }
  });

  /** result.json of the only run under a results folder, without wall times. */
  function storedResult(root: string): unknown {
    const [hash] = readdirSync(join(root, 'runs')).filter((name) => !name.startsWith('.'));
    const { result } = parseResult<{ result: Record<string, unknown> }>(
      readFileSync(join(root, 'runs', hash, 'result.json'), 'utf8'));
    const { seconds: _seconds, history, ...rest } = result;
    return { ...rest, history: historyOf(history as never) };
  }

  test('killed during epoch 4 of 6, restarted: it resumes after epoch 3 or later and ' +
    'stores the same result as an uninterrupted run', async () => {
    const whole = spawnSync(process.execPath, [...child, dataRoot, reference, '6'],
      { env, encoding: 'utf8' });
    assert.equal(whole.status, 0, whole.stderr);

    const killed = spawn(process.execPath, [...child, dataRoot, results, '6'], { env });
    let output = '';
    await new Promise<void>((resolve) => {
      killed.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (/epoch 3\/6/.test(output) && !killed.killed) killed.kill('SIGKILL');
      });
      killed.on('close', () => resolve());
    });
    assert.equal(killed.signalCode, 'SIGKILL', `the run was killed:\n${output}`);
    const runs = readdirSync(join(results, 'runs')).filter((name) => !name.startsWith('.'));
    assert.equal(runs.length, 1);
    assert.ok(!existsSync(join(results, 'runs', runs[0], 'result.json')), 'not finished');
    const leftovers = readdirSync(join(results, 'runs', runs[0]));
    assert.ok(leftovers.includes('checkpoint.bin'), leftovers.join(', '));

    const again = spawnSync(process.execPath, [...child, dataRoot, results, '6'],
      { env, encoding: 'utf8' });
    assert.equal(again.status, 0, again.stderr);
    const resumedAfter = Number(/resuming after epoch (\d)\/6/.exec(again.stdout)?.[1]);
    assert.ok(resumedAfter >= 3, again.stdout);
    assert.deepEqual(storedResult(results), storedResult(reference));
    assert.ok(!existsSync(join(results, 'runs', runs[0], 'checkpoint.bin')),
      'the checkpoint is removed once the result is stored');
  });

  test('a file size limit (as a full disk) stops the run with a clear error; nothing ' +
    'half-written is left', () => {
    const limited = temporaryFolder('results-full-');
    try {
      // 4 KiB: the first checkpoint does not fit. Node turns SIGXFSZ into an EFBIG error.
      const run = spawnSync('bash', ['-c', `ulimit -f 4; exec "${process.execPath}" ` +
        `${child.join(' ')} "${dataRoot}" "${limited}" 3`], { env, encoding: 'utf8' });
      assert.notEqual(run.status, 0);
      assert.match(run.stderr, /could not write the checkpoint of epoch 1 to .*checkpoint\.bin/);
      assert.match(run.stderr, /EFBIG/);
      const files = readdirSync(limited, { recursive: true }).map(String);
      assert.ok(!files.some((name) => name.endsWith('.tmp')), files.join(', '));
      assert.ok(!files.some((name) => name.endsWith('result.json')), files.join(', '));
    } finally {
      rmSync(limited, { recursive: true, force: true });
    }
  });

  test('a results folder that cannot be written is refused before training starts', () => {
    const blocker = join(temporaryFolder('blocked-'), 'a-file');
    writeFileSync(blocker, 'not a folder');
    const run = spawnSync(process.execPath, [...child, dataRoot, blocker, '3'],
      { env, encoding: 'utf8' });
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, new RegExp(`results folder ${blocker} cannot be written`));
    assert.doesNotMatch(run.stdout, /epoch 1\/3/, 'no epoch was trained');
  });
});
