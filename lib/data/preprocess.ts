/**
 * From a manifest record to the network's input: decode the radiograph as grey, crop the
 * region of interest, resize to the profile's size, scale to [0, 1]; the lesion mask goes
 * through the same crop and resize so that pixels stay aligned. Results are cached on disk.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import sharp from 'sharp';

import { binarize, decodeGrey, type GreyImage } from './decode.js';
import { maskFromBytes } from './import-masks.js';
import { boxMask } from './import-voc.js';
import type { Center, ImageRecord } from './manifest.js';
import { projectRoot } from './paths.js';
import { type PixelRect, type RoiCrop, roiPixels } from './roi.js';
import { readCachedPixels, writeCachedPixels } from './sample-cache.js';

/**
 * Bump when the steps below change, so old cache entries are no longer used.
 * 2: EXIF orientation applied, 16-bit files scaled by 257, masks read by maskFromValues.
 */
export const PREPROCESS_VERSION = 2;

/** One preprocessed image: grey pixels in [0, 1] and its 0/1 lesion mask, row-major. */
export interface Sample {
  id: string;
  center: Center;
  height: number;
  width: number;
  image: Float32Array;
  mask: Uint8Array;
}

export interface SampleSize {
  height: number;
  width: number;
}

export interface LoadSamplesOptions {
  /** Called after each sample; `cached` says whether it came from the cache. */
  onProgress?: (done: number, total: number, id: string, cached: boolean) => void;
  cacheDir?: string;
}

/**
 * The sample cache folder: `cacheDir` when given, else `$STUDY_CACHE/samples` when STUDY_CACHE
 * is set, else `<projectRoot>/.cache/samples`.
 * @param cacheDir an explicit folder
 * @returns the folder (not created here)
 * @example sampleCacheDir() // '/work/main/.cache/samples'
 */
export function sampleCacheDir(cacheDir?: string): string {
  if (cacheDir) return cacheDir;
  const root = process.env.STUDY_CACHE;
  return root ? join(root, 'samples') : join(projectRoot(), '.cache', 'samples');
}

function checkSize(size: SampleSize): void {
  for (const field of ['height', 'width'] as const) {
    if (!Number.isInteger(size[field]) || size[field] < 1) {
      throw new Error(`loadSample: size.${field} must be an integer >= 1, got ${size[field]}`);
    }
  }
}

function cacheKey(record: ImageRecord, imageBytes: Uint8Array, labelBytes: Uint8Array,
  roi: RoiCrop, size: SampleSize): string {
  const hash = createHash('sha256');
  hash.update(`preprocess v${PREPROCESS_VERSION} ${record.labelSource} `);
  hash.update(`roi ${roi.left} ${roi.top} ${roi.right} ${roi.bottom} `);
  hash.update(`size ${size.height}x${size.width}\n`);
  hash.update(createHash('sha256').update(imageBytes).digest('hex'));
  hash.update(createHash('sha256').update(labelBytes).digest('hex'));
  return hash.digest('hex');
}

function readSource(file: string, role: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new Error(`Could not read ${role} ${file}: ${(error as Error).message}`);
  }
}

async function fullMask(record: ImageRecord, labelBytes: Buffer, image: GreyImage):
  Promise<Uint8Array> {
  if (record.labelSource === 'boxes') {
    return boxMask(labelBytes.toString('utf8'), record.labelPath, image, record.imagePath);
  }
  const mask = await maskFromBytes(labelBytes, record.labelPath);
  if (mask.width !== image.width || mask.height !== image.height) {
    throw new Error(`Mask ${record.labelPath} is ${mask.width}x${mask.height}, expected the ` +
      `size of its image ${record.imagePath}, ${image.width}x${image.height}`);
  }
  return mask.data;
}

/** Crops `rect` from one-channel pixels and resizes it to `size` with sharp. */
async function cropResize(pixels: Uint8Array, width: number, height: number, rect: PixelRect,
  size: SampleSize, kernel: 'linear' | 'nearest'): Promise<Uint8Array> {
  const data = await sharp(pixels, { raw: { width, height, channels: 1 } })
    .extract(rect)
    .resize({ width: size.width, height: size.height, fit: 'fill', kernel })
    .toColourspace('b-w')
    .raw()
    .toBuffer();
  if (data.length !== size.width * size.height) {
    throw new Error(`cropResize: expected ${size.width * size.height} bytes, got ${data.length}`);
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.length);
}

