/**
 * Pairs each image with its label file by file name stem (`1008.png` with `1008.png`,
 * `000420.jpg` with `000420.xml`). An unpaired file on either side is an error: silently
 * dropping it would change the study's sample without anyone noticing.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';

import type { Center, ImportedRecord } from './manifest.js';

/** One image and its label, both absolute paths; `stem` is the shared file name stem. */
export interface FilePair {
  stem: string;
  imagePath: string;
  labelPath: string;
}

function filesByStem(folder: string, extensions: readonly string[],
  report: (message: string) => void, duplicated: Set<string>): Map<string, string> {
  if (!existsSync(folder) || !statSync(folder).isDirectory()) {
    throw new Error(`Folder ${folder} does not exist; expected files ending in ` +
      `${extensions.join(' or ')}`);
  }
  const byStem = new Map<string, string>();
  for (const name of readdirSync(folder).sort()) {
    const extension = extname(name).toLowerCase();
    if (name.startsWith('.') || !extensions.includes(extension)) continue;
    const stem = name.slice(0, name.length - extension.length);
    const earlier = byStem.get(stem);
    if (earlier) {
      // Both files are left out: which of the two the label belongs to cannot be known.
      report(`Two files with stem '${stem}' in ${folder}: ${earlier} and ${name} would get ` +
        'the same image id; remove or rename one');
      duplicated.add(stem);
      continue;
    }
    byStem.set(stem, name);
  }
  return byStem;
}

/**
 * Pairs the files of `imageFolder` with those of `labelFolder` by stem, in stem order.
 * Hidden files and files with other extensions are ignored. Ids are the center letter and
 * the stem, so the same stem in two centers is legal; two files of one folder sharing a stem
 * (`1008.png`, `1008.jpg`) are an error, and with `problems` both are left out.
 * @param imageFolder folder of images
 * @param imageExtensions lower-case extensions with the dot, e.g. ['.png']
 * @param labelFolder folder of labels
 * @param labelExtensions lower-case extensions with the dot, e.g. ['.xml']
 * @returns the pairs, sorted by stem
 * @param problems when given, an unpaired file is reported here and skipped instead of thrown
 * @throws Error naming the first image without label, label without image or two files
 *   sharing a stem (unless `problems` collects them), or a missing folder
 * @example pairFiles('dc1000/images', ['.png'], 'dc1000/masks', ['.png'])
 */
export function pairFiles(imageFolder: string, imageExtensions: readonly string[],
  labelFolder: string, labelExtensions: readonly string[], problems?: string[]): FilePair[] {
  const report = (message: string): void => {
    if (!problems) throw new Error(message);
    problems.push(message);
  };
  const duplicated = new Set<string>();
  const images = filesByStem(resolve(imageFolder), imageExtensions, report, duplicated);
  const labels = filesByStem(resolve(labelFolder), labelExtensions, report, duplicated);
  for (const stem of duplicated) {
    images.delete(stem);
    labels.delete(stem);
  }
  for (const [stem, name] of labels) {
    if (!images.has(stem)) {
      report(`Label ${join(resolve(labelFolder), name)} has no image named ${stem} ` +
        `(${imageExtensions.join(' or ')}) in ${resolve(imageFolder)}: add the image or ` +
        'remove the label');
    }
  }
  const pairs: FilePair[] = [];
  for (const [stem, name] of images) {
    const label = labels.get(stem);
    if (!label) {
      report(`Image ${join(resolve(imageFolder), name)} has no label named ${stem} ` +
        `(${labelExtensions.join(' or ')}) in ${resolve(labelFolder)}: add the label or ` +
        'remove the image');
      continue;
    }
    pairs.push({ stem, imagePath: join(resolve(imageFolder), name),
      labelPath: join(resolve(labelFolder), label) });
  }
  return pairs.sort((a, b) => (a.stem < b.stem ? -1 : a.stem > b.stem ? 1 : 0));
}

/**
 * Runs one file's import; with a `problems` list its error is recorded there and undefined
 * returned (so a check can report every bad file at once), without one the error propagates.
 * @example const record = await collecting(problems, () => importPair(pair))
 */
export async function collecting<T>(problems: string[] | undefined,
  work: () => Promise<T>): Promise<T | undefined> {
  if (!problems) return work();
  try {
    return await work();
  } catch (error) {
    problems.push((error as Error).message);
    return undefined;
  }
}

/**
 * Imports every pair in order; with a `problems` list a pair that fails is recorded there and
 * left out, without one the first failure propagates.
 * @example const records = await importEach(pairs, problems, (pair) => importPair(pair))
 */
export async function importEach<T>(pairs: readonly FilePair[], problems: string[] | undefined,
  importOne: (pair: FilePair) => Promise<T>): Promise<T[]> {
  const imported: T[] = [];
  for (const pair of pairs) {
    const result = await collecting(problems, () => importOne(pair));
    if (result !== undefined) imported.push(result);
  }
  return imported;
}

/**
 * The record an importer yields for one image and its label file, with the warnings it
 * collected (undefined entries are skipped) passed on to `warnings`.
 * @example return pairRecord('A', pair, 'mask', 3, header, notes, warnings)
 */
export function pairRecord(
  center: Center, pair: FilePair, labelSource: ImportedRecord['labelSource'],
  lesionCount: number, size: { width: number; height: number },
  notes: readonly (string | undefined)[], warnings: string[] | undefined,
): ImportedRecord {
  warnings?.push(...notes.filter((note): note is string => note !== undefined));
  return {
    id: `${center}-${pair.stem}`, center, imagePath: pair.imagePath, labelPath: pair.labelPath,
    labelSource, lesionCount, width: size.width, height: size.height,
  };
}
