import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { buildEfficientUnet } from '../lib/model/efficientnet.js';
import { buildUnet } from '../lib/model/unet.js';
import {
  folderIO, loadModel, loadWeightsInto, MODEL_FILE, saveModel, WEIGHTS_FILE,
} from '../lib/model/weights.js';

let tensorsBefore = 0;
before(async () => {
  await tf.setBackend('cpu');
  tensorsBefore = tf.memory().numTensors;
});
after(() => assert.equal(tf.memory().numTensors, tensorsBefore, 'tensors leaked'));

let root = '';
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'weights-test-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const models: tf.LayersModel[] = [];
/** Keeps the model for disposal after the test, whatever the test's outcome. */
function track(model: tf.LayersModel): tf.LayersModel {
  models.push(model);
  return model;
}
afterEach(() => models.splice(0).forEach((model) => model.dispose()));

function unet(depth: number, seed: number): tf.LayersModel {
  return track(buildUnet({ height: 8, width: 8, baseFilters: 2, depth, seed }));
}

/** The model's output bytes on a fixed input, for bitwise comparison. */
function outputBytes(model: tf.LayersModel, height: number, width: number): Buffer {
  const values = tf.tidy(() => {
    const input = tf.randomUniform([2, height, width, 1], 0, 1, 'float32', 42);
    return (model.predict(input) as tf.Tensor).dataSync() as Float32Array;
  });
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
}

function weightsOf(model: tf.LayersModel, layer: string): number[][] {
  return model.getLayer(layer).getWeights().map((weight) => Array.from(weight.dataSync()));
}

describe('saveModel / loadModel', () => {
  test('round trip of a U-Net: files written, predictions equal bitwise', async () => {
    const model = unet(2, 1);
    const folder = join(root, 'runs', 'fold1');
    await saveModel(model, folder);
    assert.deepEqual(readdirSync(folder).sort(), [MODEL_FILE, WEIGHTS_FILE]);
    // 1,883 parameters (counted in unet.test.ts), float32.
    assert.equal(readFileSync(join(folder, WEIGHTS_FILE)).byteLength, 1883 * 4);

    const loaded = track(await loadModel(folder));
    assert.ok(outputBytes(loaded, 8, 8).equals(outputBytes(model, 8, 8)));
  });

  test('round trip of an EfficientNet U-Net: swish, squeeze-excite, BN statistics', async () => {
    const model = track(buildEfficientUnet({ height: 32, width: 32, variant: 'b0', seed: 2,
      decoderFilters: [8, 8, 8, 8, 8] }));
    // Non-default moving statistics, so a BN layer that lost them would show.
    const bn = model.getLayer('block2a_bn');
    // getWeights hands out the variables' own tensors: only the new ones are disposed.
    const [gamma, beta, mean, variance] = bn.getWeights();
    const shifted = tf.tidy(() => [tf.add(mean, 0.5), tf.mul(variance, 2)]);
    bn.setWeights([gamma, beta, ...shifted]);
    tf.dispose(shifted);
    const folder = join(root, 'b0');
    await saveModel(model, folder);

    const loaded = track(await loadModel(folder));
    assert.equal(loaded.countParams(), model.countParams());
    assert.deepEqual(weightsOf(loaded, 'block2a_bn'), weightsOf(model, 'block2a_bn'));
    assert.ok(outputBytes(loaded, 32, 32).equals(outputBytes(model, 32, 32)));
  });

  test('a second save replaces the folder and leaves no temporary sibling', async () => {
    const folder = join(root, 'model');
    await saveModel(unet(1, 1), folder);
    const second = unet(1, 2);
    await saveModel(second, folder);
    assert.deepEqual(readdirSync(root), ['model']);
    const loaded = track(await loadModel(folder));
    assert.ok(outputBytes(loaded, 8, 8).equals(outputBytes(second, 8, 8)));
  });

  test('a failed save under a regular file names the folder and leaves nothing', async () => {
    writeFileSync(join(root, 'file.txt'), 'not a folder');
    await assert.rejects(saveModel(unet(1, 1), join(root, 'file.txt', 'model')),
      /saveModel: could not write .*file\.txt\/model: E(NOTDIR|EXIST)/);
    assert.deepEqual(readdirSync(root), ['file.txt']);
  });

  test('a save failing after weights.bin keeps the old folder and no temporary', async () => {
    const folder = join(root, 'model');
    const first = unet(1, 1);
    await saveModel(first, folder);
    // A BigInt cannot be written as JSON: model.json fails after weights.bin was written.
    const broken = { modelTopology: { size: 1n }, weightSpecs: [], weightData: new ArrayBuffer(0) };
    const save = folderIO(folder).save;
    assert.ok(save !== undefined);
    await assert.rejects(save(broken),
      /could not write .*model: Do not know how to serialize a BigInt/);
    assert.deepEqual(readdirSync(root), ['model']);
    const loaded = track(await loadModel(folder));
    assert.ok(outputBytes(loaded, 8, 8).equals(outputBytes(first, 8, 8)));
  });

  test('a regular file in place of the folder is refused, not replaced', async () => {
    writeFileSync(join(root, 'model'), 'keep me');
    await assert.rejects(saveModel(unet(1, 1), join(root, 'model')),
      /model exists and is not a folder/);
    assert.equal(readFileSync(join(root, 'model'), 'utf8'), 'keep me');
  });
});

