import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import {
  buildManifest, dataHash, loadManifest, type Manifest, recordsOf, roisOf, saveManifest, testCount,
} from '../lib/data/manifest.js';
import { CARIES_XRAYS_ROI, IDENTITY_ROI } from '../lib/data/roi.js';
import {
  makeDataRoot, realDataRoot, SYNTHETIC, temporaryFolder, vocXml, writeGreyPng,
} from './data-synthetic.js';

const ids = (manifest: Manifest, split: 'train' | 'test'): string[] =>
  manifest.records.filter((record) => record.split === split).map((record) => record.id);

describe('testCount', () => {
  const cases: Array<[n: number, fraction: number, expected: number]> = [
    [100, 0.2, 20], [50, 0.2, 10], [5, 0.2, 1], [4, 0.2, 1], [10, 0.25, 3],
    [2, 0, 1], [2, 0.9, 1], [3, 0.99, 2], [1, 0.2, 0], [0, 0.2, 0],
  ];
  for (const [n, fraction, expected] of cases) {
    it(`${n} images, fraction ${fraction}: ${expected} held out`, () => {
      assert.equal(testCount(n, fraction), expected);
    });
  }
  for (const fraction of [1, -0.1, Number.NaN]) {
    it(`rejects fraction ${fraction}`, () => {
      assert.throws(() => testCount(10, fraction), /testFraction must be in \[0, 1\)/);
    });
  }
});

describe('buildManifest on synthetic folders', () => {
  let root: string;
  before(async () => { root = await makeDataRoot(5, 4); });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('imports center A from pixel masks, counting 8-connected lesions', async () => {
    const manifest = await buildManifest(root);
    const a = recordsOf(manifest, 'A');
    assert.deepEqual(a.map((record) => record.id), ['A-100', 'A-101', 'A-102', 'A-103', 'A-104']);
    assert.deepEqual(a.map((record) => record.lesionCount), [1, 2, 3, 4, 5]);
    for (const record of a) {
      assert.equal(record.labelSource, 'mask');
      assert.deepEqual([record.width, record.height], [SYNTHETIC.A.width, SYNTHETIC.A.height]);
      assert.equal(record.imagePath, join(root, 'dc1000', 'images', `${record.id.slice(2)}.png`));
      assert.equal(record.labelPath, join(root, 'dc1000', 'masks', `${record.id.slice(2)}.png`));
    }
  });

  it('imports center B from VOC boxes, one lesion per box', async () => {
    const manifest = await buildManifest(root);
    const b = recordsOf(manifest, 'B');
    assert.deepEqual(b.map((record) => record.id), ['B-00500', 'B-00501', 'B-00502', 'B-00503']);
    assert.deepEqual(b.map((record) => record.lesionCount), [1, 2, 3, 4]);
    assert.ok(b.every((record) => record.labelSource === 'boxes'));
    assert.ok(b.every((record) => record.labelPath.endsWith('.xml')));
  });

  it('carries the default crops, or the configured ones', async () => {
    assert.deepEqual(roisOf(await buildManifest(root)), { A: IDENTITY_ROI, B: CARIES_XRAYS_ROI });
    const roi = { left: 0.1, top: 0.2, right: 0.9, bottom: 0.8 };
    assert.deepEqual((await buildManifest(root, { roi: { B: roi } })).centers.B.roi, roi);
    await assert.rejects(buildManifest(root, { roi: { A: { ...roi, left: 0.95 } } }),
      /center A roi: expected left < right/);
  });

  it('holds out round(n * testFraction) per center, at least one', async () => {
    const manifest = await buildManifest(root, { testFraction: 0.5 });
    assert.equal(recordsOf(manifest, 'A', 'test').length, 3);
    assert.equal(recordsOf(manifest, 'A', 'train').length, 2);
    assert.equal(recordsOf(manifest, 'B', 'test').length, 2);
    const small = await buildManifest(root, { testFraction: 0 });
    assert.equal(recordsOf(small, 'B', 'test').length, 1);
  });

  it('saves and loads the same manifest', async () => {
    const manifest = await buildManifest(root);
    const file = join(root, 'out', 'manifest.json');
    saveManifest(file, manifest);
    assert.deepEqual(loadManifest(file), manifest);
  });

  it('hashes the data, not the split or the folder', async () => {
    const first = await buildManifest(root, { seed: 1 });
    assert.match(first.hash, /^[0-9a-f]{64}$/);
    assert.equal((await buildManifest(root, { seed: 2 })).hash, first.hash);
    assert.equal(dataHash(first.records), first.hash);

    const xml = join(root, 'cariesxrays', 'annotations', '00500.xml');
    const original = readFileSync(xml, 'utf8');
    writeFileSync(xml, original.replace('<ymax>20</ymax>', '<ymax>21</ymax>'));
    try {
      assert.notEqual((await buildManifest(root, { seed: 1 })).hash, first.hash);
    } finally {
      writeFileSync(xml, original);
    }
  });
});

