/**
 * Center A importer: radiographs in `images/` and same-named pixel masks in `masks/`
 * (the DC1000 layout). Lesions are counted as 8-connected components of the mask.
 * Image and mask are each read upright by their own EXIF orientation, and sizes are compared
 * after that; the mask is taken as drawn on the upright image.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { labelComponents } from './components.js';
import { decodeImage, formatMismatch, IMAGE_EXTENSIONS, imageHeader, MASK_EXTENSIONS,
  orientationText, sizeHint } from './decode.js';
import type { Center, ImportedRecord } from './manifest.js';
import { maskFromValues, type MaskReading } from './mask-values.js';
import { importEach, pairFiles, pairRecord, type FilePair } from './pairs.js';

/** A mask file read upright: 0/1 pixels, its size, and what the file itself said. */
export interface MaskFile {
  data: Uint8Array;
  width: number;
  height: number;
  format: string;
  orientation: number;
  rule: MaskReading['rule'];
  /** Set when the mask was thresholded (see maskFromValues). */
  note?: string;
}

/**
 * Reads a lesion mask from its bytes, by the rule of maskFromValues (0/v binary, antialiased
 * masks thresholded at half scale, anything else an error).
 * @param bytes the file's content
 * @param file path of the mask image, for messages
 * @returns 0/1 pixels, upright, with size, format, orientation and the rule applied
 * @throws Error naming the file when it cannot be decoded or its values fit no rule
 * @example const mask = await maskFromBytes(readFileSync(path), path)
 */
export async function maskFromBytes(bytes: Uint8Array, file: string): Promise<MaskFile> {
  const decoded = await decodeImage(bytes, file);
  const reading = maskFromValues(decoded.values, decoded.fullScale, file);
  return { data: reading.mask, width: decoded.width, height: decoded.height,
    format: decoded.format, orientation: decoded.orientation, rule: reading.rule,
    note: reading.note };
}

/**
 * Reads a lesion mask file (see maskFromBytes).
 * @param file path of the mask image
 * @returns 0/1 pixels with the mask's upright width and height (and format, orientation)
 * @throws Error naming the file when it cannot be decoded or its values fit no rule
 * @example const { data, width, height } = await readMask('dc1000/masks/1008.png')
 */
export async function readMask(file: string): Promise<MaskFile> {
  return maskFromBytes(readFileSync(file), file);
}

/**
 * One record per image of a mask-labelled center (split still undecided).
 * @param folder the center's folder, holding `images/` and `masks/` (see IMAGE_EXTENSIONS,
 *   MASK_EXTENSIONS)
 * @param center the center's letter, prefixed to each id ('A' gives 'A-1008')
 * @param problems when given, a bad pair is recorded here and left out instead of thrown
 * @param warnings when given, receives one sentence per file that was read but deserves a
 *   look: extension and content disagree, orientation tags differ, thresholded or empty mask
 * @returns records in id order, labelSource 'mask'
 * @throws Error naming the file for an image without mask, a mask without image, an
 *   unreadable file, a mask whose values fit no rule or whose size differs from its image's
 * @example const records = await importMaskCenter('/data/dc1000', 'A')
 */
export async function importMaskCenter(folder: string, center: Center,
  problems?: string[], warnings?: string[]): Promise<ImportedRecord[]> {
  const pairs = pairFiles(join(folder, 'images'), IMAGE_EXTENSIONS, join(folder, 'masks'),
    MASK_EXTENSIONS, problems);
  return importEach(pairs, problems, (pair) => importMaskPair(pair, center, warnings));
}

/** One image and its label as a record; throws naming the file that is wrong. */
async function importMaskPair(pair: FilePair, center: Center, warnings?: string[]):
  Promise<ImportedRecord> {
  const header = await imageHeader(pair.imagePath);
  const mask = await readMask(pair.labelPath);
  if (mask.width !== header.width || mask.height !== header.height) {
    throw new Error(`Mask ${pair.labelPath} is ${mask.width}x${mask.height}, expected ` +
      `the size of its image ${pair.imagePath}, ${header.width}x${header.height}` +
      sizeHint(header, mask.width, mask.height));
  }
  const lesionCount = labelComponents(mask.data, mask.width, mask.height).count;

  const notes = [formatMismatch(pair.imagePath, header.format),
    formatMismatch(pair.labelPath, mask.format), mask.note];
  if (header.orientation !== mask.orientation) {
    notes.push(`Image ${pair.imagePath} carries ${orientationText(header.orientation)}, its ` +
      `mask ${orientationText(mask.orientation)}: both are read upright, the mask taken as ` +
      'drawn on the upright image');
  }
  if (lesionCount === 0) {
    notes.push(`Mask ${pair.labelPath} is empty: image ${pair.imagePath} counts as lesion-free`);
  }
  return pairRecord(center, pair, 'mask', lesionCount, header, notes, warnings);
}
