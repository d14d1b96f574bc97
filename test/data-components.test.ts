import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { labelComponents } from '../lib/data/components.js';

/** A mask from rows of '#' (lesion) and '.' (background). */
function mask(rows: string[]): { data: Uint8Array; width: number; height: number } {
  const width = rows[0]?.length ?? 0;
  const data = new Uint8Array(rows.join('').split('').map((c) => (c === '#' ? 1 : 0)));
  return { data, width, height: rows.length };
}

describe('labelComponents (8-connected)', () => {
  const cases: Array<{ name: string; rows: string[]; count: number }> = [
    { name: 'empty mask', rows: ['....', '....'], count: 0 },
    { name: 'full mask', rows: ['###', '###'], count: 1 },
    { name: 'single pixel', rows: ['...', '.#.', '...'], count: 1 },
    { name: 'two separated blobs', rows: ['##..#', '##..#'], count: 2 },
    { name: 'diagonal touch joins (8-connectivity)', rows: ['#..', '.#.', '..#'], count: 1 },
    { name: 'anti-diagonal touch joins', rows: ['..#', '.#.', '#..'], count: 1 },
    { name: 'gap of one pixel separates', rows: ['#.#', '...', '#.#'], count: 4 },
    { name: 'ring is one component', rows: ['###', '#.#', '###'], count: 1 },
    { name: 'U shape is one component', rows: ['#.#', '#.#', '###'], count: 1 },
    { name: 'checkerboard is one component', rows: ['#.#.', '.#.#', '#.#.'], count: 1 },
    { name: 'no wrap between row end and next row start', rows: ['..#', '#..'], count: 2 },
  ];
  for (const { name, rows, count } of cases) {
    it(`${name}: ${count}`, () => {
      const { data, width, height } = mask(rows);
      assert.equal(labelComponents(data, width, height).count, count);
    });
  }

  it('labels pixels 1..count in raster order, background 0', () => {
    const { data, width, height } = mask(['#..#', '....', '.##.']);
    const { labels, count } = labelComponents(data, width, height);
    assert.equal(count, 3);
    assert.deepEqual(Array.from(labels), [1, 0, 0, 2, 0, 0, 0, 0, 0, 3, 3, 0]);
  });

  it('treats any non-zero value as foreground (0/255 masks too)', () => {
    assert.equal(labelComponents(new Uint8Array([255, 0, 0, 7]), 2, 2).count, 1);
  });

  it('handles a zero-sized mask', () => {
    assert.equal(labelComponents(new Uint8Array(0), 0, 0).count, 0);
  });

  it('labels a large blob without running out of stack', () => {
    const width = 1000;
    const height = 1000;
    assert.equal(labelComponents(new Uint8Array(width * height).fill(1), width, height).count, 1);
  });

  it('throws when the mask length does not match width * height', () => {
    assert.throws(() => labelComponents(new Uint8Array(5), 2, 2), /expected width \* height = 4/);
  });
});
