import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import sharp from 'sharp';

import { profiles } from '../lib/config/profiles.js';
import { buildManifest, type Center, recordsOf, roisOf } from '../lib/data/manifest.js';
import { quantile } from '../lib/data/pixel-stats.js';
import type { Sample } from '../lib/data/preprocess.js';
import { loadSamples } from '../lib/data/preprocess.js';
import {
  DENTITION_BAND, flagRestorations, RADIOPAQUE_LEVEL, radiopaqueMask, radiopaqueShare,
  RESTORATION_THRESHOLD,
} from '../lib/data/radiopacity.js';
import { maskOverlayPng, overlayPng } from '../lib/figures/overlay.js';
import { realDataRoot } from './data-synthetic.js';

const HEIGHT = 20;
const WIDTH = 40;
// The default band keeps rows round(0.15 * 20) = 3 to round(0.85 * 20) = 17: 14 rows.
const BAND_PIXELS = 14 * WIDTH;

/** Grey 0.5 everywhere, `value` in the rectangle rows y0..y1-1, columns x0..x1-1. */
function patchImage(value: number, [y0, y1, x0, x1]: [number, number, number, number]):
  Float32Array {
  const image = new Float32Array(HEIGHT * WIDTH).fill(0.5);
  for (let y = y0; y < y1; y++) image.fill(value, y * WIDTH + x0, y * WIDTH + x1);
  return image;
}

function sampleOf(id: string, image: Float32Array, mask = new Uint8Array(image.length)):
  Sample {
  return { id, center: 'B', height: HEIGHT, width: WIDTH, image, mask };
}

describe('radiopaqueShare on a synthetic image with a white patch', () => {
  // [name, patch value, rows and columns, options, expected share], counted by hand.
  const cases: [string, number, [number, number, number, number], object, number][] = [
    ['4x5 white patch inside the band', 1, [8, 12, 10, 15], {}, 20 / BAND_PIXELS],
    ['patch in the top rows, outside the band', 1, [0, 3, 10, 15], {}, 0],
    ['patch straddling the band edge', 1, [1, 5, 0, 10], {}, 20 / BAND_PIXELS],
    ['grey 0.85, below the default level 0.9', 0.85, [8, 12, 10, 15], {}, 0],
    ['exactly at the level counts', Math.fround(0.9), [8, 12, 10, 15],
      { level: Math.fround(0.9) }, 20 / BAND_PIXELS],
    ['a lower level flags it', 0.85, [8, 12, 10, 15], { level: 0.8 }, 20 / BAND_PIXELS],
    ['whole image as region', 1, [0, 3, 10, 15],
      { region: { left: 0, top: 0, right: 1, bottom: 1 } }, 15 / (HEIGHT * WIDTH)],
    ['level 0.4 flags the whole band', 1, [8, 12, 10, 15], { level: 0.4 }, 1],
  ];
  for (const [name, value, rect, options, expected] of cases) {
    test(name, () => {
      const share = radiopaqueShare(patchImage(value, rect), HEIGHT, WIDTH, options);
      assert.ok(Math.abs(share - expected) < 1e-15, `share ${share}, expected ${expected}`);
    });
  }

  test('the mask marks exactly the patch', () => {
    const mask = radiopaqueMask(patchImage(1, [8, 12, 10, 15]), HEIGHT, WIDTH);
    const marked = [...mask.keys()].filter((i) => mask[i] === 1);
    assert.equal(marked.length, 20);
    assert.ok(marked.every((i) => Math.floor(i / WIDTH) >= 8 && Math.floor(i / WIDTH) < 12 &&
      i % WIDTH >= 10 && i % WIDTH < 15));
  });

  test('defaults are the documented ones', () => {
    assert.equal(RADIOPAQUE_LEVEL, 0.9);
    assert.deepEqual(DENTITION_BAND, { left: 0, top: 0.15, right: 1, bottom: 0.85 });
    assert.equal(RESTORATION_THRESHOLD, 0.0005);
  });

  test('rejects a wrong image length, a level above 1 and an empty region', () => {
    const image = new Float32Array(HEIGHT * WIDTH);
    assert.throws(() => radiopaqueShare(image, HEIGHT, WIDTH + 1), /expected height x width/);
    assert.throws(() => radiopaqueShare(image, HEIGHT, WIDTH, { level: 230 }),
      /options.level must be a grey level in \[0, 1\], got 230/);
    assert.throws(() => radiopaqueShare(image, HEIGHT, WIDTH,
      { region: { left: 0.5, top: 0, right: 0.5, bottom: 1 } }), /left < right/);
  });
});

