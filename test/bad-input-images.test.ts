/**
 * Image files as scanners and tools write them: every bit depth and channel layout read on
 * one scale (8-bit as is, 16-bit v -> round(v / 257)), EXIF orientation applied, the format
 * taken from the content, and unreadable files rejected naming the file.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import sharp from 'sharp';

import { decodeImage, formatMismatch, imageHeader } from '../lib/data/decode.js';
import { maskFromValues } from '../lib/data/mask-values.js';
import { inTemporaryFolder } from './data-synthetic.js';

const W = 4;
const H = 2;
const raw = (channels: 1 | 2 | 3 | 4) => ({ raw: { width: W, height: H, channels } });

/**
 * A one-strip, uncompressed, little-endian grey TIFF of 32-bit float samples (sharp always
 * saves 8 or 16 bits, so this is written by hand).
 */
function floatTiff(pixels: Float32Array, width: number, height: number): Buffer {
  // tag, type (3 short, 4 long), value
  const tags: Array<[number, number, number]> = [[256, 4, width], [257, 4, height],
    [258, 3, 32], [259, 3, 1], [262, 3, 1], [273, 4, 0], [277, 3, 1], [278, 4, height],
    [279, 4, pixels.length * 4], [339, 3, 3]];
  const ifdBytes = 2 + tags.length * 12 + 4;
  const dataOffset = 8 + ifdBytes;
  const file = Buffer.alloc(dataOffset + pixels.length * 4);
  file.write('II', 0, 'latin1');
  file.writeUInt16LE(42, 2);
  file.writeUInt32LE(8, 4);
  file.writeUInt16LE(tags.length, 8);
  tags.forEach(([tag, type, value], i) => {
    const at = 10 + i * 12;
    file.writeUInt16LE(tag, at);
    file.writeUInt16LE(type, at + 2);
    file.writeUInt32LE(1, at + 4);
    if (type === 3) file.writeUInt16LE(value, at + 8);
    else file.writeUInt32LE(tag === 273 ? dataOffset : value, at + 8);
  });
  pixels.forEach((value, i) => file.writeFloatLE(value, dataOffset + i * 4));
  return file;
}

async function decoded(bytes: Uint8Array) {
  return decodeImage(bytes, 'test-image');
}

