import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import * as tf from '@tensorflow/tfjs';

import { chooseBackend } from '../lib/compute/backend.js';

// These tests assume the machine they were written on: no @tensorflow/tfjs-node-gpu installed.
const savedEnv = process.env.STUDY_BACKEND;
before(() => {
  delete process.env.STUDY_BACKEND;
});
after(() => {
  if (savedEnv === undefined) delete process.env.STUDY_BACKEND;
  else process.env.STUDY_BACKEND = savedEnv;
});

describe('chooseBackend', () => {
  test('auto picks wasm here, saying the CUDA backend package is missing', async (t) => {
    const log = t.mock.method(console, 'log', () => undefined);
    const choice = await chooseBackend();
    assert.equal(choice.name, 'wasm');
    assert.equal(tf.getBackend(), 'wasm');
    assert.match(choice.reason, /@tensorflow\/tfjs-node-gpu is not installed/);
    assert.match(choice.reason, /CUDA backend unavailable/);
    assert.equal(log.mock.callCount(), 1);
    assert.match(String(log.mock.calls[0].arguments[0]), /^backend: wasm \(auto: /);
  });

  test('a second identical call returns the same choice and prints nothing', async (t) => {
    const first = await chooseBackend({ requested: 'auto' });
    const log = t.mock.method(console, 'log', () => undefined);
    const second = await chooseBackend({ requested: 'auto' });
    assert.deepEqual(second, first);
    assert.equal(log.mock.callCount(), 0);
  });

  test('the wasm backend it starts can train a conv layer (Conv2DBackpropFilter exists)',
    async (t) => {
      t.mock.method(console, 'log', () => undefined);
      await chooseBackend({ requested: 'wasm' });
      const gradient = tf.tidy(() => {
        const x = tf.ones([1, 3, 3, 1]) as tf.Tensor4D;
        return tf.grad((f: tf.Tensor) => tf.sum(tf.conv2d(x, f as tf.Tensor4D, 1, 'valid')))(
          tf.zeros([2, 2, 1, 1]));
      });
      // Each filter tap sees four ones of the 3x3 input.
      assert.deepEqual([...gradient.dataSync()], [4, 4, 4, 4]);
      gradient.dispose();
    });

  test('forcing cpu switches to cpu', async (t) => {
    t.mock.method(console, 'log', () => undefined);
    const choice = await chooseBackend({ requested: 'cpu' });
    assert.deepEqual(choice.name, 'cpu');
    assert.equal(tf.getBackend(), 'cpu');
    assert.match(choice.reason, /^requested/);
  });

  test("forcing 'tensorflow' (CUDA) throws naming @tensorflow/tfjs-node-gpu", async () => {
    const backendBefore = tf.getBackend();
    await assert.rejects(chooseBackend({ requested: 'tensorflow' }),
      /backend 'tensorflow' \(CUDA\) was requested but cannot run: @tensorflow\/tfjs-node-gpu/);
    assert.equal(tf.getBackend(), backendBefore, 'no silent switch');
  });

  const invalid: [string, string][] = [['gpu', 'gpu'], ['webgl', 'webgl'], ['cuda ', 'cuda ']];
  for (const [requested, shown] of invalid) {
    test(`an unknown name ('${requested}') throws listing the valid ones`, async () => {
      await assert.rejects(chooseBackend({ requested }), (error: Error) => {
        assert.match(error.message, new RegExp(`'${shown}'`));
        assert.match(error.message, /expected one of tensorflow, wasm, cpu, auto/);
        return true;
      });
    });
  }

  test('env STUDY_BACKEND is honoured, case-insensitively, and a request overrides it',
    async (t) => {
      t.mock.method(console, 'log', () => undefined);
      process.env.STUDY_BACKEND = 'CPU';
      assert.equal((await chooseBackend()).name, 'cpu');
      process.env.STUDY_BACKEND = 'wasm';
      assert.equal((await chooseBackend()).name, 'wasm');
      assert.equal((await chooseBackend({ requested: 'cpu' })).name, 'cpu');
      process.env.STUDY_BACKEND = 'tpu';
      await assert.rejects(chooseBackend(), /env STUDY_BACKEND is 'tpu'; expected one of/);
      process.env.STUDY_BACKEND = 'tensorflow';
      await assert.rejects(chooseBackend(), /@tensorflow\/tfjs-node-gpu is not installed/);
      delete process.env.STUDY_BACKEND;
    });
});