describe('flagRestorations', () => {
  const samples = [
    sampleOf('B-none', patchImage(0.5, [0, 0, 0, 0])),
    sampleOf('B-one-pixel', patchImage(1, [10, 11, 10, 11])), // share 1 / 560 = 0.0018
    sampleOf('B-filling', patchImage(1, [8, 12, 10, 15])), // share 20 / 560 = 0.036
  ];

  test('flags shares above the threshold, in order', () => {
    assert.deepEqual(flagRestorations(samples).map((f) => [f.id, f.flagged]),
      [['B-none', false], ['B-one-pixel', true], ['B-filling', true]]);
    assert.deepEqual(flagRestorations(samples, 0.01).map((f) => f.flagged),
      [false, false, true]);
    // "Above": a share equal to the threshold is not flagged.
    assert.equal(flagRestorations([samples[1]], 1 / BAND_PIXELS)[0].flagged, false);
  });

  test('rejects a threshold outside [0, 1]', () => {
    assert.throws(() => flagRestorations(samples, 5), /threshold must be a share in \[0, 1\]/);
  });
});

/** Decodes a PNG to RGB pixels with its size. */
async function decodePng(png: Buffer) {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

describe('overlay PNGs', () => {
  const image = patchImage(1, [8, 12, 10, 15]);
  image[0] = 0.2; // a grey pixel to check outside the flagged area
  const sample = sampleOf('B-filling', image);

  test('overlayPng: the sample\'s size, red where flagged, grey elsewhere', async () => {
    const flagged = radiopaqueMask(image, HEIGHT, WIDTH);
    const png = await decodePng(await overlayPng(sample, flagged));
    assert.deepEqual([png.width, png.height, png.channels], [WIDTH, HEIGHT, 3]);
    const rgb = (i: number) => [...png.data.subarray(3 * i, 3 * i + 3)];
    assert.deepEqual(rgb(9 * WIDTH + 12), [255, 0, 0]);
    assert.deepEqual(rgb(0), [51, 51, 51]); // round(0.2 * 255)
    assert.deepEqual(rgb(15 * WIDTH + 30), [128, 128, 128]); // round(0.5 * 255)
    const red = [...Array(HEIGHT * WIDTH).keys()].filter((i) => rgb(i).join() === '255,0,0');
    assert.equal(red.length, 20);
  });

  test('overlayPng with a width scales the picture in proportion', async () => {
    const png = await decodePng(await overlayPng(sample, new Uint8Array(HEIGHT * WIDTH),
      { width: 80 }));
    assert.deepEqual([png.width, png.height], [80, 40]);
  });

  test('maskOverlayPng blends the lesion colour at 45% over the grey', async () => {
    const mask = new Uint8Array(HEIGHT * WIDTH);
    mask[15 * WIDTH + 30] = 1;
    const png = await decodePng(await maskOverlayPng(sampleOf('B-lesion', image, mask),
      [255, 200, 0]));
    const at = 3 * (15 * WIDTH + 30);
    // grey 127.5: 127.5 + 0.45 * (255 - 127.5) = 184.9, + 0.45 * (200 - 127.5) = 160.1,
    // 127.5 * 0.55 = 70.1.
    assert.deepEqual([...png.data.subarray(at, at + 3)], [185, 160, 70]);
    assert.deepEqual([...png.data.subarray(0, 3)], [51, 51, 51]);
  });

  test('rejects a mask of the wrong size and an opacity above 1', async () => {
    await assert.rejects(overlayPng(sample, new Uint8Array(3)), /mask of 3/);
    await assert.rejects(overlayPng(sample, new Uint8Array(HEIGHT * WIDTH), { opacity: 2 }),
      /opacity must be in \[0, 1\]/);
  });
});

describe('real data: radiopaque shares per center (reported, loosely checked)',
  { skip: !realDataRoot() }, () => {
    test('distribution and flagged images at the laptop profile size', async (t) => {
      const manifest = await buildManifest(realDataRoot() as string);
      const size = { height: profiles.laptop.height, width: profiles.laptop.width };
      const percent = (value: number) => `${(100 * value).toFixed(3)}%`;
      for (const center of ['A', 'B'] as Center[]) {
        const records = recordsOf(manifest, center);
        const flags = flagRestorations(await loadSamples(records, roisOf(manifest), size));
        const shares = flags.map((f) => f.share);
        const test = flags.filter((f) =>
          records.find((r) => r.id === f.id)?.split === 'test');
        t.diagnostic(`${center}: share median ${percent(quantile(shares, 0.5))}, Q1 ` +
          `${percent(quantile(shares, 0.25))}, Q3 ${percent(quantile(shares, 0.75))}, max ` +
          `${percent(quantile(shares, 1))}; flagged ${flags.filter((f) => f.flagged).length}` +
          ` of ${flags.length}; test images flagged ${test.filter((f) => f.flagged).length}` +
          ` of ${test.length}: ${test.filter((f) => f.flagged).map((f) => f.id).join(' ')}`);
        if (center === 'B') {
          // Center B holds images with and without metal; both groups must be non-empty.
          assert.ok(flags.some((f) => f.flagged) && flags.some((f) => !f.flagged));
        }
      }
    });
  });
