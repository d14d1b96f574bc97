import assert from 'node:assert/strict';
import { readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { checkDataset } from '../lib/data/check.js';
import { makeDataRoot, realDataRoot, SYNTHETIC, vocXml } from './data-synthetic.js';

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
