import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, rmSync, truncateSync, writeFileSync }
  from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it, test } from 'node:test';

import sharp from 'sharp';

import { type CenterCheck, checkDataset } from '../lib/data/check.js';
import { decodeImage } from '../lib/data/decode.js';
import type { VocBox } from '../lib/data/voc.js';
import { makeDataRoot, ramp, realDataRoot, rectangles, SYNTHETIC, temporaryFolder, vocXml,
  writeGreyPng } from './data-synthetic.js';

test('a clean synthetic folder: no problems, every image counted', async () => {
  const root = await makeDataRoot(5, 4);
  const [a, b] = await checkDataset(root);
  assert.deepEqual([a.good, a.problems, b.good, b.problems], [5, [], 4, []]);
  rmSync(root, { recursive: true, force: true });
});

test('one problem of each kind: all are listed, the good images still counted', async () => {
  const root = await makeDataRoot(6, 5);
  const dc = join(root, 'dc1000');
  const cx = join(root, 'cariesxrays');
  rmSync(join(dc, 'masks', '100.png'));                          // image without label
  writeFileSync(join(dc, 'masks', '999.png'), readFileSync(join(dc, 'masks', '101.png')));
  writeFileSync(join(dc, 'images', '102.png'), 'not an image');  // undecodable image
  const png = join(dc, 'images', '103.png');
  truncateSync(png, Math.floor(readFileSync(png).length / 2));   // truncated image
  writeFileSync(join(cx, 'annotations', '00500.xml'), '<annotation><size>');  // broken XML
  writeFileSync(join(cx, 'annotations', '00501.xml'),            // box outside the image
    vocXml('00501.jpg', SYNTHETIC.B.width, SYNTHETIC.B.height,
      [{ xmin: 70, ymin: 10, xmax: 95, ymax: 20 }]));

  const [a, b] = await checkDataset(root);
  const named = (problems: string[], file: string): boolean =>
    problems.some((problem) => problem.includes(file));
  assert.ok(named(a.problems, join('masks', '999.png')), 'label without image');
  assert.ok(named(a.problems, join('images', '100.png')), 'image without label');
  assert.ok(named(a.problems, join('images', '102.png')), 'undecodable image');
  assert.ok(named(a.problems, join('images', '103.png')), 'truncated image');
  assert.equal(a.problems.length, 4, a.problems.join('\n'));
  assert.equal(a.good, 3);   // 101, 104, 105
  assert.ok(named(b.problems, '00500.xml'), 'broken XML');
  assert.ok(named(b.problems, '00501.xml'), 'box outside the image');
  assert.equal(b.problems.length, 2, b.problems.join('\n'));
  assert.equal(b.good, 3);
  rmSync(root, { recursive: true, force: true });
});

test('the real samples are clean: 100 images of A, 50 of B', { skip: !realDataRoot() },
  async () => {
    const [a, b] = await checkDataset(realDataRoot() as string);
    assert.deepEqual([a.good, a.problems, b.good, b.problems], [100, [], 50, []]);
  });

