import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { decodeCount } from '../lib/data/decode.js';
import {
  buildManifest, type ImageRecord, type Manifest, recordsOf, roisOf,
} from '../lib/data/manifest.js';
import { projectRoot } from '../lib/data/paths.js';
import { loadSample, loadSamples, sampleCacheDir } from '../lib/data/preprocess.js';
import { IDENTITY_ROI } from '../lib/data/roi.js';
import {
  inTemporaryFolder, makeDataRoot, ramp, rectangles, realDataRoot, SYNTHETIC, temporaryFolder,
  writeGreyPng,
} from './data-synthetic.js';

const sum = (values: ArrayLike<number>): number =>
  Array.from(values).reduce((total, value) => total + value, 0);
const cacheEntries = (folder: string): string[] =>
  existsSync(folder) ? readdirSync(folder) : [];

describe('loadSample on synthetic images', () => {
  let root: string;
  let manifest: Manifest;
  let cache: string;
  let a: ImageRecord;
  let b: ImageRecord;
  const full = { height: SYNTHETIC.A.height, width: SYNTHETIC.A.width };
  before(async () => {
    root = await makeDataRoot(2, 2);
    manifest = await buildManifest(root);
    a = recordsOf(manifest, 'A')[0];
    b = recordsOf(manifest, 'B')[1];
    cache = join(root, 'cache');
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('keeps a PNG exactly at its own size: grey / 255 and the 0/1 mask', async () => {
    const sample = await loadSample(a, IDENTITY_ROI, full, cache);
    assert.deepEqual([sample.id, sample.center, sample.height, sample.width],
      ['A-100', 'A', 32, 64]);
    const grey = ramp(64, 32);
    assert.ok(sample.image.every((value, i) => Math.abs(value - grey[i] / 255) < 1e-6));
    const lesion = rectangles(64, 32, [[2, 4, 5, 7]]);
    assert.deepEqual(Array.from(sample.mask), Array.from(lesion, (value) => value / 255));
  });

  it('crops the image and the mask identically', async () => {
    // Right half, bottom 3/4: columns 32..63, rows 8..31 (the lesion at rows 4..6 drops out).
    const roi = { left: 0.5, top: 0.25, right: 1, bottom: 1 };
    const sample = await loadSample(a, roi, { height: 24, width: 32 }, cache);
    const grey = ramp(64, 32);
    assert.ok(Math.abs(sample.image[0] - grey[8 * 64 + 32] / 255) < 1e-6);
    assert.ok(Math.abs(sample.image[31] - 1) < 1e-6);
    assert.equal(sum(sample.mask), 0);

    const left = await loadSample(a, { left: 0, top: 0, right: 0.5, bottom: 0.5 },
      { height: 16, width: 32 }, cache);
    assert.equal(sum(left.mask), 9);
    assert.equal(left.mask[4 * 32 + 2], 1);
    assert.equal(left.mask[3 * 32 + 2], 0);
  });

  it('halves by averaging the image and picking mask pixels (0/1 only)', async () => {
    const sample = await loadSample(a, IDENTITY_ROI, { height: 16, width: 32 }, cache);
    const grey = ramp(64, 32);
    for (const column of [0, 10, 31]) {
      const average = (grey[2 * column] + grey[2 * column + 1]) / 2 / 255;
      assert.ok(Math.abs(sample.image[5 * 32 + column] - average) <= 2 / 255,
        `column ${column}: ${sample.image[5 * 32 + column]} vs ${average}`);
    }
    assert.ok(sample.mask.every((value) => value === 0 || value === 1));
    assert.ok(sum(sample.mask) >= 1 && sum(sample.mask) <= 9, `mask sum ${sum(sample.mask)}`);
  });

  it('averages fine detail away when shrinking (no aliasing)', async () => {
    await inTemporaryFolder(async (folder) => {
      // Columns alternate 0 and 255; shrunk 4x each output pixel must be about 0.5, where
      // point sampling would give 0 or 1.
      const width = 64;
      const height = 8;
      const stripes = new Uint8Array(width * height).map((_, i) => (i % 2 === 1 ? 255 : 0));
      const image = join(folder, 'stripes.png');
      const mask = join(folder, 'mask.png');
      await writeGreyPng(image, stripes, width, height);
      await writeGreyPng(mask, new Uint8Array(width * height), width, height);
      const record: ImageRecord = { id: 'A-s', center: 'A', imagePath: image, labelPath: mask,
        labelSource: 'mask', lesionCount: 0, width, height, split: 'train' };
      const sample = await loadSample(record, IDENTITY_ROI, { height: 2, width: 16 }, folder);
      assert.ok(sample.image.every((value) => Math.abs(value - 0.5) < 0.02),
        `values ${Array.from(sample.image.slice(0, 16))}`);
    });
  });

  it('reads an RGB JPEG as grey and fills its boxes as the mask', async () => {
    const size = { height: SYNTHETIC.B.height, width: SYNTHETIC.B.width };
    const sample = await loadSample(b, IDENTITY_ROI, size, cache);
    const grey = ramp(SYNTHETIC.B.width, SYNTHETIC.B.height);
    const error = Math.max(...Array.from(sample.image,
      (value, i) => Math.abs(value - grey[i] / 255)));
    assert.ok(error < 0.05, `JPEG grey error ${error}`);
    // Two boxes (20,15)-(25,20) and (28,15)-(33,20), 1-based inclusive: 6 x 6 pixels each.
    assert.equal(sum(sample.mask), 72);
    assert.equal(sample.mask[14 * 80 + 19], 1);
    assert.equal(sample.mask[14 * 80 + 18], 0);
    assert.equal(sample.mask[13 * 80 + 19], 0);
  });

  it('reads mask values above 127 as lesion', async () => {
    await inTemporaryFolder(async (folder) => {
      const image = join(folder, 'image.png');
      const mask = join(folder, 'mask.png');
      await writeGreyPng(image, new Uint8Array([0, 50, 100, 150, 200, 250]), 6, 1);
      await writeGreyPng(mask, new Uint8Array([0, 1, 127, 128, 200, 255]), 6, 1);
      const record: ImageRecord = { id: 'A-x', center: 'A', imagePath: image, labelPath: mask,
        labelSource: 'mask', lesionCount: 1, width: 6, height: 1, split: 'train' };
      const sample = await loadSample(record, IDENTITY_ROI, { height: 1, width: 6 }, folder);
      assert.deepEqual(Array.from(sample.mask), [0, 0, 0, 1, 1, 1]);
    });
  });

  it('serves a second call from the cache without decoding', async () => {
    await inTemporaryFolder(async (folder) => {
      const size = { height: 8, width: 16 };
      const first = await loadSample(a, IDENTITY_ROI, size, folder);
      assert.equal(cacheEntries(folder).length, 1);
      const decodes = decodeCount();
      const second = await loadSample(a, IDENTITY_ROI, size, folder);
      assert.equal(decodeCount(), decodes, 'no decode on a cache hit');
      assert.deepEqual(second, first);

      await loadSample(a, IDENTITY_ROI, { height: 8, width: 8 }, folder);
      assert.equal(decodeCount(), decodes + 2, 'another size decodes image and mask again');
      assert.equal(cacheEntries(folder).length, 2);
    });
  });

  it('treats a damaged cache file as a miss and rewrites it', async () => {
    await inTemporaryFolder(async (folder) => {
      const size = { height: 8, width: 16 };
      const first = await loadSample(a, IDENTITY_ROI, size, folder);
      const file = join(folder, cacheEntries(folder)[0]);
      writeFileSync(file, readFileSync(file).subarray(0, 20));
      const decodes = decodeCount();
      assert.deepEqual(await loadSample(a, IDENTITY_ROI, size, folder), first);
      assert.equal(decodeCount(), decodes + 2);
      assert.equal(readFileSync(file).length, 16 + 2 * 8 * 16);
    });
  });

  const corruptions: Array<{ name: string; bytes: (png: Buffer) => Buffer }> = [
    { name: 'random bytes', bytes: () => Buffer.from(Array.from({ length: 500 }, (_, i) =>
      (i * 7919 + 13) % 256)) },
    { name: 'a truncated PNG', bytes: (png) => png.subarray(0, Math.floor(png.length / 2)) },
    { name: 'an empty file', bytes: () => Buffer.alloc(0) },
  ];
  for (const { name, bytes } of corruptions) {
    it(`names the file of ${name} and caches nothing`, async () => {
      await inTemporaryFolder(async (folder) => {
        const image = join(folder, 'broken.png');
        writeFileSync(image, bytes(readFileSync(a.imagePath)));
        const cacheFolder = join(folder, 'cache');
        await assert.rejects(loadSample({ ...a, imagePath: image }, IDENTITY_ROI, full,
          cacheFolder), (error: Error) =>
          error.message.startsWith(`Could not decode image ${image}`));
        assert.deepEqual(cacheEntries(cacheFolder), []);
      });
    });
  }

  it('names a corrupt mask file and caches nothing', async () => {
    await inTemporaryFolder(async (folder) => {
      const mask = join(folder, 'mask.png');
      writeFileSync(mask, 'not a png');
      await assert.rejects(loadSample({ ...a, labelPath: mask }, IDENTITY_ROI, full, folder),
        new RegExp(`Could not decode image ${mask}`));
      assert.deepEqual(cacheEntries(folder).filter((name) => name !== 'mask.png'), []);
    });
  });

  it('rejects an image whose size disagrees with its record', async () => {
    await inTemporaryFolder(async (folder) => {
      await assert.rejects(loadSample({ ...a, width: 65 }, IDENTITY_ROI, full, folder),
        /Image .*100\.png is 64x32, but its manifest record A-100 says 65x32/);
    });
  });

  it('rejects a size that is not a positive integer', async () => {
    await assert.rejects(loadSample(a, IDENTITY_ROI, { height: 0, width: 4 }, cache),
      /size\.height must be an integer >= 1, got 0/);
  });

  it('loads many in order, reporting progress and cache hits', async () => {
    await inTemporaryFolder(async (folder) => {
      const records = manifest.records;
      const seen: string[] = [];
      const onProgress = (done: number, total: number, id: string, cached: boolean): void => {
        seen.push(`${done}/${total} ${id} ${cached}`);
      };
      const size = { height: 8, width: 16 };
      const samples = await loadSamples(records, roisOf(manifest), size,
        { onProgress, cacheDir: folder });
      assert.deepEqual(samples.map((sample) => sample.id), records.map((record) => record.id));
      await loadSamples(records, roisOf(manifest), size, { onProgress, cacheDir: folder });
      assert.deepEqual(seen, [
        '1/4 A-100 false', '2/4 A-101 false', '3/4 B-00500 false', '4/4 B-00501 false',
        '1/4 A-100 true', '2/4 A-101 true', '3/4 B-00500 true', '4/4 B-00501 true',
      ]);
    });
  });
});

describe('sampleCacheDir', () => {
  it('prefers the argument, then STUDY_CACHE/samples, then <projectRoot>/.cache/samples', () => {
    const saved = process.env.STUDY_CACHE;
    try {
      assert.equal(sampleCacheDir('/x/y'), '/x/y');
      process.env.STUDY_CACHE = '/tmp/study-cache';
      assert.equal(sampleCacheDir(), join('/tmp/study-cache', 'samples'));
      delete process.env.STUDY_CACHE;
      assert.equal(sampleCacheDir(), join(projectRoot(), '.cache', 'samples'));
    } finally {
      if (saved === undefined) delete process.env.STUDY_CACHE;
      else process.env.STUDY_CACHE = saved;
    }
  });
});

describe('loadSamples on a few real images at 64x128', { skip: !realDataRoot() }, () => {
  let manifest: Manifest;
  const cache = temporaryFolder('dental-cache-');
  before(async () => { manifest = await buildManifest(realDataRoot() as string); });
  after(() => rmSync(cache, { recursive: true, force: true }));

  it('gives 64x128 grey images in [0, 1] with binary masks, then serves them cached', async () => {
    const records = [...recordsOf(manifest, 'A').slice(0, 2),
      ...recordsOf(manifest, 'B').slice(0, 2)];
    const size = { height: 64, width: 128 };
    const samples = await loadSamples(records, roisOf(manifest), size, { cacheDir: cache });
    for (const sample of samples) {
      assert.equal(sample.image.length, 64 * 128);
      assert.equal(sample.mask.length, 64 * 128);
      assert.ok(sample.image.every((value) => value >= 0 && value <= 1));
      assert.ok(sample.mask.every((value) => value === 0 || value === 1));
      const mean = sum(sample.image) / sample.image.length;
      assert.ok(mean > 0.1 && mean < 0.9, `${sample.id}: mean grey ${mean}`);
    }
    // Center B's boxes are about 100 px wide in a 1464-1588 px crop: several pixels at 128.
    assert.ok(samples.slice(2).every((sample) => sum(sample.mask) > 0));

    const decodes = decodeCount();
    const again = await loadSamples(records, roisOf(manifest), size, { cacheDir: cache });
    assert.equal(decodeCount(), decodes);
    assert.deepEqual(again, samples);
  });
});