describe('every bit depth and channel layout on one scale', () => {
  const grey8 = Uint8Array.of(0, 1, 100, 255, 10, 20, 30, 40);

  it('8-bit grey is read as it is', async () => {
    const image = await decoded(await sharp(grey8, raw(1)).png().toBuffer());
    assert.deepEqual([...image.data], [...grey8]);
    assert.equal(image.fullScale, 255);
  });

  it('16-bit grey keeps its values and scales them by 1/257 to 8 bits', async () => {
    const grey16 = Uint16Array.of(0, 257, 32768, 65535, 4095, 128, 129, 65280);
    const png = await sharp(grey16, raw(1)).toColourspace('grey16').png().toBuffer();
    const image = await decoded(png);
    assert.equal(image.fullScale, 65535);
    assert.deepEqual([...image.values], [...grey16]);
    // round(v / 257): 128 / 257 = 0.498 -> 0, 129 / 257 = 0.502 -> 1, 4095 -> 15.93 -> 16
    assert.deepEqual([...image.data], [0, 1, 128, 255, 16, 0, 1, 254]);
  });

  it('RGB with R = G = B gives that value; colour becomes sRGB-encoded luminance', async () => {
    const rgb = Uint8Array.of(7, 7, 7, 200, 200, 200, 255, 0, 0, 0, 255, 0,
      0, 0, 255, 0, 0, 0, 255, 255, 255, 90, 90, 90);
    const image = await decoded(await sharp(rgb, raw(3)).png().toBuffer());
    // red, green, blue: Rec. 709 weights 0.2126, 0.7152, 0.0722 in linear light, sRGB-encoded
    assert.deepEqual([...image.data], [7, 200, 127, 220, 76, 0, 255, 90]);
  });

  it('16-bit RGB with R = G = B keeps its 16-bit value', async () => {
    const rgb16 = new Uint16Array(W * H * 3).fill(1000);
    const png = await sharp(rgb16, raw(3)).toColourspace('rgb16').png().toBuffer();
    const image = await decoded(png);
    assert.ok(image.values.every((value) => value === 1000));
    assert.ok(image.data.every((value) => value === 4)); // round(1000 / 257)
  });

  it('grey with alpha: the alpha is dropped, grey values kept (not composited)', async () => {
    const greyAlpha = Uint8Array.from({ length: W * H * 2 }, (_, i) =>
      (i % 2 === 0 ? grey8[i / 2] : (i * 37) % 256));
    const image = await decoded(await sharp(greyAlpha, raw(2)).png().toBuffer());
    assert.deepEqual([...image.data], [...grey8]);
  });

  it('a palette PNG is expanded to its (grey) colours', async () => {
    const rgb = Uint8Array.from({ length: W * H * 3 }, (_, i) => grey8[Math.floor(i / 3)]);
    const png = await sharp(rgb, raw(3)).png({ palette: true, colours: 16, dither: 0 })
      .toBuffer();
    assert.equal((await sharp(png).metadata()).isPalette, true);
    assert.deepEqual([...(await decoded(png)).data], [...grey8]);
  });

  it('float samples are rejected, naming the file and what to do', async () => {
    const tiff = floatTiff(Float32Array.of(0, 0.5, 1, 0.25, 0, 0, 0, 0), W, H);
    assert.equal((await sharp(tiff).metadata()).depth, 'float');
    await assert.rejects(decodeImage(tiff, 'scan.tif'),
      /Could not decode image scan\.tif: samples are 'float'; expected 8- or 16-bit/);
  });
});

describe('EXIF orientation: read upright, image and mask alike', () => {
  // Stored 4 x 2; orientation 6 (rotate 90° clockwise) shows it 2 x 4.
  const stored = Uint8Array.of(0, 1, 2, 3, 4, 5, 6, 7);

  it('a PNG and a JPEG with orientation 6 are turned 90° clockwise', async () => {
    const png = await sharp(stored, raw(1)).withMetadata({ orientation: 6 }).png().toBuffer();
    const image = await decoded(png);
    assert.deepEqual([image.width, image.height, image.orientation], [2, 4, 6]);
    // Row 0 of the upright image is column 0 of the stored one, read bottom to top.
    assert.deepEqual([...image.data], [4, 0, 5, 1, 6, 2, 7, 3]);

    const jpeg = await sharp(stored, raw(1)).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    const turned = await decoded(jpeg);
    assert.deepEqual([turned.width, turned.height, turned.format], [2, 4, 'jpeg']);
  });

  it('the header reports the upright size and the stored one', async () => {
    await inTemporaryFolder(async (folder) => {
      const file = join(folder, 'x.jpg');
      await sharp(stored, raw(1)).withMetadata({ orientation: 8 }).jpeg().toFile(file);
      assert.deepEqual(await imageHeader(file), { width: 2, height: 4, format: 'jpeg',
        orientation: 8, storedWidth: 4, storedHeight: 2 });
    });
  });
});

