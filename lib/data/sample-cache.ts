/**
 * On-disk cache of preprocessed samples, so a notebook decodes each radiograph once. One file
 * per sample, named by its key; written atomically, so a crash never leaves half a file.
 *
 * File format (little-endian): 'DSMP' (4 bytes), format version (uint32), height (uint32),
 * width (uint32), then height * width grey bytes (the resized image, 0-255) and height * width
 * mask bytes (0/1). The grey bytes are what sharp's 8-bit resize produced, so storing them
 * instead of floats loses nothing and takes a quarter of the space.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { writeFileAtomic } from '../util/atomic.js';

const MAGIC = 'DSMP';
const FORMAT_VERSION = 1;
const HEADER_BYTES = 16;

/** Preprocessed pixels as stored: 8-bit grey image and 0/1 mask, both height * width. */
export interface CachedPixels {
  height: number;
  width: number;
  grey: Uint8Array;
  mask: Uint8Array;
}

/** The cache file of a key. */
export function cacheFile(cacheDir: string, key: string): string {
  return join(cacheDir, `${key}.sample`);
}

/**
 * Reads a cached sample; a missing, truncated or foreign file counts as a miss.
 * @param cacheDir the cache folder
 * @param key the sample's key
 * @param size the expected size; a file of another size is a miss
 * @returns the pixels, or undefined on a miss
 * @example const hit = readCachedPixels(dir, key, { height: 64, width: 128 })
 */
export function readCachedPixels(cacheDir: string, key: string,
  size: { height: number; width: number }): CachedPixels | undefined {
  const file = cacheFile(cacheDir, key);
  if (!existsSync(file)) return undefined;
  const bytes = readFileSync(file);
  const pixels = size.height * size.width;
  if (bytes.length !== HEADER_BYTES + 2 * pixels) return undefined;
  if (bytes.toString('latin1', 0, 4) !== MAGIC || bytes.readUInt32LE(4) !== FORMAT_VERSION ||
    bytes.readUInt32LE(8) !== size.height || bytes.readUInt32LE(12) !== size.width) {
    return undefined;
  }
  return {
    height: size.height,
    width: size.width,
    grey: new Uint8Array(bytes.subarray(HEADER_BYTES, HEADER_BYTES + pixels)),
    mask: new Uint8Array(bytes.subarray(HEADER_BYTES + pixels)),
  };
}

/**
 * Writes a sample's pixels to the cache, atomically.
 * @param cacheDir the cache folder (created when missing)
 * @param key the sample's key
 * @param pixels the preprocessed pixels
 * @throws Error when grey or mask does not hold height * width bytes, or on a write error
 * @example writeCachedPixels(dir, key, { height, width, grey, mask })
 */
export function writeCachedPixels(cacheDir: string, key: string, pixels: CachedPixels): void {
  const count = pixels.height * pixels.width;
  if (pixels.grey.length !== count || pixels.mask.length !== count) {
    throw new Error(`writeCachedPixels: expected ${count} grey and mask bytes, got ` +
      `${pixels.grey.length} and ${pixels.mask.length}`);
  }
  const bytes = Buffer.alloc(HEADER_BYTES + 2 * count);
  bytes.write(MAGIC, 0, 'latin1');
  bytes.writeUInt32LE(FORMAT_VERSION, 4);
  bytes.writeUInt32LE(pixels.height, 8);
  bytes.writeUInt32LE(pixels.width, 12);
  bytes.set(pixels.grey, HEADER_BYTES);
  bytes.set(pixels.mask, HEADER_BYTES + count);
  writeFileAtomic(cacheFile(cacheDir, key), bytes);
}
