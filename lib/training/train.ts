/**
 * Trains one U-Net on one fold: Adam, shuffled mini-batches, optional geometric
 * augmentation, and the weights of the epoch with the best validation mean IoU kept.
 */

import * as tf from '@tensorflow/tfjs';
import type { Profile } from '../config/profiles.js';
import { binarize, confusionCounts } from '../evaluation/confusion.js';
import { reduceScores } from '../evaluation/metrics.js';
import { buildModel, modelSpecOf } from '../model/build.js';
import { loadWeightsInto } from '../model/weights.js';
import { randomStream, shuffled } from '../util/random.js';
import { readCheckpoint, writeCheckpoint } from './checkpoint.js';
import { augmentBatch } from './augment.js';
import { lossFor } from './losses.js';
import { createProgress } from './progress.js';

/** One training image at the profile's size, row-major. */
export interface TrainingSample {
  /** height * width grey values in [0, 1]. */
  image: Float32Array;
  /** height * width lesion labels, 0 or 1. */
  mask: Uint8Array;
}

export interface EpochRecord {
  /** 1-based. */
  epoch: number;
  /** Mean training loss over the epoch's images. */
  loss: number;
  /** Validation mean of per-image IoU at cutoff 0.5; 0/0 images skipped. */
  valIoU: number;
  msPerStep: number;
}

export interface TrainedModel {
  /** Holds the weights of `bestEpoch`. */
  model: tf.LayersModel;
  /** 1-based epoch with the highest validation mean IoU; the earlier one on ties. */
  bestEpoch: number;
  history: EpochRecord[];
  /** Lesion probabilities, height * width per image, computed in batches of batchSize. */
  predict(images: Float32Array[]): Promise<Float32Array[]>;
  /** Frees the model's weights (a second call does nothing); predict fails afterwards. */
  dispose(): void;
}

export interface TrainOptions {
  train: TrainingSample[];
  validation: TrainingSample[];
  profile: Profile;
  /** Seeds initial weights, batch order and augmentation. */
  seed: number;
  /** Receives the start line, one line per epoch and the end line; stdout by default. */
  log?: (line: string) => void;
  /** Progress bar and default logging on stdout; false silences both. Default true. */
  progress?: boolean;
  /**
   * A checkpoint file (checkpoint.ts): written after every epoch, and when it exists at the
   * start, training resumes after its epoch with the same result as an uninterrupted run.
   */
  checkpoint?: string;
  /** Called after every training step (a worker reports it to the parent's board). */
  onStep?: (epoch: number, epochs: number, step: number, steps: number) => void;
}

/** Pixels with probability >= this count as lesion when validating. */
export const VALIDATION_CUTOFF = 0.5;

/**
 * Trains a U-Net with a custom loop (not model.fit), so that progress and the best epoch
 * are under our control.
 * @param options training and validation samples, profile, seed, log and progress.
 * @returns the model at its best epoch, the per-epoch history, predict and dispose.
 * @throws Error naming the field (train / validation, index) when a set is empty or a
 *   sample has the wrong length or a mask value other than 0/1; naming profile.epochs,
 *   batchSize or learningRate when one is not a positive number; when the loss becomes NaN
 *   or infinite (naming epoch and step; the checkpoint of the last good epoch is kept); from
 *   reading or writing the checkpoint.
 * @example const trained = await trainModel({ train, validation, profile, seed: 1 });
 */
