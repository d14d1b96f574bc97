/**
 * Rules on a center as a whole, shared by the manifest (which stops on them) and the data
 * check (which lists them): enough images for a train/test split, at least one lesion, and no
 * radiograph stored twice.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

import type { Center, ImportedRecord } from './manifest.js';

/**
 * What stops a center from taking part in the study: fewer than 2 usable images (no
 * train/test split: at least 1 of each) or labels that are all empty (nothing to train on, and
 * sensitivity is 0/0).
 * @param center the center's letter
 * @param folder the center's folder, for the message
 * @param records the center's imported records
 * @returns one sentence per problem, naming the center and folder; empty when usable
 * @example centerProblems('A', '/data/dc1000', []) // ['Center A: /data/dc1000 holds no ...']
 */
export function centerProblems(center: Center, folder: string,
  records: readonly ImportedRecord[]): string[] {
  if (records.length === 0) {
    return [`Center ${center}: ${folder} holds no usable image with its label; expected at ` +
      'least 2 (one for training, one for testing)'];
  }
  if (records.length === 1) {
    return [`Center ${center}: ${folder} holds only 1 usable image (${records[0].imagePath}); ` +
      'expected at least 2, so that the center has a test image'];
  }
  if (records.every((record) => record.lesionCount === 0)) {
    return [`Center ${center}: all ${records.length} labels in ${folder} are empty; expected ` +
      'at least one lesion (nothing to train on, sensitivity would be 0/0)'];
  }
  return [];
}

/**
 * Images stored twice, byte for byte, within or across centers: the same radiograph could
 * then sit in both the training and the test set.
 * NOTE: only exact copies are found; a re-encoded or resized copy is not.
 * @param records every record of the dataset
 * @returns one sentence per copy, naming both files; empty when all differ
 * @example duplicateImages(records) // ['Image /d/b/1.png is a byte-identical copy of ...']
 */
export function duplicateImages(records: readonly ImportedRecord[]): string[] {
  const firstOf = new Map<string, string>();
  const found: string[] = [];
  for (const record of records) {
    const digest = createHash('sha256').update(readFileSync(record.imagePath)).digest('hex');
    const first = firstOf.get(digest);
    if (first === undefined) firstOf.set(digest, record.imagePath);
    else found.push(`Image ${record.imagePath} is a byte-identical copy of ${first}`);
  }
  return found;
}