describe('corrupt or missing files', () => {
  /** Saves a model, lets `damage` break the folder, returns the folder. */
  async function damaged(damage: (folder: string) => void): Promise<string> {
    const folder = join(root, 'model');
    await saveModel(unet(1, 1), folder);
    damage(folder);
    return folder;
  }
  const cases: [string, (folder: string) => void, RegExp][] = [
    ['folder missing', (folder) => rmSync(folder, { recursive: true }),
      /model folder .*model does not exist/],
    ['model.json missing', (folder) => rmSync(join(folder, MODEL_FILE)),
      /cannot read .*model\/model\.json: ENOENT/],
    ['weights.bin missing', (folder) => rmSync(join(folder, WEIGHTS_FILE)),
      /cannot read .*model\/weights\.bin: ENOENT/],
    ['model.json not JSON', (folder) => writeFileSync(join(folder, MODEL_FILE), '{"modelTop'),
      /model\/model\.json is not valid JSON/],
    ['model.json without modelTopology',
      (folder) => writeFileSync(join(folder, MODEL_FILE), '{"weightsManifest": []}'),
      /model\/model\.json has no modelTopology object/],
    ['model.json without weightsManifest',
      (folder) => writeFileSync(join(folder, MODEL_FILE), '{"modelTopology": {}}'),
      /model\/model\.json weightsManifest is missing or malformed/],
    ['weights.bin truncated', (folder) => {
      const bytes = readFileSync(join(folder, WEIGHTS_FILE));
      writeFileSync(join(folder, WEIGHTS_FILE), bytes.subarray(0, bytes.length - 4));
    }, /model\/weights\.bin has 1720 bytes; .*model\.json weightsManifest expects 1724/],
  ];
  for (const [name, damage, message] of cases) {
    test(`loadModel: ${name}`, async () => {
      const folder = await damaged(damage);
      await assert.rejects(loadModel(folder), message);
    });
    test(`loadWeightsInto: ${name}`, async () => {
      const folder = await damaged(damage);
      await assert.rejects(loadWeightsInto(unet(1, 2), folder), message);
    });
  }

  test('loadModel: a topology tfjs cannot rebuild names model.json', async () => {
    const folder = await damaged((path) => {
      const json = JSON.parse(readFileSync(join(path, MODEL_FILE), 'utf8'));
      json.modelTopology.config.layers[1].class_name = 'NoSuchLayer';
      writeFileSync(join(path, MODEL_FILE), JSON.stringify(json));
    });
    await assert.rejects(loadModel(folder),
      /loadModel: .*model\/model\.json: modelTopology .* does not rebuild a model: .*NoSuchLayer/);
  });
});

