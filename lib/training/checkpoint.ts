/**
 * The state of a training run after its last finished epoch, in one file, so that a run
 * killed at any moment continues from there and ends with the numbers of an uninterrupted run:
 * model weights (batch-norm statistics included), the optimizer's moments and step count, the
 * best epoch's weights, the history, and the positions of the batch-order and augmentation
 * random streams.
 *
 * File layout: 'DCKP', format version (uint32 LE), header length (uint32 LE), the header as
 * JSON (UTF-8), then the tensors' bytes as tf.io.encodeWeights lays them out. Written with
 * writeFileAtomic: a reader sees the previous checkpoint or the new one, never a mix.
 */
import { existsSync, readFileSync } from 'node:fs';

import * as tf from '@tensorflow/tfjs';

import { writeFileAtomic } from '../util/atomic.js';
import type { EpochRecord } from './train.js';

const MAGIC = 'DCKP';
const FORMAT_VERSION = 1;

/** A tensor with a name, as optimizers' getWeights and setWeights take them. */
export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

/** What identifies the run a checkpoint belongs to; a mismatch refuses to resume. */
export interface CheckpointIdentity {
  seed: number;
  epochs: number;
  trainImages: number;
  validationImages: number;
}

/** Training state after `epoch` finished epochs. */
export interface CheckpointState {
  identity: CheckpointIdentity;
  /** Finished epochs, 1-based count. */
  epoch: number;
  history: EpochRecord[];
  best: { epoch: number; valIoU: number; weights: tf.Tensor[] };
  modelWeights: tf.Tensor[];
  optimizerWeights: NamedTensor[];
  orderPosition: number;
  augmentPosition: number;
}

interface Header {
  identity: CheckpointIdentity;
  epoch: number;
  history: EpochRecord[];
  bestEpoch: number;
  bestValIoU: number | null;
  orderPosition: number;
  augmentPosition: number;
  /** How many of the encoded tensors are model weights, best weights, optimizer weights. */
  counts: { model: number; best: number; optimizer: number };
  specs: tf.io.WeightsManifestEntry[];
}

/**
 * Writes the checkpoint atomically.
 * @param path the checkpoint file.
 * @param state the state after `state.epoch` epochs (tensors are read, not disposed).
 * @throws Error naming the file and the cause (for example a full disk); the previous
 *   checkpoint, if any, is left as it was.
 * @example await writeCheckpoint('results/runs/ab12/checkpoint.bin', state)
 */
export async function writeCheckpoint(path: string, state: CheckpointState): Promise<void> {
  const named: tf.NamedTensorMap = {};
  state.modelWeights.forEach((tensor, i) => { named[`model/${i}`] = tensor; });
  state.best.weights.forEach((tensor, i) => { named[`best/${i}`] = tensor; });
  state.optimizerWeights.forEach((entry, i) => { named[`optimizer/${i}`] = entry.tensor; });
  const encoded = await tf.io.encodeWeights(named);
  const header: Header = {
    identity: state.identity, epoch: state.epoch, history: state.history,
    bestEpoch: state.best.epoch,
    bestValIoU: Number.isFinite(state.best.valIoU) ? state.best.valIoU : null,
    orderPosition: state.orderPosition, augmentPosition: state.augmentPosition,
    counts: { model: state.modelWeights.length, best: state.best.weights.length,
      optimizer: state.optimizerWeights.length },
    specs: encoded.specs,
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(12);
  prefix.write(MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(FORMAT_VERSION, 4);
  prefix.writeUInt32LE(json.length, 8);
  try {
    writeFileAtomic(path, Buffer.concat([prefix, json, Buffer.from(encoded.data)]));
  } catch (error) {
    throw new Error(`lib/training/checkpoint.ts: could not write the checkpoint of epoch ` +
      `${state.epoch} to ${path}: ${(error as Error).message}. The previous checkpoint is ` +
      'unchanged; free disk space or point STUDY_RESULTS to a writable folder and run again ' +
      'to resume.');
  }
}

/**
 * Reads a checkpoint written by writeCheckpoint.
 * @param path the checkpoint file.
 * @param identity the run about to train; the checkpoint must be of the same run.
 * @returns the state (the caller owns and disposes its tensors), or undefined when there is
 *   no file.
 * @throws Error naming the file when it is damaged, of another format or of another run.
 * @example const state = readCheckpoint(path, { seed, epochs, trainImages, validationImages })
 */
export function readCheckpoint(
  path: string, identity: CheckpointIdentity,
): CheckpointState | undefined {
  if (!existsSync(path)) return undefined;
  const bytes = readFileSync(path);
  const fail = (problem: string): never => {
    throw new Error(`lib/training/checkpoint.ts: ${path} ${problem}; delete it to train the ` +
      'run from the start');
  };
  if (bytes.length < 12 || bytes.toString('latin1', 0, 4) !== MAGIC) fail('is not a checkpoint');
  if (bytes.readUInt32LE(4) !== FORMAT_VERSION) fail('is of another format version');
  const headerEnd = 12 + bytes.readUInt32LE(8);
  let header: Header;
  try {
    header = JSON.parse(bytes.toString('utf8', 12, headerEnd)) as Header;
  } catch {
    return fail('has a damaged header');
  }
  const mismatch = (Object.keys(identity) as (keyof CheckpointIdentity)[])
    .filter((key) => header.identity?.[key] !== identity[key]);
  if (mismatch.length > 0) {
    fail(`belongs to another run (${mismatch.map((key) =>
      `${key} ${header.identity?.[key]} there, ${identity[key]} here`).join('; ')})`);
  }
  const data = bytes.subarray(headerEnd);
  const expected = header.specs.reduce((sum, spec) =>
    sum + spec.shape.reduce((n, size) => n * size, 1) * 4, 0);
  if (data.length !== expected) fail(`holds ${data.length} bytes of weights, expected ${expected}`);
  const tensors = tf.io.decodeWeights(
    data.buffer.slice(data.byteOffset, data.byteOffset + data.length), header.specs);
  const list = (group: string, count: number): tf.Tensor[] =>
    Array.from({ length: count }, (_, i) => tensors[`${group}/${i}`]);
  const optimizer = list('optimizer', header.counts.optimizer);
  return {
    identity: header.identity,
    epoch: header.epoch,
    // JSON has no NaN: an epoch whose IoU was 0/0 comes back as null.
    history: header.history.map((record) => ({ ...record, valIoU: record.valIoU ?? NaN })),
    best: { epoch: header.bestEpoch, valIoU: header.bestValIoU ?? NaN,
      weights: list('best', header.counts.best) },
    modelWeights: list('model', header.counts.model),
    // Adam matches its moments to variables by position, so the names do not matter.
    optimizerWeights: optimizer.map((tensor, i) => ({ name: `optimizer/${i}`, tensor })),
    orderPosition: header.orderPosition,
    augmentPosition: header.augmentPosition,
  };
}