describe('unreadable files and lying extensions', () => {
  it('a truncated PNG or JPEG and a non-image fail naming the file', async () => {
    const pixels = Uint8Array.from({ length: 64 * 64 }, (_, i) => (i * 7) % 256);
    const png = await sharp(pixels, { raw: { width: 64, height: 64, channels: 1 } }).png()
      .toBuffer();
    const jpeg = await sharp(pixels, { raw: { width: 64, height: 64, channels: 1 } }).jpeg()
      .toBuffer();
    for (const [name, bytes] of [['half.png', png.subarray(0, png.length / 2)],
      ['half.jpg', jpeg.subarray(0, jpeg.length / 2)], ['text.png', Buffer.from('hello')],
      ['empty.png', Buffer.alloc(0)]] as const) {
      await assert.rejects(decodeImage(bytes, name), (error: Error) =>
        error.message.startsWith(`Could not decode image ${name}: `), name);
    }
  });

  it('a JPEG named .png is read as JPEG, and the mismatch is named', async () => {
    await inTemporaryFolder(async (folder) => {
      const file = join(folder, 'scan.png');
      await sharp(Uint8Array.of(0, 50, 100, 150, 200, 250, 0, 0), raw(1)).jpeg({ quality: 100 })
        .toFile(file);
      const image = await decodeImage(readFileSync(file), file);
      assert.equal(image.format, 'jpeg');
      assert.match(formatMismatch(file, image.format) ?? '',
        /scan\.png has extension \.png but holds JPEG data; read as JPEG/);
      writeFileSync(join(folder, 'ok.jpeg'), '');
      assert.equal(formatMismatch(join(folder, 'ok.jpeg'), 'jpeg'), undefined);
      assert.equal(formatMismatch('a.TIF', 'tiff'), undefined);
    });
  });
});

describe('mask values: which pixels are lesion', () => {
  type Case = { name: string; values: number[]; fullScale: number; mask?: number[];
    rule?: string; error?: RegExp };
  const cases: Case[] = [
    { name: '0/255', values: [0, 255, 255, 0], fullScale: 255, mask: [0, 1, 1, 0],
      rule: 'binary' },
    { name: '0/1 (not read as empty)', values: [0, 1, 0, 1], fullScale: 255,
      mask: [0, 1, 0, 1], rule: 'binary' },
    { name: '16-bit 0/1', values: [1, 0, 0, 0], fullScale: 65535, mask: [1, 0, 0, 0],
      rule: 'binary' },
    { name: '16-bit 0/65535', values: [0, 65535, 0, 0], fullScale: 65535, mask: [0, 1, 0, 0],
      rule: 'binary' },
    { name: 'all 0: an empty mask', values: [0, 0, 0, 0], fullScale: 255, mask: [0, 0, 0, 0],
      rule: 'binary' },
    { name: 'antialiased 0/255: cut at > 127', values: [0, 127, 128, 255], fullScale: 255,
      mask: [0, 0, 1, 1], rule: 'thresholded' },
    { name: 'a label map 0/1/2', values: [0, 1, 2, 0], fullScale: 255,
      error: /Mask m\.png holds 3 distinct values \(0, 1, 2\); expected 0 for background/ },
    { name: 'no background', values: [255, 255, 255, 255], fullScale: 255,
      error: /Mask m\.png marks every pixel as lesion/ },
    { name: 'no background, antialiased', values: [200, 255, 255, 255], fullScale: 255,
      error: /Mask m\.png marks every pixel as lesion/ },
  ];
  for (const { name, values, fullScale, mask, rule, error } of cases) {
    it(name, () => {
      const typed = fullScale === 255 ? Uint8Array.from(values) : Uint16Array.from(values);
      if (error) {
        assert.throws(() => maskFromValues(typed, fullScale, 'm.png'), error);
        return;
      }
      const reading = maskFromValues(typed, fullScale, 'm.png');
      assert.deepEqual([[...reading.mask], reading.rule], [mask, rule]);
      assert.equal(reading.note !== undefined, rule === 'thresholded');
    });
  }

  it('a thresholded mask says how many pixels were in between', () => {
    const reading = maskFromValues(Uint8Array.of(0, 30, 200, 255), 255, 'm.png');
    assert.match(reading.note ?? '', /Mask m\.png holds 4 distinct values \(0, 30, 200, 255\);/);
    assert.match(reading.note ?? '', /lesion where value > 127 \(2 pixels were neither 0/);
  });
});
