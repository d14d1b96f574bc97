/**
 * Labels that do not fit their image: masks drawn ignoring the image's EXIF orientation,
 * VOC sizes of the stored (unturned) image, 0-based boxes, ids shared across centers.
 */
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import sharp from 'sharp';

import { importMaskCenter } from '../lib/data/import-masks.js';
import { importVocCenter } from '../lib/data/import-voc.js';
import { buildManifest } from '../lib/data/manifest.js';
import { validateBox } from '../lib/data/voc.js';
import { inTemporaryFolder, makeDataRoot, rectangles, vocXml, writeGreyPng }
  from './data-synthetic.js';

/** A JPEG stored 8 wide and 4 high with EXIF orientation 6, i.e. 4 x 8 upright. */
async function turnedJpeg(file: string): Promise<void> {
  await sharp(new Uint8Array(32).fill(90), { raw: { width: 8, height: 4, channels: 1 } })
    .withMetadata({ orientation: 6 }).jpeg().toFile(file);
}

describe('labels and EXIF orientation', () => {
  it('a mask of the upright size is accepted, with a warning naming the orientation',
    async () => {
      await inTemporaryFolder(async (folder) => {
        mkdirSync(join(folder, 'images'));
        mkdirSync(join(folder, 'masks'));
        await turnedJpeg(join(folder, 'images', '1.jpg'));
        await writeGreyPng(join(folder, 'masks', '1.png'), rectangles(4, 8, [[0, 0, 2, 2]]), 4, 8);
        const warnings: string[] = [];
        const [record] = await importMaskCenter(folder, 'A', undefined, warnings);
        assert.deepEqual([record.width, record.height, record.lesionCount], [4, 8, 1]);
        assert.equal(warnings.length, 1);
        assert.match(warnings[0],
          /carries EXIF orientation 6 \(rotated 90° clockwise\), its mask/);
      });
    });

  it('a mask of the stored size is an error that says the tag was likely ignored',
    async () => {
      await inTemporaryFolder(async (folder) => {
        mkdirSync(join(folder, 'images'));
        mkdirSync(join(folder, 'masks'));
        await turnedJpeg(join(folder, 'images', '1.jpg'));
        await writeGreyPng(join(folder, 'masks', '1.png'), rectangles(8, 4, [[0, 0, 2, 2]]), 8, 4);
        await assert.rejects(importMaskCenter(folder, 'A'), new RegExp("Mask .*1\\.png is " +
          "8x4, expected .* 4x8; the label has the image's size as stored, before its EXIF " +
          'orientation 6'));
      });
    });

  it('a VOC size of the stored image is an error with the same hint; upright boxes pass',
    async () => {
      await inTemporaryFolder(async (folder) => {
        mkdirSync(join(folder, 'images'));
        mkdirSync(join(folder, 'annotations'));
        await turnedJpeg(join(folder, 'images', '1.jpg'));
        const xml = join(folder, 'annotations', '1.xml');
        writeFileSync(xml, vocXml('1.jpg', 8, 4, [{ xmin: 1, ymin: 1, xmax: 3, ymax: 3 }]));
        await assert.rejects(importVocCenter(folder, 'B'),
          /field 'size' says 8x4, expected .* 4x8; the label has the image's size as stored/);

        writeFileSync(xml, vocXml('1.jpg', 4, 8, [{ xmin: 1, ymin: 1, xmax: 3, ymax: 7 }]));
        const warnings: string[] = [];
        const [record] = await importVocCenter(folder, 'B', undefined, warnings);
        assert.deepEqual([record.width, record.height, record.lesionCount], [4, 8, 1]);
        assert.match(warnings.join('\n'), /boxes of .*1\.xml taken as drawn on the upright image/);
      });
    });
});

describe('boxes and ids', () => {
  it('a box starting at 0 is outside, and the message suspects 0-based coordinates', () => {
    assert.throws(() => validateBox({ xmin: 0, ymin: 3, xmax: 5, ymax: 6 }, 40, 30, 'a.xml'),
      /a\.xml: bndbox \(0,3\)-\(5,6\) lies outside .*; 0-based coordinates\? VOC counts from 1/);
  });

  it('the same stem in both centers gives two ids, A-x and B-x', async () => {
    const root = await makeDataRoot(2, 2);
    try {
      // Center B's stems are 00500, 00501; give center A an image and mask named 00500 too.
      const a = join(root, 'dc1000');
      await writeGreyPng(join(a, 'images', '00500.png'), new Uint8Array(64 * 32).fill(9), 64, 32);
      await writeGreyPng(join(a, 'masks', '00500.png'), rectangles(64, 32, [[1, 1, 4, 4]]), 64,
        32);
      const ids = (await buildManifest(root)).records.map((record) => record.id);
      assert.ok(ids.includes('A-00500') && ids.includes('B-00500'), ids.join(' '));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('two files with one stem: both named, and both left out when problems are collected',
    async () => {
      await inTemporaryFolder(async (folder) => {
        mkdirSync(join(folder, 'images'));
        mkdirSync(join(folder, 'masks'));
        for (const name of ['1.png', '1.tif', '2.png']) {
          await sharp(new Uint8Array(16).fill(5), { raw: { width: 4, height: 4, channels: 1 } })
            .toFile(join(folder, 'images', name));
        }
        for (const stem of ['1', '2']) {
          await writeGreyPng(join(folder, 'masks', `${stem}.png`),
            rectangles(4, 4, [[0, 0, 1, 1]]), 4, 4);
        }
        await assert.rejects(importMaskCenter(folder, 'A'),
          /Two files with stem '1' in .*images: 1\.png and 1\.tif would get the same image id/);
        const problems: string[] = [];
        const records = await importMaskCenter(folder, 'A', problems);
        assert.deepEqual(records.map((record) => record.id), ['A-2']);
        assert.equal(problems.length, 1, problems.join('\n'));
      });
    });
});
