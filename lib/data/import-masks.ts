/**
 * Center A importer: radiographs in `images/` and same-named pixel masks in `masks/`
 * (the DC1000 layout). Lesions are counted as 8-connected components of the mask.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { labelComponents } from './components.js';
import { binarize, decodeGrey, imageSize } from './decode.js';
import type { Center, ImportedRecord } from './manifest.js';
import { importEach, pairFiles, type FilePair } from './pairs.js';

/**
 * Reads a binary lesion mask (any value > 127 is lesion) from a mask image file.
 * @param file path of the mask image
 * @returns 0/1 pixels with the mask's width and height
 * @throws Error naming the file when it cannot be decoded
 * @example const { data, width, height } = await readMask('dc1000/masks/1008.png')
 */
export async function readMask(file: string):
  Promise<{ data: Uint8Array; width: number; height: number }> {
  const grey = await decodeGrey(readFileSync(file), file);
  return { data: binarize(grey.data), width: grey.width, height: grey.height };
}

/**
 * One record per image of a mask-labelled center (split still undecided).
 * @param folder the center's folder, holding `images/` (PNG) and `masks/` (PNG)
 * @param center the center's letter, prefixed to each id ('A' gives 'A-1008')
 * @returns records in id order, labelSource 'mask'
 * @throws Error naming the file for an image without mask, a mask without image, an
 *   unreadable file, or a mask whose size differs from its image's
 * @example const records = await importMaskCenter('/data/dc1000', 'A')
 */
export async function importMaskCenter(folder: string, center: Center,
  problems?: string[]): Promise<ImportedRecord[]> {
  const pairs = pairFiles(join(folder, 'images'), ['.png'], join(folder, 'masks'), ['.png'],
    problems);
  return importEach(pairs, problems, (pair) => importMaskPair(pair, center));
}

/** One image and its label as a record; throws naming the file that is wrong. */
async function importMaskPair(pair: FilePair, center: Center): Promise<ImportedRecord> {
  const size = await imageSize(pair.imagePath);
  const mask = await readMask(pair.labelPath);
  if (mask.width !== size.width || mask.height !== size.height) {
    throw new Error(`Mask ${pair.labelPath} is ${mask.width}x${mask.height}, expected ` +
      `the size of its image ${pair.imagePath}, ${size.width}x${size.height}`);
  }
  return {
    id: `${center}-${pair.stem}`,
    center,
    imagePath: pair.imagePath,
    labelPath: pair.labelPath,
    labelSource: 'mask',
    lesionCount: labelComponents(mask.data, mask.width, mask.height).count,
    width: size.width,
    height: size.height,
  };
}
