/**
 * Synthetic data folders for the data-layer tests, written into os.tmpdir(): small grey PNGs
 * with pixel masks (center A's layout) and RGB JPEGs with VOC boxes (center B's layout).
 * Not a test file itself.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import sharp from 'sharp';

import { resolveDataRoot } from '../lib/data/paths.js';
import type { VocBox } from '../lib/data/voc.js';

/** A fresh empty folder under the system's temporary folder. */
export function temporaryFolder(prefix = 'dental-data-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes one-channel pixels as an 8-bit grey PNG. */
export async function writeGreyPng(file: string, pixels: Uint8Array, width: number,
  height: number): Promise<void> {
  await sharp(pixels, { raw: { width, height, channels: 1 } }).png().toFile(file);
}

/** A horizontal ramp: pixel (x, y) = round(255 * x / (width - 1)), identical in every row. */
export function ramp(width: number, height: number): Uint8Array {
  const pixels = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) pixels[y * width + x] = Math.round((255 * x) / (width - 1));
  }
  return pixels;
}

/** A mask with value 255 inside each [x0, y0, x1, y1) rectangle (0-based, end exclusive). */
export function rectangles(width: number, height: number,
  rects: ReadonlyArray<[number, number, number, number]>): Uint8Array {
  const mask = new Uint8Array(width * height);
  for (const [x0, y0, x1, y1] of rects) {
    for (let y = y0; y < y1; y++) mask.fill(255, y * width + x0, y * width + x1);
  }
  return mask;
}

/** Pascal VOC text for one image with the given boxes, all of class 'Decay'. */
export function vocXml(filename: string, width: number, height: number,
  boxes: readonly VocBox[]): string {
  const objects = boxes.map((box) => `  <object>
    <name>Decay</name>
    <difficult>0</difficult>
    <bndbox>
      <xmin>${box.xmin}</xmin>
      <ymin>${box.ymin}</ymin>
      <xmax>${box.xmax}</xmax>
      <ymax>${box.ymax}</ymax>
    </bndbox>
  </object>`).join('\n');
  return `<?xml version="1.0" ?><annotation>
  <folder>img</folder>
  <filename>${filename}</filename>
  <size>
    <width>${width}</width>
    <height>${height}</height>
    <depth>3</depth>
  </size>
${objects}
</annotation>`;
}

/** Size of the synthetic images of each center. */
export const SYNTHETIC = { A: { width: 64, height: 32 }, B: { width: 80, height: 40 } };

/**
 * A data folder with `countA` center-A images (image k has k + 1 separate square lesions)
 * and `countB` center-B images (image k has k + 1 boxes).
 * @returns the data folder's path
 */
export async function makeDataRoot(countA = 5, countB = 4): Promise<string> {
  const root = temporaryFolder();
  const a = SYNTHETIC.A;
  mkdirSync(join(root, 'dc1000', 'images'), { recursive: true });
  mkdirSync(join(root, 'dc1000', 'masks'), { recursive: true });
  for (let k = 0; k < countA; k++) {
    const squares = Array.from({ length: k + 1 }, (_, i): [number, number, number, number] =>
      [2 + 6 * i, 4, 5 + 6 * i, 7]);
    await writeGreyPng(join(root, 'dc1000', 'images', `${100 + k}.png`), ramp(a.width, a.height),
      a.width, a.height);
    await writeGreyPng(join(root, 'dc1000', 'masks', `${100 + k}.png`),
      rectangles(a.width, a.height, squares), a.width, a.height);
  }

  const b = SYNTHETIC.B;
  mkdirSync(join(root, 'cariesxrays', 'images'), { recursive: true });
  mkdirSync(join(root, 'cariesxrays', 'annotations'), { recursive: true });
  for (let k = 0; k < countB; k++) {
    const stem = `00${500 + k}`;
    const grey = ramp(b.width, b.height);
    const rgb = new Uint8Array(grey.length * 3).map((_, i) => grey[Math.floor(i / 3)]);
    await sharp(rgb, { raw: { width: b.width, height: b.height, channels: 3 } })
      .jpeg({ quality: 95 }).toFile(join(root, 'cariesxrays', 'images', `${stem}.jpg`));
    const boxes = Array.from({ length: k + 1 }, (_, i) =>
      ({ xmin: 20 + 8 * i, ymin: 15, xmax: 25 + 8 * i, ymax: 20 }));
    writeFileSync(join(root, 'cariesxrays', 'annotations', `${stem}.xml`),
      vocXml(`${stem}.jpg`, b.width, b.height, boxes));
  }
  return root;
}

/** The real data folder (resolveDataRoot's default), or undefined where it is absent. */
export function realDataRoot(): string | undefined {
  try {
    return resolveDataRoot();
  } catch {
    return undefined;
  }
}

/** Runs `body` with a fresh temporary folder, removed afterwards whatever happens. */
export async function inTemporaryFolder<T>(body: (folder: string) => Promise<T> | T):
  Promise<T> {
  const folder = temporaryFolder();
  try {
    return await body(folder);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/**
 * A training sample of `size` x `size`: a bright 4x4 square on a dark image, placed by
 * `index`; the mask is the square.
 */
export function squareSample(index: number, size = 16): { image: Float32Array; mask: Uint8Array } {
  const image = new Float32Array(size * size).fill(0.2);
  const mask = new Uint8Array(size * size);
  const top = 2 + ((index * 5) % (size - 6));
  const left = 2 + ((index * 3) % (size - 6));
  for (let row = top; row < top + 4; row++) {
    for (let column = left; column < left + 4; column++) {
      image[row * size + column] = 0.9;
      mask[row * size + column] = 1;
    }
  }
  return { image, mask };
}