export async function trainModel(options: TrainOptions): Promise<TrainedModel> {
  const { train, validation, profile, seed } = options;
  checkProfile(profile);
  checkSamples('train', train, profile);
  checkSamples('validation', validation, profile);
  const { height, width, batchSize, epochs } = profile;
  const silent = options.progress === false;
  const log = options.log ?? (silent ? () => {} : (line: string) => {
    process.stdout.write(`${line}\n`);
  });
  const stepsPerEpoch = Math.ceil(train.length / batchSize);
  const progress = createProgress({
    epochs, stepsPerEpoch, log, bar: silent ? false : undefined,
  });

  const model = buildModel(modelSpecOf(profile), { height, width, seed });
  if (profile.initialWeights !== undefined) {
    try {
      const report = await loadWeightsInto(model, profile.initialWeights,
        { skipMismatched: true });
      log(`initial weights from ${profile.initialWeights}: ${report.loaded.length} layers ` +
        `loaded, ${report.skipped.length} kept their random start`);
    } catch (error) {
      model.dispose();
      throw error;
    }
  }
  const variables = model.trainableWeights.map((weight) => weight.read() as tf.Variable);
  const optimizer = tf.train.adam(profile.learningRate);
  const loss = lossFor(profile);
  // Separate streams: switching augmentation on or off leaves the batch order unchanged.
  let orderStream = randomStream(seed);
  let augmentStream = randomStream(seed + 0x9e3779b9);
  const validationImages = validation.map((sample) => sample.image);
  const validationMasks = validation.map((sample) => sample.mask);
  const identity = { seed, epochs, trainImages: train.length,
    validationImages: validation.length };

  log(`training: ${train.length} images, ${validation.length} validation, ` +
    `${stepsPerEpoch} steps/epoch, ${height}x${width}, loss ${profile.loss}, ` +
    `backend ${tf.getBackend()}`);
  let history: EpochRecord[] = [];
  let best: { epoch: number; valIoU: number; weights: tf.Tensor[] } | undefined;
  let firstEpoch = 1;
  const runEpoch = async (epoch: number): Promise<{ loss: number; msPerStep: number }> => {
    const order = shuffled(train, orderStream.next);
    let lossSum = 0;
    let elapsed = 0;
    for (let step = 0; step < stepsPerEpoch; step++) {
      const batch = order.slice(step * batchSize, (step + 1) * batchSize);
      const started = performance.now();
      const { images, masks } = tf.tidy(() => {
        const x = batchTensor(batch.map((sample) => sample.image), height, width);
        const y = batchTensor(batch.map((sample) => sample.mask), height, width);
        return profile.augment ? augmentBatch(x, y, augmentStream.next)
          : { images: x, masks: y };
      });
      const cost = optimizer.minimize(
        () => loss(masks, model.apply(images, { training: true }) as tf.Tensor),
        true, variables) as tf.Scalar;
      const value = (await cost.data())[0];
      tf.dispose([images, masks, cost]);
      if (!Number.isFinite(value)) throw divergence(value, epoch, step + 1, options, profile);
      lossSum += value * batch.length;
      elapsed += performance.now() - started;
      progress.step(epoch, step + 1);
      options.onStep?.(epoch, epochs, step + 1, stepsPerEpoch);
    }
    return { loss: lossSum / train.length, msPerStep: elapsed / stepsPerEpoch };
  };

  try {
    if (options.checkpoint !== undefined) {
      const saved = readCheckpoint(options.checkpoint, identity);
      if (saved !== undefined) {
        model.setWeights(saved.modelWeights);
        await optimizer.setWeights(saved.optimizerWeights);
        tf.dispose([...saved.modelWeights, ...saved.optimizerWeights.map((w) => w.tensor)]);
        best = saved.best;
        history = saved.history;
        orderStream = randomStream(seed, saved.orderPosition);
        augmentStream = randomStream(seed + 0x9e3779b9, saved.augmentPosition);
        firstEpoch = saved.epoch + 1;
        log(`resuming after epoch ${saved.epoch}/${epochs} from ${options.checkpoint}`);
      }
    }
    for (let epoch = firstEpoch; epoch <= epochs; epoch++) {
      const { loss: epochLoss, msPerStep } = await runEpoch(epoch);

      const probabilities = await predictInBatches(model, validationImages, batchSize,
        height, width);
      const valIoU = validationMeanIoU(probabilities, validationMasks);
      const record = { epoch, loss: epochLoss, valIoU, msPerStep };
      const isBest = best === undefined || orMinusInfinity(valIoU) > orMinusInfinity(best.valIoU);
      if (isBest) {
        if (best) tf.dispose(best.weights);
        best = { epoch, valIoU, weights: model.getWeights().map((weight) => weight.clone()) };
      }
      history.push(record);
      if (options.checkpoint !== undefined && best !== undefined) {
        const optimizerWeights = await optimizer.getWeights();
        try {
          await writeCheckpoint(options.checkpoint, {
            identity, epoch, history, best, modelWeights: model.getWeights(), optimizerWeights,
            orderPosition: orderStream.position(), augmentPosition: augmentStream.position(),
          });
        } finally {
          // getWeights hands out the step count as a new tensor; the moments are its own.
          tf.dispose(optimizerWeights[0].tensor);
        }
      }
      progress.epochEnd({ ...record, best: isBest });
    }
    if (!best) throw new Error('lib/training/train.ts trainModel: no epoch ran.');
    model.setWeights(best.weights);
    log(`best epoch ${best.epoch}/${epochs}: val IoU ${best.valIoU.toFixed(4)}, ` +
      'its weights kept');
  } catch (error) {
    model.dispose();
    throw error;
  } finally {
    optimizer.dispose();
    if (best) tf.dispose(best.weights);
  }

  let disposed = false;
  return {
    model,
    bestEpoch: best.epoch,
    history,
    predict: (images) => predictInBatches(model, images, batchSize, height, width),
    dispose: () => {
      if (!disposed) model.dispose();
      disposed = true;
    },
  };
}

