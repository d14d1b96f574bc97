/**
 * A trained network on disk: topology and weights in one folder (`model.json` +
 * `weights.bin`, the layout tfjs-node's file:// handler writes), without tfjs-node. Also
 * the study's initialisation from an earlier caries model: weights copied by layer name.
 */

import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync,
  writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';

export const MODEL_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.bin';

const WHERE = 'lib/model/weights.ts';
const BYTES_PER_VALUE: Record<string, number> = {
  float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2,
};

/**
 * A tf.io handler for one folder: `save` writes model.json and weights.bin atomically (see
 * `saveModel`), `load` reads and checks them.
 * @param folder the model's folder; its parent is created on save.
 * @returns the handler, for `model.save(folderIO(folder))` or `tf.loadLayersModel`.
 * @example await model.save(folderIO('runs/fold1/model'))
 */
export function folderIO(folder: string): tf.io.IOHandler {
  return {
    save: async (artifacts) => {
      writeFolderAtomic(folder, artifacts);
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
    load: async () => readArtifacts(folder, 'load'),
  };
}

/**
 * Saves topology and weights (all of them, batch-norm statistics included) to `folder`.
 * Both files are written to a temporary sibling folder first, which then takes the place
 * of `folder`: an existing folder is replaced only by a complete new one.
 * NOTE: between moving the old folder aside and the new one in, `folder` briefly does not
 * exist (POSIX cannot rename a folder over a non-empty one); a crash there leaves the old
 * one as `.<name>.old-*` next to it.
 * @param model the network to save.
 * @param folder target folder; its parent is created when missing.
 * @throws Error naming the folder and the cause when writing fails (no temporary folder is
 *   left) or when `folder` exists and is not a folder.
 * @example await saveModel(trained.model, 'runs/fold1/model')
 */
export async function saveModel(model: tf.LayersModel, folder: string): Promise<void> {
  await model.save(folderIO(folder));
}

/**
 * Rebuilds a model saved by `saveModel` (or tfjs-node's file:// handler).
 * @param folder the folder holding model.json and weights.bin.
 * @returns the model with its saved weights, uncompiled.
 * @throws Error naming the file and what is wrong: folder or file missing, model.json not
 *   JSON or lacking modelTopology / weightsManifest, weights.bin of the wrong size, a
 *   topology tfjs cannot rebuild.
 * @example const model = await loadModel('runs/fold1/model')
 */
export async function loadModel(folder: string): Promise<tf.LayersModel> {
  const artifacts = readArtifacts(folder, 'loadModel');
  try {
    return await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (error) {
    throw new Error(`${WHERE} loadModel: ${join(folder, MODEL_FILE)}: modelTopology or ` +
      `weightsManifest does not rebuild a model: ${(error as Error).message}`);
  }
}

/** Which layers `loadWeightsInto` set, which it left as they were and why. */
export interface WeightsReport {
  /** Model layers whose every weight was copied from the file. */
  loaded: string[];
  /** Model layers left unchanged: not in the file, or (skipMismatched) of another shape. */
  skipped: { layer: string; reason: string }[];
  /** Layers in the file that the model does not have. */
  unused: string[];
}

/**
 * Initialises `model` from a saved one by layer name, as the study started from an earlier
 * caries model: a layer is copied when every one of its weights is in the file with the
 * same shape; layers the file lacks keep their initial weights (as Keras' by_name loading).
 * @param model the model to initialise; its weights are overwritten in place.
 * @param folder a folder written by `saveModel`.
 * @param options skipMismatched: leave a layer whose shapes differ unchanged instead of
 *   throwing (default false).
 * @returns loaded, skipped (with reasons) and unused layer names.
 * @throws the file errors of `loadModel`; Error naming the layer, weight and both shapes
 *   when a shape differs and skipMismatched is false (then no weight is changed).
 * @example const report = await loadWeightsInto(model, 'runs/caries-v1', { skipMismatched: true })
 */
export async function loadWeightsInto(
  model: tf.LayersModel, folder: string, options: { skipMismatched?: boolean } = {},
): Promise<WeightsReport> {
  const artifacts = readArtifacts(folder, 'loadWeightsInto');
  const saved = tf.io.decodeWeights(artifacts.weightData as ArrayBuffer,
    artifacts.weightSpecs as tf.io.WeightsManifestEntry[]);
  try {
    const report: WeightsReport = { loaded: [], skipped: [], unused: [] };
    const updates: { layer: tf.layers.Layer; values: tf.Tensor[] }[] = [];
    const used = new Set<string>();
    for (const layer of model.layers) {
      if (layer.weights.length === 0) continue;
      const problem = layer.weights.map((weight) => {
        const value = saved[weight.originalName];
        if (value === undefined) return `${weight.originalName} is not in the file`;
        const sameShape = value.shape.length === weight.shape.length &&
          value.shape.every((size, axis) => size === weight.shape[axis]);
        if (value.dtype === weight.dtype && sameShape) return undefined;
        const reason = `${weight.originalName} is ${value.dtype} [${value.shape}] in the ` +
          `file, ${weight.dtype} [${weight.shape}] in the model`;
        if (!options.skipMismatched) {
          throw new Error(`${WHERE} loadWeightsInto: ${join(folder, WEIGHTS_FILE)}: layer ` +
            `${layer.name}: ${reason}; pass { skipMismatched: true } to leave it unchanged.`);
        }
        return reason;
      }).find((reason) => reason !== undefined);
      layer.weights.forEach((weight) => used.add(weight.originalName));
      if (problem === undefined) {
        updates.push({ layer, values: layer.weights.map((weight) => saved[weight.originalName]) });
        report.loaded.push(layer.name);
      } else {
        report.skipped.push({ layer: layer.name, reason: problem });
      }
    }
    // Only after every layer passed, so a refused load leaves the model as it was.
    for (const { layer, values } of updates) layer.setWeights(values);
    const unusedLayers = Object.keys(saved).filter((name) => !used.has(name))
      .map((name) => name.slice(0, Math.max(0, name.lastIndexOf('/'))) || name);
    report.unused = [...new Set(unusedLayers)];
    return report;
  } finally {
    tf.dispose(Object.values(saved));
  }
}

/** Writes both files into a temporary sibling, then moves it into place. */
function writeFolderAtomic(folder: string, artifacts: tf.io.ModelArtifacts): void {
  const where = `${WHERE} saveModel`;
  const target = resolve(folder);
  if (existsSync(target) && !statSync(target).isDirectory()) {
    throw new Error(`${where}: ${folder} exists and is not a folder; expected a folder or ` +
      'nothing there.');
  }
  const stamp = `${process.pid}-${Date.now()}`;
  const temporary = join(dirname(target), `.${basename(target)}.tmp-${stamp}`);
  const previous = join(dirname(target), `.${basename(target)}.old-${stamp}`);
  let created = false;
  try {
    mkdirSync(dirname(target), { recursive: true });
    mkdirSync(temporary);
    created = true;
    const weights = tf.io.CompositeArrayBuffer.join(artifacts.weightData ?? []);
    // weights.bin first: model.json, the file a reader opens first, is written last.
    writeFileSync(join(temporary, WEIGHTS_FILE), new Uint8Array(weights));
    writeFileSync(join(temporary, MODEL_FILE), modelJson(artifacts));
    const replacing = existsSync(target);
    if (replacing) renameSync(target, previous);
    try {
      renameSync(temporary, target);
    } catch (error) {
      if (replacing) renameSync(previous, target);
      throw error;
    }
    created = false;
    if (replacing) rmSync(previous, { recursive: true, force: true });
  } catch (error) {
    if (created) rmSync(temporary, { recursive: true, force: true });
    throw new Error(`${where}: could not write ${folder}: ${(error as Error).message}`);
  }
}

function modelJson(artifacts: tf.io.ModelArtifacts): string {
  if (artifacts.modelTopology instanceof ArrayBuffer) {
    throw new Error('modelTopology is binary (a graph model); expected a layers model');
  }
  const json: tf.io.ModelJSON = {
    modelTopology: artifacts.modelTopology ?? {},
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy,
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
  };
  if (artifacts.trainingConfig !== undefined) json.trainingConfig = artifacts.trainingConfig;
  if (artifacts.userDefinedMetadata !== undefined) {
    json.userDefinedMetadata = artifacts.userDefinedMetadata;
  }
  return JSON.stringify(json);
}

/** Reads model.json and its weight files, checking what a load would trip over later. */
function readArtifacts(folder: string, caller: string): tf.io.ModelArtifacts {
  const where = `${WHERE} ${caller}`;
  if (!existsSync(folder) || !statSync(folder).isDirectory()) {
    throw new Error(`${where}: model folder ${folder} does not exist; expected a folder ` +
      `written by saveModel with ${MODEL_FILE} and ${WEIGHTS_FILE}.`);
  }
  const modelPath = join(folder, MODEL_FILE);
  const json = parseModelJson(readFile(modelPath, where), modelPath, where);

  const specs = json.weightsManifest.flatMap((group) => group.weights);
  const buffers = json.weightsManifest.flatMap((group) => group.paths)
    .map((path) => readFile(join(folder, path), where));
  const bytes = buffers.reduce((sum, buffer) => sum + buffer.byteLength, 0);
  const expected = specs.reduce((sum, spec) => sum + byteLength(spec, modelPath, where), 0);
  if (bytes !== expected) {
    const files = json.weightsManifest.flatMap((group) => group.paths)
      .map((path) => join(folder, path)).join(' + ');
    throw new Error(`${where}: ${files} has ${bytes} bytes; ${modelPath} ` +
      `weightsManifest expects ${expected} (file truncated or from another model).`);
  }
  const weightData = tf.io.CompositeArrayBuffer.join(buffers.map((buffer) =>
    new Uint8Array(buffer).buffer));
  return {
    modelTopology: json.modelTopology, weightSpecs: specs, weightData,
    format: json.format, generatedBy: json.generatedBy, convertedBy: json.convertedBy,
    trainingConfig: json.trainingConfig, userDefinedMetadata: json.userDefinedMetadata,
  };
}

function readFile(path: string, where: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new Error(`${where}: cannot read ${path}: ${(error as Error).message}`);
  }
}

function parseModelJson(text: Buffer, path: string, where: string): tf.io.ModelJSON {
  let json: unknown;
  try {
    json = JSON.parse(text.toString('utf8'));
  } catch (error) {
    throw new Error(`${where}: ${path} is not valid JSON: ${(error as Error).message}`);
  }
  const record = json as Partial<tf.io.ModelJSON> | null;
  if (typeof record !== 'object' || record === null || typeof record.modelTopology !== 'object'
    || record.modelTopology === null) {
    throw new Error(`${where}: ${path} has no modelTopology object; expected a tfjs ` +
      'layers model.json.');
  }
  const manifest = record.weightsManifest;
  const valid = Array.isArray(manifest) && manifest.every((group) =>
    Array.isArray(group?.paths) && Array.isArray(group?.weights) &&
    group.paths.every((file) => typeof file === 'string' && basename(file) === file));
  if (!valid) {
    throw new Error(`${where}: ${path} weightsManifest is missing or malformed; expected ` +
      '[{ paths: [file names in the same folder], weights: [{ name, shape, dtype }] }].');
  }
  return record as tf.io.ModelJSON;
}

function byteLength(spec: tf.io.WeightsManifestEntry, path: string, where: string): number {
  const dtype = spec.quantization?.dtype ?? spec.dtype;
  const size = BYTES_PER_VALUE[dtype];
  if (size === undefined || !Array.isArray(spec.shape)) {
    throw new Error(`${where}: ${path} weight ${spec.name} has dtype ${dtype}, shape ` +
      `${JSON.stringify(spec.shape)}; expected a numeric dtype and a shape array.`);
  }
  return spec.shape.reduce((product, dimension) => product * dimension, 1) * size;
}
