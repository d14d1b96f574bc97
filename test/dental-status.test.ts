import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import sharp from 'sharp';

import { buildManifest, recordsOf, type DentalStatus, type Manifest } from
  '../lib/data/manifest.js';
import { RESTORATION_THRESHOLD } from '../lib/data/radiopacity.js';
import { dentalStatusGroups, PROXY_SIZE } from '../lib/experiments/dental-status.js';
import { makeDataRoot, ramp, SYNTHETIC, temporaryFolder } from './data-synthetic.js';

/**
 * Puts a white (255) patch into a B image of the data folder. B images are 80x40 ramps whose
 * brightest pixel inside the crop (columns 16..63 of CARIES_XRAYS_ROI) is 255 * 63 / 79 = 203,
 * below the radiopaque level 0.9 (229.5); the patch, columns 30..41 and rows 16..25, lies
 * inside the crop (rows 10..32) and its dentition band (crop rows 3.5..19.5, rows 14..29).
 */
async function drawRestoration(root: string, stem: string): Promise<void> {
  const { width, height } = SYNTHETIC.B;
  const grey = ramp(width, height);
  for (let y = 16; y < 26; y++) grey.fill(255, y * width + 30, y * width + 42);
  const rgb = new Uint8Array(grey.length * 3).map((_, i) => grey[Math.floor(i / 3)]);
  await sharp(rgb, { raw: { width, height, channels: 3 } }).jpeg({ quality: 95 })
    .toFile(join(root, 'cariesxrays', 'images', `${stem}.jpg`));
}

/** The manifest with each B record's dentalStatus replaced by the given one, in B order. */
function withDentalStatus(manifest: Manifest, statuses: (DentalStatus | undefined)[]): Manifest {
  let k = 0;
  return { ...manifest, records: manifest.records.map((record) => {
    if (record.center !== 'B') return record;
    const dentalStatus = statuses[k++];
    return dentalStatus === undefined ? { ...record } : { ...record, dentalStatus };
  }) };
}

describe('dentalStatusGroups', () => {
  // 6 images of B: B-00500 .. B-00505; restorations drawn into B-00501 and B-00504.
  let root = '';
  let cache = '';
  let manifest: Manifest;
  const savedCache = process.env.STUDY_CACHE;
  const statuses: DentalStatus[] = [
    { restorations: 0, rootCanalFillings: 0 },
    { restorations: 2, rootCanalFillings: 0 },
    { restorations: 0, rootCanalFillings: 1 },
    { restorations: 0, rootCanalFillings: 0, crowns: 3 },
    { restorations: 1, rootCanalFillings: 3 },
    { restorations: 0, rootCanalFillings: 0 },
  ];

  before(async () => {
    root = await makeDataRoot(4, 6);
    await drawRestoration(root, '00501');
    await drawRestoration(root, '00504');
    cache = temporaryFolder('study-cache-');
    process.env.STUDY_CACHE = cache;
    manifest = await buildManifest(root, { seed: 1, testFraction: 0.2 });
  });
  after(() => {
    if (savedCache === undefined) delete process.env.STUDY_CACHE;
    else process.env.STUDY_CACHE = savedCache;
    for (const folder of [root, cache]) rmSync(folder, { recursive: true, force: true });
  });

  test('every B record labelled: the labels decide and no image is read', async () => {
    const labelled = withDentalStatus(manifest, statuses);
    // Images that cannot be read prove the labels alone decided.
    labelled.records = labelled.records.map((record) => record.center === 'B'
      ? { ...record, imagePath: join(root, 'missing', `${record.id}.jpg`) } : record);
    const groups = await dentalStatusGroups(labelled);

    assert.equal(groups.source, 'manifest labels');
    assert.deepEqual(groups.samples, []);
    // restorations + rootCanalFillings > 0; crowns do not count.
    assert.deepEqual(groups.sets, [
      { name: 'B with restorations', ids: ['B-00501', 'B-00502', 'B-00504'] },
      { name: 'B without restorations', ids: ['B-00500', 'B-00503', 'B-00505'] },
    ]);
    assert.deepEqual(groups.verdicts.map((verdict) => verdict.share), Array(6).fill(undefined));
  });

  test('precondition: six B images in id order, test images among them', () => {
    const ids = recordsOf(manifest, 'B').map((record) => record.id);
    assert.deepEqual(ids, ['B-00500', 'B-00501', 'B-00502', 'B-00503', 'B-00504', 'B-00505']);
    assert.ok(recordsOf(manifest, 'B', 'test').length >= 1);
  });

  test('one record without rootCanalFillings: the radiopacity proxy decides', async () => {
    const partly = withDentalStatus(manifest,
      [...statuses.slice(0, 5), { restorations: 4 }]);
    const groups = await dentalStatusGroups(partly);

    assert.equal(groups.source, 'radiopacity proxy');
    // The proxy sees only the drawn patches, not the labels (B-00502 is labelled restored).
    assert.deepEqual(groups.sets, [
      { name: 'B with restorations', ids: ['B-00501', 'B-00504'] },
      { name: 'B without restorations', ids: ['B-00500', 'B-00502', 'B-00503', 'B-00505'] },
    ]);
    assert.equal(groups.samples.length, 6);
    for (const sample of groups.samples) {
      assert.deepEqual([sample.height, sample.width], [PROXY_SIZE.height, PROXY_SIZE.width]);
    }
    for (const verdict of groups.verdicts) {
      const share = verdict.share ?? NaN;
      if (verdict.restored) {
        // 12 of 48 crop columns x 10 of the band's 16 rows: about 0.25 * 0.62 = 0.16.
        assert.ok(share > 0.1 && share < 0.25, `${verdict.id}: share ${share}`);
      } else {
        assert.equal(share, 0, `${verdict.id}: nothing reaches the level on a plain ramp`);
      }
      assert.equal(verdict.restored, share > RESTORATION_THRESHOLD);
    }
  });

  test('no record labelled at all: the proxy decides', async () => {
    const groups = await dentalStatusGroups(manifest);
    assert.equal(groups.source, 'radiopacity proxy');
    assert.deepEqual(groups.sets[0].ids, ['B-00501', 'B-00504']);
  });
});