describe('loadWeightsInto', () => {
  // Depth 1 (file) against depth 2 (model), base 2: down0 and the up0 path have the same
  // shapes in both; the bottleneck is 2 -> 4 in one and 4 -> 8 in the other; down1 / up1
  // exist only in the model.
  const sameShapes = ['down0_conv1', 'down0_conv2', 'up0_upconv', 'up0_conv1', 'up0_conv2',
    'lesion_probability'];

  test('mismatched shapes throw by default and change nothing', async () => {
    const folder = join(root, 'depth1');
    await saveModel(unet(1, 1), folder);
    const model = unet(2, 2);
    const initial = weightsOf(model, 'down0_conv1');
    await assert.rejects(loadWeightsInto(model, folder),
      new RegExp('depth1/weights\\.bin: layer bottleneck_conv1: bottleneck_conv1/kernel is ' +
        'float32 \\[3,3,2,4\\] in the file, float32 \\[3,3,4,8\\] in the model; ' +
        'pass \\{ skipMismatched: true \\}'));
    assert.deepEqual(weightsOf(model, 'down0_conv1'), initial);
  });

  test('skipMismatched: copies layers of equal shape, reports the rest', async () => {
    const folder = join(root, 'depth1');
    const source = unet(1, 1);
    await saveModel(source, folder);
    const model = unet(2, 2);
    const untouched = weightsOf(model, 'bottleneck_conv1');

    const report = await loadWeightsInto(model, folder, { skipMismatched: true });
    assert.deepEqual(report.loaded.slice().sort(), sameShapes.slice().sort());
    assert.deepEqual(report.skipped, [
      { layer: 'down1_conv1', reason: 'down1_conv1/kernel is not in the file' },
      { layer: 'down1_conv2', reason: 'down1_conv2/kernel is not in the file' },
      { layer: 'bottleneck_conv1', reason: 'bottleneck_conv1/kernel is float32 [3,3,2,4] in ' +
        'the file, float32 [3,3,4,8] in the model' },
      { layer: 'bottleneck_conv2', reason: 'bottleneck_conv2/kernel is float32 [3,3,4,4] in ' +
        'the file, float32 [3,3,8,8] in the model' },
      { layer: 'up1_upconv', reason: 'up1_upconv/kernel is not in the file' },
      { layer: 'up1_conv1', reason: 'up1_conv1/kernel is not in the file' },
      { layer: 'up1_conv2', reason: 'up1_conv2/kernel is not in the file' },
    ]);
    assert.deepEqual(report.unused, []);
    for (const layer of sameShapes) {
      assert.deepEqual(weightsOf(model, layer), weightsOf(source, layer));
    }
    assert.deepEqual(weightsOf(model, 'bottleneck_conv1'), untouched);
  });

  test('layers of the file that the model lacks are reported as unused', async () => {
    const folder = join(root, 'depth2');
    await saveModel(unet(2, 1), folder);
    const report = await loadWeightsInto(unet(1, 2), folder, { skipMismatched: true });
    assert.deepEqual(report.unused,
      ['down1_conv1', 'down1_conv2', 'up1_upconv', 'up1_conv1', 'up1_conv2']);
    assert.deepEqual(report.skipped.map((entry) => entry.layer),
      ['bottleneck_conv1', 'bottleneck_conv2']);
  });

  test('the same architecture loads completely and predicts identically', async () => {
    const folder = join(root, 'same');
    const source = unet(2, 1);
    await saveModel(source, folder);
    const model = unet(2, 9);
    const report = await loadWeightsInto(model, folder);
    assert.equal(report.loaded.length, 13);
    assert.deepEqual(report.skipped, []);
    assert.ok(outputBytes(model, 8, 8).equals(outputBytes(source, 8, 8)));
  });

  test('an empty parent folder is created on save', async () => {
    const folder = join(root, 'a', 'b', 'c');
    mkdirSync(join(root, 'a'));
    await saveModel(unet(1, 1), folder);
    assert.deepEqual(readdirSync(join(root, 'a', 'b')), ['c']);
  });
});