describe('a folder seeded with one problem of each kind', () => {
  const { width, height } = SYNTHETIC.A;
  const lesion = rectangles(width, height, [[10, 10, 20, 20]]);
  /** A distinct 8-bit image per stem, so that only the intended copy is byte-identical. */
  const pixels = (offset: number): Uint8Array =>
    ramp(width, height).map((value) => Math.min(255, value + offset));
  let root: string;
  let checks: CenterCheck[];

  before(async () => {
    root = temporaryFolder();
    const images = join(root, 'dc1000', 'images');
    const masks = join(root, 'dc1000', 'masks');
    const boxImages = join(root, 'cariesxrays', 'images');
    const annotations = join(root, 'cariesxrays', 'annotations');
    for (const folder of [images, masks, boxImages, annotations]) {
      mkdirSync(folder, { recursive: true });
    }
    const raw = (channels: 1 | 2 | 3) => ({ raw: { width, height, channels } });
    const mask = (stem: string, data = lesion, w = width, h = height) =>
      writeGreyPng(join(masks, `${stem}.png`), data, w, h);

    // Good files of every kind a scanner writes.
    await writeGreyPng(join(images, 'grey8.png'), pixels(0), width, height);
    await sharp(Uint16Array.from(pixels(1), (v) => v * 257), raw(1)).toColourspace('grey16')
      .png().toFile(join(images, 'grey16.png'));
    const rgb = (data: Uint8Array) => Uint8Array.from({ length: data.length * 3 },
      (_, i) => data[Math.floor(i / 3)]);
    await sharp(rgb(pixels(2)), raw(3)).png({ palette: true, colours: 256, dither: 0 })
      .toFile(join(images, 'palette.png'));
    await sharp(Uint8Array.from({ length: width * height * 2 }, (_, i) =>
      (i % 2 === 0 ? pixels(3)[i / 2] : 128)), raw(2)).png().toFile(join(images, 'alpha.png'));
    // Stored 32 x 64, EXIF orientation 6: upright 64 x 32 like its (untagged) mask.
    await sharp(pixels(4), { raw: { width: height, height: width, channels: 1 } })
      .withMetadata({ orientation: 6 }).jpeg({ quality: 100 }).toFile(join(images, 'exif.jpg'));
    for (const stem of ['grey8', 'grey16', 'palette', 'alpha', 'exif']) await mask(stem);

    // Read, with a warning each.
    await sharp(pixels(5), raw(1)).jpeg().toFile(join(images, 'lying.png'));
    await mask('lying');
    await writeGreyPng(join(images, 'antialiased.png'), pixels(6), width, height);
    await mask('antialiased', lesion.map((value, i) => (value === 0 && i % 7 === 0 ? 60 : value)));
    await writeGreyPng(join(images, 'empty.png'), pixels(7), width, height);
    await mask('empty', new Uint8Array(width * height));
    await sharp(Uint16Array.from(pixels(8), (v) => v * 16), raw(1)).toColourspace('grey16')
      .png().toFile(join(images, 'twelve.png'));
    await mask('twelve');
    copyFileSync(join(images, 'grey8.png'), join(images, 'copy.png'));
    await mask('copy');

    // Problems.
    await writeGreyPng(join(images, 'truncated.png'), pixels(9), width, height);
    const full = readFileSync(join(images, 'truncated.png'));
    writeFileSync(join(images, 'truncated.png'), full.subarray(0, full.length / 2));
    await mask('truncated');
    await writeGreyPng(join(images, 'labelmap.png'), pixels(10), width, height);
    await mask('labelmap', lesion.map((value, i) => (value ? 1 : i % 2 === 0 ? 2 : 0)));
    await writeGreyPng(join(images, 'small.png'), pixels(11), width, height);
    await mask('small', new Uint8Array(8 * 4), 8, 4);
    await writeGreyPng(join(images, 'orphan-image.png'), pixels(12), width, height);
    await mask('orphan-label');
    await writeGreyPng(join(images, 'twice.png'), pixels(13), width, height);
    await sharp(pixels(14), raw(1)).tiff().toFile(join(images, 'twice.tif'));
    await mask('twice');

    const b = SYNTHETIC.B;
    const boxed = async (stem: string, boxes: VocBox[]) => {
      await sharp(ramp(b.width, b.height), { raw: { width: b.width, height: b.height,
        channels: 1 } }).jpeg().toFile(join(boxImages, `${stem}.jpg`));
      writeFileSync(join(annotations, `${stem}.xml`), vocXml(`${stem}.jpg`, b.width, b.height,
        boxes));
    };
    await boxed('good', [{ xmin: 5, ymin: 5, xmax: 10, ymax: 10 }]);
    await boxed('good2', [{ xmin: 6, ymin: 5, xmax: 10, ymax: 10 }]);
    await boxed('outside', [{ xmin: 90, ymin: 5, xmax: 95, ymax: 10 }]);
    await boxed('zero', [{ xmin: 9, ymin: 5, xmax: 9, ymax: 10 }]);
    writeFileSync(join(annotations, 'orphan.xml'), vocXml('orphan.jpg', b.width, b.height, []));
    checks = await checkDataset(root);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  const named = (list: string[], ...parts: string[]): boolean =>
    list.some((line) => parts.every((part) => line.includes(part)));

  const problemsA: Array<[string, string[]]> = [
    ['a truncated image', [join('images', 'truncated.png'), 'Could not decode']],
    ['a mask that is a label map', [join('masks', 'labelmap.png'), '3 distinct values']],
    ['a mask of another size', [join('masks', 'small.png'), 'is 8x4']],
    ['an image without label', [join('images', 'orphan-image.png'), 'has no label']],
    ['a label without image', [join('masks', 'orphan-label.png'), 'has no image']],
    ['two images with one id', ["stem 'twice'", 'twice.png and twice.tif']],
  ];
  const warningsA: Array<[string, string[]]> = [
    ['a lying extension', ['lying.png has extension .png but holds JPEG']],
    ['an antialiased mask', [join('masks', 'antialiased.png'), 'lesion where value > 127']],
    ['an empty mask', [join('masks', 'empty.png'), 'is empty']],
    ['12-bit data in 16 bits', [join('images', 'twelve.png'), 'brightest value is 4080']],
    ['a byte-identical copy', [join('images', 'grey8.png'), 'copy of', 'copy.png']],
    ['an EXIF-turned image', [join('images', 'exif.jpg'), 'EXIF orientation 6']],
  ];
  for (const [kind, parts] of problemsA) {
    it(`lists ${kind} as a problem`, () => assert.ok(named(checks[0].problems, ...parts),
      checks[0].problems.join('\n')));
  }
  for (const [kind, parts] of warningsA) {
    it(`lists ${kind} as a warning`, () => assert.ok(named(checks[0].warnings, ...parts),
      checks[0].warnings.join('\n')));
  }

  it('counts the good images of A and lists nothing else', () => {
    assert.equal(checks[0].problems.length, problemsA.length, checks[0].problems.join('\n'));
    assert.equal(checks[0].warnings.length, warningsA.length, checks[0].warnings.join('\n'));
    // grey8, grey16, palette, alpha, exif, lying, antialiased, empty, twelve, copy
    assert.equal(checks[0].good, 10);
  });

  it('lists the box problems of B and counts its good images', () => {
    const [, b] = checks;
    assert.ok(named(b.problems, 'outside.xml', 'lies outside the 80x40 image'));
    assert.ok(named(b.problems, 'zero.xml', 'has zero area'));
    assert.ok(named(b.problems, 'orphan.xml', 'has no image'));
    assert.equal(b.problems.length, 3, b.problems.join('\n'));
    assert.equal(b.good, 2);
  });

  it('reads the good files of every kind on the stated 8-bit scale', async () => {
    const read = async (name: string) => {
      const file = join(root, 'dc1000', 'images', name);
      return decodeImage(readFileSync(file), file);
    };
    assert.deepEqual([...(await read('grey8.png')).data], [...pixels(0)]);
    assert.deepEqual([...(await read('grey16.png')).data], [...pixels(1)]); // v * 257 / 257
    assert.deepEqual([...(await read('palette.png')).data], [...pixels(2)]);
    assert.deepEqual([...(await read('alpha.png')).data], [...pixels(3)]);
    const twelve = await read('twelve.png');
    assert.deepEqual([...twelve.data], Array.from(pixels(8), (v) => Math.round((v * 16) / 257)));
    // The EXIF image: upright 64 x 32, pixel (x, y) upright = stored (y, 31 - x)... turned
    // 90° clockwise, so upright row 0 is stored column 0 read bottom to top; JPEG error <= 2.
    const exif = await read('exif.jpg');
    assert.deepEqual([exif.width, exif.height], [width, height]);
    const stored = pixels(4);
    let worst = 0;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const expected = stored[(width - 1 - x) * height + y];
        worst = Math.max(worst, Math.abs(exif.data[y * width + x] - expected));
      }
    }
    assert.ok(worst <= 3, `largest difference ${worst}`);
  });
});
