/**
 * The study's image list: every radiograph of both centers with its label, lesion count,
 * original size and train/test split, plus a hash naming the exact data a result came from.
 * Built once from the data folder, saved as JSON, reloaded by every notebook.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { profiles } from '../config/profiles.js';
import { writeFileAtomic } from '../util/atomic.js';
import { seededRandom, shuffled } from '../util/random.js';
import { centerProblems } from './center-rules.js';
import { importMaskCenter } from './import-masks.js';
import { importVocCenter } from './import-voc.js';
import { DATA_HELP } from './paths.js';
import { CARIES_XRAYS_ROI, IDENTITY_ROI, type RoiCrop, validateRoi } from './roi.js';

export type Center = 'A' | 'B';
export type Split = 'train' | 'test';
export const CENTERS: readonly Center[] = ['A', 'B'];

/** Counts from a dental chart; neither public sample provides them. */
export interface DentalStatus {
  teeth?: number;
  restorations?: number;
  rootCanalFillings?: number;
  crowns?: number;
}

export interface ImageRecord {
  /** Unique across centers: center letter and file stem, e.g. 'A-1008'. */
  id: string;
  center: Center;
  imagePath: string;
  labelPath: string;
  /** 'mask': pixel outline of each lesion; 'boxes': VOC bounding boxes, filled. */
  labelSource: 'mask' | 'boxes';
  lesionCount: number;
  /** Of the original image, before any crop. */
  width: number;
  height: number;
  split: Split;
  dentalStatus?: DentalStatus;
  /** sha256 over the image's and the label's sha256, filled in by buildManifest. */
  contentHash?: string;
}

/** What an importer yields: a record before the split is drawn. */
export type ImportedRecord = Omit<ImageRecord, 'split'>;

export interface CenterInfo {
  name: string;
  /** Absolute path of the center's folder. */
  folder: string;
  roi: RoiCrop;
}

export interface Manifest {
  centers: Record<Center, CenterInfo>;
  records: ImageRecord[];
  /** sha256 over each record's id and the sha256 of its image and label files. */
  hash: string;
}

export interface ManifestOptions {
  /** Seed of the train/test draw; default: the profiles' seed. */
  seed?: number;
  /** Share of each center held out for testing; default: the profiles' testFraction. */
  testFraction?: number;
  /** Region-of-interest crop per center; default: identity for A, CARIES_XRAYS_ROI for B. */
  roi?: Partial<Record<Center, RoiCrop>>;
}

/** Where each center lives in the data folder, how it is read and cropped. */
export const CENTER_SOURCES: Record<Center, { name: string; folder: string; roi: RoiCrop;
  importer: (folder: string, center: Center, problems?: string[], warnings?: string[]) =>
    Promise<ImportedRecord[]> }> = {
  A: { name: 'DC1000 test samples (Wang et al. 2023)', folder: 'dc1000', roi: IDENTITY_ROI,
    importer: importMaskCenter },
  B: { name: 'CariesXrays 0.5% sample (Chen et al. 2024)', folder: 'cariesxrays',
    roi: CARIES_XRAYS_ROI, importer: importVocCenter },
};

/**
 * How many of n images a center holds out for testing: round(n * testFraction), at least 1
 * and at most n - 1 when n >= 2 (both sets non-empty); 0 when n < 2.
 * @param n images in the center
 * @param testFraction share in [0, 1)
 * @returns the test count
 * @throws Error when testFraction is outside [0, 1)
 * @example testCount(50, 0.2) // 10
 */
export function testCount(n: number, testFraction: number): number {
  if (!(testFraction >= 0 && testFraction < 1)) {
    throw new Error(`testFraction must be in [0, 1), got ${testFraction}`);
  }
  if (n < 2) return 0;
  return Math.min(n - 1, Math.max(1, Math.round(n * testFraction)));
}

function splitCenter(records: ImportedRecord[], seed: number, testFraction: number):
  ImageRecord[] {
  const byId = records.slice().sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const held = new Set(shuffled(byId.map((record) => record.id), seededRandom(seed))
    .slice(0, testCount(byId.length, testFraction)));
  return byId.map((record) => ({ ...record, split: held.has(record.id) ? 'test' : 'train' }));
}

function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The data hash: sha256 over each record's id and the sha256 of its image and label files,
 * in id order. Independent of folder locations and of the split.
 * @param records the records
 * @returns 64 hex digits
 * @throws Error from reading a file
 * @example dataHash(manifest.records) === manifest.hash
 */
export function dataHash(records: readonly ImageRecord[]): string {
  const lines = records.map((record) => `${record.id} ${contentHashOf(record)}`).sort();
  return sha256(lines.join('\n'));
}

/**
 * One record's content hash: sha256 over the sha256 of its image file and of its label
 * file. Read from the record when buildManifest stored it, so that hashing many runs' data
 * does not read every image again.
 * @throws Error from reading a file
 * @example contentHashOf(manifest.records[0]).length // 64
 */
export function contentHashOf(record: ImageRecord): string {
  return record.contentHash ?? sha256(`${sha256(readFileSync(record.imagePath))} ` +
    sha256(readFileSync(record.labelPath)));
}