describe('buildManifest errors name the file', () => {
  let root: string;
  before(async () => { root = await makeDataRoot(2, 2); });
  after(() => rmSync(root, { recursive: true, force: true }));

  /**
   * Sets `file` to `content` (removes it when undefined), expects buildManifest to reject
   * with `message`, then puts the original back.
   */
  async function expectFailure(file: string, content: string | Uint8Array | undefined,
    message: RegExp): Promise<void> {
    const original = existsSync(file) ? readFileSync(file) : undefined;
    if (content === undefined) rmSync(file);
    else writeFileSync(file, content);
    try {
      await assert.rejects(buildManifest(root), message);
    } finally {
      if (original === undefined) rmSync(file);
      else writeFileSync(file, original);
    }
  }
  const annotation = (stem: string): string =>
    join(root, 'cariesxrays', 'annotations', `${stem}.xml`);

  it('an image without mask', async () => {
    await expectFailure(join(root, 'dc1000', 'masks', '101.png'), undefined,
      /Image .*dc1000\/images\/101\.png has no label/);
  });

  it('an image that is not an image', async () => {
    await expectFailure(join(root, 'cariesxrays', 'images', '00501.jpg'), 'not a jpeg at all',
      /Could not decode image .*cariesxrays\/images\/00501\.jpg \(header\)/);
  });

  it('an annotation without image', async () => {
    await expectFailure(annotation('09999'), vocXml('09999.jpg', 80, 40, []),
      /Label .*annotations\/09999\.xml has no image/);
  });

  const badAnnotations: Array<{ name: string; xml: string; message: RegExp }> = [
    { name: 'a box outside the image',
      xml: vocXml('00501.jpg', 80, 40, [{ xmin: 70, ymin: 5, xmax: 81, ymax: 9 }]),
      message: /00501\.xml object\[0\]: bndbox \(70,5\)-\(81,9\) lies outside the 80x40/ },
    { name: 'a box of zero area',
      xml: vocXml('00501.jpg', 80, 40, [{ xmin: 9, ymin: 5, xmax: 9, ymax: 9 }]),
      message: /00501\.xml object\[0\]: bndbox \(9,5\)-\(9,9\) has zero area/ },
    { name: 'an annotation whose size disagrees with its image',
      xml: vocXml('00501.jpg', 81, 40, []),
      message: /00501\.xml: field 'size' says 81x40, expected .* 80x40/ },
  ];
  for (const { name, xml, message } of badAnnotations) {
    it(name, async () => {
      await expectFailure(annotation('00501'), xml, message);
    });
  }

  it('a corrupt mask, and a mask whose size differs from its image', async () => {
    const mask = join(root, 'dc1000', 'masks', '100.png');
    await expectFailure(mask, Buffer.alloc(0), /Could not decode image .*dc1000\/masks\/100\.png/);
    await writeGreyPng(`${mask}.small`, new Uint8Array(8 * 4), 8, 4);
    const small = readFileSync(`${mask}.small`);
    rmSync(`${mask}.small`);
    await expectFailure(mask, small,
      /Mask .*100\.png is 8x4, expected the size of its image .*100\.png, 64x32/);
  });

  it('a missing center folder, with instructions to get the samples', async () => {
    const empty = temporaryFolder();
    try {
      await assert.rejects(buildManifest(empty), (error: Error) =>
        /Center A: folder .*dc1000 does not exist/.test(error.message) &&
        error.message.includes('Zzz512/MLUA') && error.message.includes('npm run data'));
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('loadManifest errors', () => {
  const folder = temporaryFolder();
  after(() => rmSync(folder, { recursive: true, force: true }));
  const cases: Array<{ name: string; text: string | undefined; message: RegExp }> = [
    { name: 'missing file', text: undefined, message: /Could not read manifest .*case-0\.json/ },
    { name: 'not JSON', text: '{', message: /Could not read manifest .*case-1\.json/ },
    { name: 'no hash', text: '{}', message: /case-2\.json: field 'hash' must be a string/ },
    { name: 'no centers', text: '{"hash":"x"}',
      message: /field 'centers\.A\.name' must be a string/ },
  ];
  cases.forEach(({ name, text, message }, index) => {
    it(name, () => {
      const file = join(folder, `case-${index}.json`);
      if (text !== undefined) writeFileSync(file, text);
      assert.throws(() => loadManifest(file), message);
    });
  });
});

describe('buildManifest on the real samples', { skip: !realDataRoot() }, () => {
  let manifest: Manifest;
  before(async () => { manifest = await buildManifest(realDataRoot() as string); });

  it('has 100 center-A records labelled by masks, 1536x768', () => {
    const a = recordsOf(manifest, 'A');
    assert.equal(a.length, 100);
    assert.ok(a.every((record) => record.labelSource === 'mask'));
    assert.ok(a.every((record) => record.width === 1536 && record.height === 768));
    assert.ok(a.every((record) => record.lesionCount >= 1), 'every image has a lesion');
  });

  it('has 50 center-B records with 82 boxes in total', () => {
    const b = recordsOf(manifest, 'B');
    assert.equal(b.length, 50);
    assert.ok(b.every((record) => record.labelSource === 'boxes' && record.height === 1280));
    assert.equal(b.reduce((total, record) => total + record.lesionCount, 0), 82);
  });

  it('has unique ids', () => {
    assert.equal(new Set(manifest.records.map((record) => record.id)).size, 150);
  });

  it('splits 80/20 and 40/10 with the default testFraction 0.2', () => {
    assert.equal(recordsOf(manifest, 'A', 'train').length, 80);
    assert.equal(recordsOf(manifest, 'A', 'test').length, 20);
    assert.equal(recordsOf(manifest, 'B', 'train').length, 40);
    assert.equal(recordsOf(manifest, 'B', 'test').length, 10);
  });

  it('draws the same split for the same seed and another for another seed', async () => {
    const root = realDataRoot() as string;
    const again = await buildManifest(root);
    assert.deepEqual(ids(again, 'test'), ids(manifest, 'test'));
    const other = await buildManifest(root, { seed: 7 });
    assert.notDeepEqual(ids(other, 'test'), ids(manifest, 'test'));
    assert.equal(other.hash, manifest.hash);
  });
});