async function loadWithSource(record: ImageRecord, roi: RoiCrop, size: SampleSize,
  cacheDir?: string): Promise<{ sample: Sample; cached: boolean }> {
  checkSize(size);
  const imageBytes = readSource(record.imagePath, 'image');
  const labelBytes = readSource(record.labelPath, 'label');
  const directory = sampleCacheDir(cacheDir);
  const key = cacheKey(record, imageBytes, labelBytes, roi, size);
  const toSample = (grey: Uint8Array, mask: Uint8Array): Sample => ({
    id: record.id, center: record.center, height: size.height, width: size.width,
    image: Float32Array.from(grey, (value) => value / 255), mask,
  });

  const hit = readCachedPixels(directory, key, size);
  if (hit) return { sample: toSample(hit.grey, hit.mask), cached: true };

  const image = await decodeGrey(imageBytes, record.imagePath);
  if (image.width !== record.width || image.height !== record.height) {
    throw new Error(`Image ${record.imagePath} is ${image.width}x${image.height}, but its ` +
      `manifest record ${record.id} says ${record.width}x${record.height}; rebuild the manifest`);
  }
  const mask01 = await fullMask(record, labelBytes, image);
  const rect = roiPixels(roi, image.width, image.height);

  // The image is averaged (sharp's linear kernel widens with the shrink factor, so a large
  // reduction averages like an area filter); the mask takes the nearest pixel so it stays a
  // mask, 255/0 so that "> 127" reads it back.
  const grey = await cropResize(image.data, image.width, image.height, rect, size, 'linear');
  const mask255 = mask01.map((value) => value * 255);
  const mask = binarize(await cropResize(mask255, image.width, image.height, rect, size,
    'nearest'));
  writeCachedPixels(directory, key, { height: size.height, width: size.width, grey, mask });
  return { sample: toSample(grey, mask), cached: false };
}

/**
 * Preprocesses one image: grey decode (upright, on decodeImage's scale), ROI crop, resize,
 * scale to [0, 1], with its mask (read by maskFromValues, or boxes filled) cropped and resized
 * alike (nearest neighbour). The result is
 * cached in `cacheDir` under a sha256 key of the image and label bytes, the ROI, the size and
 * PREPROCESS_VERSION; a later call with the same inputs reads the cache and decodes nothing.
 * NOTE: nearest-neighbour resizing may drop lesions smaller than the shrink factor.
 * @param record the manifest record
 * @param roi the record's center's crop
 * @param size output height and width
 * @param cacheDir cache folder; default see sampleCacheDir
 * @returns the sample
 * @throws Error "Could not decode image <path>: ..." for a corrupt file (nothing is cached),
 *   or naming the file for an unreadable file, a size mismatch or a bad box
 * @example const sample = await loadSample(record, roisOf(manifest)[record.center],
 *   { height: 176, width: 352 })
 */
export async function loadSample(record: ImageRecord, roi: RoiCrop, size: SampleSize,
  cacheDir?: string): Promise<Sample> {
  return (await loadWithSource(record, roi, size, cacheDir)).sample;
}

/**
 * Preprocesses many images in order, one at a time (sharp already uses every core per image).
 * @param records the manifest records
 * @param rois the crop per center (see roisOf)
 * @param size output height and width
 * @param options onProgress(done, total, id, cached) and cacheDir
 * @returns the samples, in the order of `records`
 * @throws the first error of loadSample
 * @example const train = await loadSamples(recordsOf(m, 'A', 'train'), roisOf(m), size)
 */
export async function loadSamples(records: readonly ImageRecord[],
  rois: Record<Center, RoiCrop>, size: SampleSize, options: LoadSamplesOptions = {}):
  Promise<Sample[]> {
  const samples: Sample[] = [];
  for (const record of records) {
    const { sample, cached } = await loadWithSource(record, rois[record.center], size,
      options.cacheDir);
    samples.push(sample);
    options.onProgress?.(samples.length, records.length, record.id, cached);
  }
  return samples;
}
