/**
 * The data check: reads a data folder the way the study does, but lists every problem of every
 * file instead of stopping at the first, plus warnings for files that are read but deserve a
 * look (see importMaskCenter, importVocCenter and checkImage for which).
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve, sep } from 'node:path';

import { centerProblems, duplicateImages } from './center-rules.js';
import { decodeImage } from './decode.js';
import { CENTER_SOURCES, CENTERS, type Center, type ImportedRecord } from './manifest.js';
import { collecting } from './pairs.js';

/** What the check found in one center's folder. */
export interface CenterCheck {
  center: Center;
  folder: string;
  /** Images whose file decodes and whose label is complete and consistent. */
  good: number;
  /** One sentence per problem, each naming its file; any problem stops the study. */
  problems: string[];
  /** One sentence per file that is read, but maybe not as its author meant; none stops it. */
  warnings: string[];
}

/** Largest value of 12-bit data; a 16-bit image whose brightest pixel is below reads dark. */
const TWELVE_BIT_MAX = 4095;

/**
 * Decodes an image in full (not only its header), so that truncated files are found.
 * @param record the imported record
 * @param warnings receives a sentence when a 16-bit image looks like 12-bit data
 * @returns true when the image decodes
 * @throws Error "Could not decode image <file>: ..." for a corrupt or truncated file
 * @example await checkImage(record, warnings) // true
 */
export async function checkImage(record: ImportedRecord, warnings: string[]): Promise<boolean> {
  const image = await decodeImage(readFileSync(record.imagePath), record.imagePath);
  if (image.fullScale === 65535) {
    let brightest = 0;
    for (let i = 0; i < image.values.length; i++) {
      brightest = Math.max(brightest, image.values[i]);
    }
    if (brightest <= TWELVE_BIT_MAX) {
      warnings.push(`Image ${record.imagePath} is 16-bit but its brightest value is ` +
        `${brightest}: read on the 16-bit scale it is nearly black; if it holds 12-bit data, ` +
        'rescale it to 0..65535 or export it as 8-bit');
    }
  }
  return true;
}

/**
 * Validates a data folder the way the study reads it, but reports every problem instead of
 * stopping at the first: a missing folder, unpaired images and labels, two files with one
 * stem, unreadable or truncated images, masks whose values fit no rule or whose size differs,
 * boxes outside the image or of zero area, a center with fewer than 2 good images or no
 * lesion at all. Warnings: extension and content disagree, EXIF orientation, thresholded or
 * empty masks, 12-bit data in a 16-bit file, byte-identical images.
 * @param dataRoot folder holding dc1000/ and cariesxrays/
 * @returns one entry per center, A then B
 * @example const [a, b] = await checkDataset(resolveDataRoot())
 */
export async function checkDataset(dataRoot: string): Promise<CenterCheck[]> {
  const checks: CenterCheck[] = [];
  const goodRecords: ImportedRecord[] = [];
  for (const center of CENTERS) {
    const source = CENTER_SOURCES[center];
    const folder = resolve(dataRoot, source.folder);
    const problems: string[] = [];
    const warnings: string[] = [];
    if (!existsSync(folder)) {
      checks.push({ center, folder, good: 0, warnings,
        problems: [`folder ${folder} does not exist (expected layout and how to get the samples: ` +
          'see README, Data)'] });
      continue;
    }
    const records = await collecting(problems, () =>
      source.importer(folder, center, problems, warnings)) ?? [];
    const good: ImportedRecord[] = [];
    for (const record of records) {
      if (await collecting(problems, () => checkImage(record, warnings))) good.push(record);
    }
    problems.push(...centerProblems(center, folder, good));
    goodRecords.push(...good);
    checks.push({ center, folder, good: good.length, problems, warnings });
  }

  const copies = duplicateImages(goodRecords);
  for (const check of checks) {
    check.warnings.push(...copies.filter((copy) => copy.startsWith(`Image ${check.folder}${sep}`)));
  }
  return checks;
}