/**
 * Imports both centers from the data folder and draws each center's train/test split.
 * @param dataRoot folder holding dc1000/ and cariesxrays/ (see resolveDataRoot)
 * @param options seed, testFraction, roi per center
 * @returns the manifest, records in id order (A before B)
 * @throws Error naming the file for any unpaired, unreadable or inconsistent file, the
 *   missing center folder with instructions to get the samples, or a center that cannot take
 *   part (fewer than 2 images, or no lesion in any label; see centerProblems)
 * @example const manifest = await buildManifest(resolveDataRoot(), { seed: 1 })
 */
export async function buildManifest(dataRoot: string, options: ManifestOptions = {}):
  Promise<Manifest> {
  const seed = options.seed ?? profiles.paper.seed;
  const testFraction = options.testFraction ?? profiles.paper.testFraction;
  testCount(2, testFraction); // rejects a bad fraction before any file is read

  const centers = {} as Record<Center, CenterInfo>;
  const records: ImageRecord[] = [];
  for (const center of CENTERS) {
    const source = CENTER_SOURCES[center];
    const folder = resolve(dataRoot, source.folder);
    if (!existsSync(folder)) {
      throw new Error(`Center ${center}: folder ${folder} does not exist.\n${DATA_HELP}`);
    }
    const roi = validateRoi(options.roi?.[center] ?? source.roi, `center ${center} roi`);
    centers[center] = { name: source.name, folder, roi: { ...roi } };
    const imported = await source.importer(folder, center);
    const problems = centerProblems(center, folder, imported);
    if (problems.length > 0) throw new Error(problems.join('\n'));
    records.push(...splitCenter(imported, seed, testFraction)
      .map((record) => ({ ...record, contentHash: contentHashOf(record) })));
  }
  return { centers, records, hash: dataHash(records) };
}

/**
 * Writes the manifest as JSON, atomically (a reader never sees half a file).
 * @param path target file
 * @param manifest the manifest
 * @example saveManifest(join(projectRoot(), 'results', 'manifest.json'), manifest)
 */
export function saveManifest(path: string, manifest: Manifest): void {
  writeFileAtomic(path, `${JSON.stringify(manifest, null, 2)}\n`);
}

/**
 * Reads a manifest written by saveManifest and checks its shape.
 * @param path the JSON file
 * @returns the manifest
 * @throws Error naming the file and the first field that is missing or of the wrong type
 * @example const manifest = loadManifest('results/manifest.json')
 */
export function loadManifest(path: string): Manifest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`Could not read manifest ${path}: ${(error as Error).message}`);
  }
  const manifest = parsed as Manifest;
  const fail = (field: string, expected: string): never => {
    throw new Error(`Manifest ${path}: field '${field}' must be ${expected}`);
  };
  if (typeof manifest !== 'object' || manifest === null) fail('(root)', 'an object');
  if (typeof manifest.hash !== 'string') fail('hash', 'a string');
  for (const center of CENTERS) {
    const info = manifest.centers?.[center];
    if (typeof info?.name !== 'string') fail(`centers.${center}.name`, 'a string');
    if (typeof info.folder !== 'string') fail(`centers.${center}.folder`, 'a string');
    validateRoi(info.roi ?? ({} as RoiCrop), `Manifest ${path}: centers.${center}.roi`);
  }
  if (!Array.isArray(manifest.records)) fail('records', 'an array');
  manifest.records.forEach((record, index) => {
    const where = `records[${index}]`;
    if (typeof record?.id !== 'string') fail(`${where}.id`, 'a string');
    if (!CENTERS.includes(record.center)) fail(`${where}.center`, "'A' or 'B'");
    if (record.split !== 'train' && record.split !== 'test') {
      fail(`${where}.split`, "'train' or 'test'");
    }
    if (record.labelSource !== 'mask' && record.labelSource !== 'boxes') {
      fail(`${where}.labelSource`, "'mask' or 'boxes'");
    }
    for (const field of ['imagePath', 'labelPath'] as const) {
      if (typeof record[field] !== 'string') fail(`${where}.${field}`, 'a string');
    }
    for (const field of ['lesionCount', 'width', 'height'] as const) {
      if (!Number.isInteger(record[field])) fail(`${where}.${field}`, 'an integer');
    }
  });
  return manifest;
}

/**
 * The records of one center, optionally of one split, in manifest order.
 * @param manifest the manifest
 * @param center 'A' or 'B'
 * @param split 'train' or 'test'; all of the center's records when omitted
 * @returns the matching records
 * @example recordsOf(manifest, 'A', 'train').length // 80 with the default split
 */
export function recordsOf(manifest: Manifest, center: Center, split?: Split): ImageRecord[] {
  return manifest.records.filter((record) =>
    record.center === center && (split === undefined || record.split === split));
}

/** The manifest's region-of-interest crop per center, as loadSamples takes it. */
export function roisOf(manifest: Manifest): Record<Center, RoiCrop> {
  return { A: manifest.centers.A.roi, B: manifest.centers.B.roi };
}
