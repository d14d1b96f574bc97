import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { BOX_MASK_NOTE, boxesToMask, parseVoc, validateBox } from '../lib/data/import-voc.js';
import { vocXml } from './data-synthetic.js';

const sum = (values: Uint8Array): number => values.reduce((total, value) => total + value, 0);

describe('parseVoc', () => {
  it('reads filename, size and every object with its box', () => {
    const xml = vocXml('000420.jpg', 2648, 1280, [
      { xmin: 1804, ymin: 537, xmax: 1901, ymax: 629 },
      { xmin: 763, ymin: 526, xmax: 859, ymax: 622 },
    ]);
    assert.deepEqual(parseVoc(xml, 'a.xml'), {
      filename: '000420.jpg', width: 2648, height: 1280,
      objects: [
        { name: 'Decay', box: { xmin: 1804, ymin: 537, xmax: 1901, ymax: 629 } },
        { name: 'Decay', box: { xmin: 763, ymin: 526, xmax: 859, ymax: 622 } },
      ],
    });
  });

  it('reads an annotation without objects, with comments, attributes and entities', () => {
    const xml = '<annotation verified="yes"><!-- <object>x</object> -->' +
      '<filename>a&amp;b.jpg</filename><size><width>10</width><height>5</height></size>' +
      '</annotation>';
    assert.deepEqual(parseVoc(xml, 'a.xml'),
      { filename: 'a&b.jpg', width: 10, height: 5, objects: [] });
  });

  const broken: Array<{ name: string; xml: string; message: RegExp }> = [
    { name: 'no annotation element', xml: '<foo/>',
      message: /bad\.xml: expected one <annotation>/ },
    { name: 'missing size', xml: '<annotation></annotation>', message: /bad\.xml: field 'size'/ },
    { name: 'width not a number',
      xml: '<annotation><size><width>wide</width><height>5</height></size></annotation>',
      message: /bad\.xml: field 'size\.width' must be a number, got 'wide'/ },
    { name: 'object without bndbox',
      xml: '<annotation><size><width>9</width><height>9</height></size>' +
        '<object><name>Decay</name></object></annotation>',
      message: /bad\.xml: field 'object\[0\]\.bndbox' is missing/ },
    { name: 'box corner missing',
      xml: '<annotation><size><width>9</width><height>9</height></size><object><name>D</name>' +
        '<bndbox><xmin>1</xmin><ymin>1</ymin><xmax>3</xmax></bndbox></object></annotation>',
      message: /bad\.xml: field 'object\[0\]\.bndbox\.ymax' is missing/ },
  ];
  for (const { name, xml, message } of broken) {
    it(`throws naming the file and field: ${name}`, () => {
      assert.throws(() => parseVoc(xml, 'bad.xml'), message);
    });
  }
});

describe('boxesToMask (VOC: 1-based, inclusive)', () => {
  it('fills the pixels of a hand-made box', () => {
    // Columns 2..3 and rows 1..2 (1-based) are 0-based columns 1..2, rows 0..1.
    const mask = boxesToMask([{ xmin: 2, ymin: 1, xmax: 3, ymax: 2 }], 4, 3);
    assert.deepEqual(Array.from(mask), [0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0]);
  });

  type Boxes = Parameters<typeof boxesToMask>[0];
  const counts: Array<{ name: string; boxes: Boxes; pixels: number }> = [
    { name: 'no boxes', boxes: [], pixels: 0 },
    { name: '10 x 5 box', boxes: [{ xmin: 11, ymin: 21, xmax: 20, ymax: 25 }], pixels: 50 },
    { name: 'whole image', boxes: [{ xmin: 1, ymin: 1, xmax: 40, ymax: 30 }], pixels: 1200 },
    { name: 'two disjoint boxes', boxes: [{ xmin: 1, ymin: 1, xmax: 2, ymax: 2 },
      { xmin: 5, ymin: 5, xmax: 7, ymax: 6 }], pixels: 4 + 6 },
    { name: 'overlapping boxes count once', boxes: [{ xmin: 1, ymin: 1, xmax: 4, ymax: 4 },
      { xmin: 3, ymin: 3, xmax: 6, ymax: 6 }], pixels: 16 + 16 - 4 },
    { name: 'box touching the far corner', boxes: [{ xmin: 39, ymin: 29, xmax: 40, ymax: 30 }],
      pixels: 4 },
  ];
  for (const { name, boxes, pixels } of counts) {
    it(`${name}: ${pixels} pixels`, () => {
      assert.equal(sum(boxesToMask(boxes, 40, 30)), pixels);
    });
  }

  type Box = Parameters<typeof validateBox>[0];
  const invalid: Array<{ name: string; box: Box; message: RegExp }> = [
    { name: 'xmin 0 (0-based input)', box: { xmin: 0, ymin: 1, xmax: 3, ymax: 3 },
      message: /outside the 40x30 image/ },
    { name: 'xmax beyond width', box: { xmin: 30, ymin: 1, xmax: 41, ymax: 3 },
      message: /outside the 40x30 image/ },
    { name: 'ymax beyond height', box: { xmin: 1, ymin: 1, xmax: 3, ymax: 31 },
      message: /outside the 40x30 image/ },
    { name: 'zero width', box: { xmin: 5, ymin: 1, xmax: 5, ymax: 3 }, message: /zero area/ },
    { name: 'inverted height', box: { xmin: 1, ymin: 9, xmax: 3, ymax: 3 }, message: /zero area/ },
    { name: 'fractional corner', box: { xmin: 1.5, ymin: 1, xmax: 3, ymax: 3 },
      message: /integer pixel indices/ },
  ];
  for (const { name, box, message } of invalid) {
    it(`rejects ${name}`, () => {
      assert.throws(() => validateBox(box, 40, 30, 'x.xml object[2]'),
        (error: Error) =>
          error.message.startsWith('x.xml object[2]') && message.test(error.message));
      assert.throws(() => boxesToMask([box], 40, 30), message);
    });
  }
});

describe('BOX_MASK_NOTE', () => {
  it('is one sentence a report can print, saying that boxes over-cover', () => {
    assert.match(BOX_MASK_NOTE, /^Center B's masks are filled bounding boxes, which over-cover/);
    assert.equal(BOX_MASK_NOTE.split('. ').length, 1);
  });
});
