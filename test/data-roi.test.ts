import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { CARIES_XRAYS_ROI, IDENTITY_ROI, roiPixels, validateRoi } from '../lib/data/roi.js';
import { parseVoc } from '../lib/data/voc.js';
import { realDataRoot } from './data-synthetic.js';

describe('roiPixels', () => {
  const cases = [
    { name: 'identity keeps the whole image', roi: IDENTITY_ROI, width: 1536, height: 768,
      rect: { left: 0, top: 0, width: 1536, height: 768 } },
    { name: 'center halves', roi: { left: 0.25, top: 0.25, right: 0.75, bottom: 0.75 },
      width: 100, height: 40, rect: { left: 25, top: 10, width: 50, height: 20 } },
    { name: 'edges round to the nearest pixel',
      roi: { left: 0.1, top: 0.1, right: 0.9, bottom: 0.9 }, width: 15, height: 15,
      rect: { left: 2, top: 2, width: 12, height: 12 } },
    { name: 'center B crop on a 2440x1280 panoramic', roi: CARIES_XRAYS_ROI, width: 2440,
      height: 1280, rect: { left: 488, top: 333, width: 1464, height: 729 } },
    { name: 'center B crop on a 2648x1280 panoramic', roi: CARIES_XRAYS_ROI, width: 2648,
      height: 1280, rect: { left: 530, top: 333, width: 1588, height: 729 } },
    { name: 'a sliver keeps at least one pixel',
      roi: { left: 0.5, top: 0, right: 0.501, bottom: 1 }, width: 10, height: 4,
      rect: { left: 5, top: 0, width: 1, height: 4 } },
    { name: 'a 1x1 image', roi: CARIES_XRAYS_ROI, width: 1, height: 1,
      rect: { left: 0, top: 0, width: 1, height: 1 } },
  ];
  for (const { name, roi, width, height, rect } of cases) {
    it(name, () => {
      const got = roiPixels(roi, width, height);
      assert.deepEqual(got, rect);
      assert.ok(got.left + got.width <= width && got.top + got.height <= height);
    });
  }

  it('gives center B about the 2:1 aspect of 704x352 on the common 2440-wide images', () => {
    const { width, height } = roiPixels(CARIES_XRAYS_ROI, 2440, 1280);
    assert.ok(Math.abs(width / height - 2) < 0.02, `aspect ${width / height}`);
  });

  const invalid = [
    { name: 'left > right', roi: { left: 0.6, top: 0, right: 0.4, bottom: 1 },
      message: /left < right/ },
    { name: 'top = bottom', roi: { left: 0, top: 0.5, right: 1, bottom: 0.5 },
      message: /top < bottom/ },
    { name: 'right above 1', roi: { left: 0, top: 0, right: 1.2, bottom: 1 },
      message: /field 'right' must be a number in \[0, 1\], got 1.2/ },
    { name: 'NaN top', roi: { left: 0, top: NaN, right: 1, bottom: 1 }, message: /field 'top'/ },
  ];
  for (const { name, roi, message } of invalid) {
    it(`rejects ${name}`, () => {
      assert.throws(() => validateRoi(roi, 'center B roi'), message);
      assert.throws(() => roiPixels(roi, 100, 100), message);
    });
  }

  it('rejects an empty image', () => {
    assert.throws(() => roiPixels(IDENTITY_ROI, 0, 10), /integers >= 1, got 0x10/);
  });
});

describe('center B crop on the real CariesXrays sample', { skip: !realDataRoot() }, () => {
  it('keeps all 82 boxes inside the crop', () => {
    const folder = join(realDataRoot() as string, 'cariesxrays', 'annotations');
    let boxes = 0;
    const outside: string[] = [];
    for (const name of readdirSync(folder).filter((file) => file.endsWith('.xml'))) {
      const annotation = parseVoc(readFileSync(join(folder, name), 'utf8'), name);
      const rect = roiPixels(CARIES_XRAYS_ROI, annotation.width, annotation.height);
      for (const { box } of annotation.objects) {
        boxes++;
        // Box pixels are 0-based columns xmin-1 .. xmax-1; the crop keeps left .. left+width-1.
        const inside = box.xmin - 1 >= rect.left && box.xmax <= rect.left + rect.width &&
          box.ymin - 1 >= rect.top && box.ymax <= rect.top + rect.height;
        if (!inside) outside.push(`${name} (${box.xmin},${box.ymin})-(${box.xmax},${box.ymax})`);
      }
    }
    assert.equal(boxes, 82);
    assert.deepEqual(outside, []);
  });
});