/** The error for a loss that is no longer a finite number. */
function divergence(
  value: number, epoch: number, step: number, options: TrainOptions, profile: Profile,
): Error {
  const kept = options.checkpoint === undefined ? 'Nothing was saved.'
    : epoch > 1 ? `The checkpoint of epoch ${epoch - 1} is kept at ${options.checkpoint}.`
      : 'No epoch had finished, so there is no checkpoint.';
  return new Error(`lib/training/train.ts: training stopped: the loss became ${value} at ` +
    `epoch ${epoch}, step ${step} (learning rate ${profile.learningRate}, loss ` +
    `${profile.loss}). ${kept} A lower profile.learningRate, or checking the images and ` +
    'masks for extreme values, usually helps.');
}

/**
 * Validation mean IoU: per-image IoU of the lesion class at VALIDATION_CUTOFF, averaged.
 * NOTE: an image whose mask and prediction are both empty (IoU 0/0) is skipped, not scored
 * 1; NaN when every image is skipped (then no epoch counts as better than the first).
 */
function validationMeanIoU(probabilities: Float32Array[], masks: Uint8Array[]): number {
  const perImage = probabilities.map((image, index) =>
    confusionCounts(binarize(image, VALIDATION_CUTOFF), masks[index]));
  return reduceScores(perImage, 'per-image').iou;
}

async function predictInBatches(
  model: tf.LayersModel, images: Float32Array[], batchSize: number,
  height: number, width: number,
): Promise<Float32Array[]> {
  const pixels = height * width;
  images.forEach((image, index) => {
    if (image.length !== pixels) {
      throw new Error(`lib/training/train.ts predict: images[${index}] has ${image.length} ` +
        `values, expected height * width = ${height} * ${width} = ${pixels}.`);
    }
  });
  const out: Float32Array[] = [];
  for (let start = 0; start < images.length; start += batchSize) {
    const batch = images.slice(start, start + batchSize);
    const probabilities = tf.tidy(() =>
      model.apply(batchTensor(batch, height, width), { training: false }) as tf.Tensor);
    const values = (await probabilities.data()) as Float32Array;
    probabilities.dispose();
    for (let i = 0; i < batch.length; i++) out.push(values.slice(i * pixels, (i + 1) * pixels));
  }
  return out;
}

/** Stacks images or masks into one float32 batch [N, height, width, 1]. */
function batchTensor(
  arrays: (Float32Array | Uint8Array)[], height: number, width: number,
): tf.Tensor4D {
  const values = new Float32Array(arrays.length * height * width);
  arrays.forEach((array, i) => values.set(array, i * height * width));
  return tf.tensor4d(values, [arrays.length, height, width, 1]);
}

function checkProfile(profile: Profile): void {
  for (const field of ['epochs', 'batchSize'] as const) {
    if (!Number.isInteger(profile[field]) || profile[field] < 1) {
      throw new Error(`lib/training/train.ts trainModel: profile.${field} must be an ` +
        `integer >= 1, got ${profile[field]}.`);
    }
  }
  if (!(profile.learningRate > 0)) {
    throw new Error(`lib/training/train.ts trainModel: profile.learningRate must be > 0, ` +
      `got ${profile.learningRate}.`);
  }
}

function checkSamples(field: string, samples: TrainingSample[], profile: Profile): void {
  const where = 'lib/training/train.ts trainModel';
  if (samples.length === 0) throw new Error(`${where}: ${field} is empty, expected >= 1 sample.`);
  const pixels = profile.height * profile.width;
  samples.forEach(({ image, mask }, index) => {
    for (const [name, values] of [['image', image], ['mask', mask]] as const) {
      if (values.length !== pixels) {
        throw new Error(`${where}: ${field}[${index}].${name} has ${values.length} values, ` +
          `expected profile height * width = ${profile.height} * ${profile.width} = ${pixels}.`);
      }
    }
    if (mask.some((value) => value > 1)) {
      throw new Error(`${where}: ${field}[${index}].mask has a value other than 0 or 1.`);
    }
  });
}

function orMinusInfinity(value: number): number {
  return Number.isNaN(value) ? -Infinity : value;
}
