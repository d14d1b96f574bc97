/**
 * Center B importer: radiographs in `images/` (JPEG) and Pascal VOC box annotations in
 * `annotations/` (the CariesXrays layout). Each box is one lesion; its pixel mask is the
 * filled box (see BOX_MASK_NOTE).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { formatMismatch, IMAGE_EXTENSIONS, imageHeader, type ImageHeader, orientationText,
  sizeHint } from './decode.js';
import type { Center, ImportedRecord } from './manifest.js';
import { importEach, pairFiles, pairRecord, type FilePair } from './pairs.js';
import { boxesToMask, parseVoc, validateBox, type VocAnnotation } from './voc.js';

export { boxesToMask, parseVoc, validateBox };
export type { VocAnnotation, VocBox, VocObject } from './voc.js';

/** One sentence for reports that show center B's pixel-level results. */
export const BOX_MASK_NOTE =
  "Center B's masks are filled bounding boxes, which over-cover the lesions; healthy pixels " +
  'inside a box count as lesion, so pixel-level sensitivity and Dice on center B are biased ' +
  'low and PPV biased high, and only lesion-level counts compare fairly with center A.';

/**
 * Parses a VOC annotation and checks it against its image: the size must match the image's
 * header and every box must lie inside the image with non-zero area.
 * @param xml the annotation's text
 * @param file the annotation's path, for error messages
 * Boxes are taken as drawn on the upright image (after its EXIF orientation).
 * @param size the image's upright width and height (its header, from imageHeader, also lets
 *   the message say when the annotation has the size before an EXIF turn)
 * @param imagePath the image's path, for error messages
 * @returns the parsed annotation
 * @throws Error naming the annotation file for a size mismatch, a missing field or a bad box
 * @example readBoxes(xml, 'annotations/000420.xml', { width: 2648, height: 1280 }, imagePath)
 */
export function readBoxes(xml: string, file: string,
  size: { width: number; height: number } | ImageHeader, imagePath: string): VocAnnotation {
  const annotation = parseVoc(xml, file);
  if (annotation.width !== size.width || annotation.height !== size.height) {
    const hint = 'orientation' in size
      ? sizeHint(size, annotation.width, annotation.height) : '';
    throw new Error(`${file}: field 'size' says ${annotation.width}x${annotation.height}, ` +
      `expected the size of its image ${imagePath}, ${size.width}x${size.height}${hint}`);
  }
  annotation.objects.forEach((object, index) => {
    validateBox(object.box, size.width, size.height, `${file} object[${index}]`);
  });
  return annotation;
}

/**
 * The lesion mask of a box-labelled image: its boxes filled, at the image's full size.
 * @param xml the annotation's text
 * @param file the annotation's path, for error messages
 * @param size the image's width and height
 * @param imagePath the image's path, for error messages
 * @returns row-major 0/1 pixels, width * height
 * @throws Error as readBoxes
 * @example const mask = boxMask(xml, record.labelPath, record, record.imagePath)
 */
export function boxMask(xml: string, file: string, size: { width: number; height: number },
  imagePath: string): Uint8Array {
  const annotation = readBoxes(xml, file, size, imagePath);
  return boxesToMask(annotation.objects.map((object) => object.box), size.width, size.height);
}

/**
 * One record per image of a box-labelled center (split still undecided).
 * NOTE: every object counts as a lesion whatever its class name (the sample has only 'Decay').
 * @param folder the center's folder, holding `images/` (JPEG or PNG) and `annotations/` (XML)
 * @param center the center's letter, prefixed to each id ('B' gives 'B-000420')
 * @param problems when given, a bad pair is recorded here and left out instead of thrown
 * @param warnings when given, receives one sentence per file that was read but deserves a
 *   look: extension and content disagree, an EXIF-turned image, an annotation without boxes
 * @returns records in id order, labelSource 'boxes', lesionCount = number of boxes
 * @throws Error naming the file for an image without annotation (or the reverse), an
 *   unreadable image header, a size mismatch, a box outside the image or with zero area
 * @example const records = await importVocCenter('/data/cariesxrays', 'B')
 */
export async function importVocCenter(folder: string, center: Center,
  problems?: string[], warnings?: string[]): Promise<ImportedRecord[]> {
  const pairs = pairFiles(join(folder, 'images'), IMAGE_EXTENSIONS,
    join(folder, 'annotations'), ['.xml'], problems);
  return importEach(pairs, problems, (pair) => importVocPair(pair, center, warnings));
}

/** One image and its label as a record; throws naming the file that is wrong. */
async function importVocPair(pair: FilePair, center: Center, warnings?: string[]):
  Promise<ImportedRecord> {
  const size = await imageHeader(pair.imagePath);
  const xml = readFileSync(pair.labelPath, 'utf8');
  const annotation = readBoxes(xml, pair.labelPath, size, pair.imagePath);

  const notes = [formatMismatch(pair.imagePath, size.format)];
  if (size.orientation !== 1) {
    notes.push(`Image ${pair.imagePath} carries ${orientationText(size.orientation)}: it is ` +
      `read upright and the boxes of ${pair.labelPath} taken as drawn on the upright image`);
  }
  if (annotation.objects.length === 0) {
    notes.push(`${pair.labelPath} has no boxes: image ${pair.imagePath} counts as lesion-free`);
  }
  return pairRecord(center, pair, 'boxes', annotation.objects.length, size, notes, warnings);
}
