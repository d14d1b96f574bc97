import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { decodeGrey } from './decode.js';
import { CENTER_SOURCES, CENTERS, type Center } from './manifest.js';
import { collecting } from './pairs.js';

/** What the check found in one center's folder. */
export interface CenterCheck {
  center: Center;
  folder: string;
  /** Images whose file decodes and whose label is complete and consistent. */
  good: number;
  /** One sentence per problem, each naming its file. */
  problems: string[];
}

/**
 * Validates a data folder the way the study reads it, but reports every problem instead of
 * stopping at the first: unpaired images and labels, unreadable or truncated images (each
 * image is decoded in full, not only its header), masks or boxes that do not fit their image.
 * @param dataRoot folder holding dc1000/ and cariesxrays/
 * @returns one entry per center, A then B
 * @example const [a, b] = await checkDataset(resolveDataRoot())
 */
export async function checkDataset(dataRoot: string): Promise<CenterCheck[]> {
  const checks: CenterCheck[] = [];
  for (const center of CENTERS) {
    const source = CENTER_SOURCES[center];
    const folder = resolve(dataRoot, source.folder);
    const problems: string[] = [];
    if (!existsSync(folder)) {
      checks.push({ center, folder, good: 0,
        problems: [`Center ${center}: folder ${folder} does not exist`] });
      continue;
    }
    const records = await source.importer(folder, center, problems);
    let good = 0;
    for (const record of records) {
      const decoded = await collecting(problems, () =>
        decodeGrey(readFileSync(record.imagePath), record.imagePath));
      if (decoded) good++;
    }
    checks.push({ center, folder, good, problems });
  }
  return checks;
}
