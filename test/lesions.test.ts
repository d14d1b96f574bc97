import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  lesionCounts, lesionScores, type LesionCounts, type LesionScores,
} from '../lib/evaluation/lesions.js';

/** A mask drawn as rows of '#' (lesion) and '.' (background). */
function draw(rows: string[]): { mask: Uint8Array; width: number; height: number } {
  const width = rows[0]?.length ?? 0;
  assert.ok(rows.every((row) => row.length === width), 'rows of equal length');
  const mask = Uint8Array.from(rows.join(''), (pixel) => (pixel === '#' ? 1 : 0));
  return { mask, width, height: rows.length };
}

function countsOf(prediction: string[], truth: string[]): LesionCounts {
  const p = draw(prediction);
  const t = draw(truth);
  return lesionCounts(p.mask, t.mask, t.width, t.height);
}

describe('lesionCounts', () => {
  // [name, prediction, truth, lesions, detected, predictedRegions, falseDetections]
  const cases: [string, string[], string[], number, number, number, number][] = [
    ['one lesion found exactly',
      ['.##.',
       '.##.'],
      ['.##.',
       '.##.'], 1, 1, 1, 0],
    ['one overlapping pixel is enough',
      ['#...',
       '....'],
      ['##..',
       '##..'], 1, 1, 1, 0],
    ['diagonal pixels are one lesion (8-connected)',
      ['#...',
       '....',
       '....'],
      ['#...',
       '.#..',
       '..#.'], 1, 1, 1, 0],
    ['diagonal prediction is one region touching one lesion',
      ['#..',
       '.#.',
       '..#'],
      ['...',
       '...',
       '..#'], 1, 1, 1, 0],
    ['one predicted region over two lesions detects both',
      ['####',
       '....'],
      ['#..#',
       '....'], 2, 2, 1, 0],
    ['two lesions, one missed',
      ['#...',
       '....'],
      ['#..#',
       '....'], 2, 1, 1, 0],
    ['a region beside a lesion is a false detection',
      ['...#',
       '...#'],
      ['#...',
       '#...'], 1, 0, 1, 1],
    ['one hit and two false detections',
      ['#..#',
       '....',
       '#...'],
      ['#...',
       '....',
       '....'], 1, 1, 3, 2],
    ['empty prediction',
      ['....',
       '....'],
      ['.#..',
       '...#'], 2, 0, 0, 0],
    ['empty truth',
      ['#.#.',
       '....'],
      ['....',
       '....'], 0, 0, 2, 2],
    ['both empty',
      ['...'],
      ['...'], 0, 0, 0, 0],
    ['no pixels at all', [''], [''], 0, 0, 0, 0],
  ];
  for (const [name, prediction, truth, lesions, detected, predictedRegions,
    falseDetections] of cases) {
    test(name, () => assert.deepEqual(countsOf(prediction, truth),
      { lesions, detected, predictedRegions, falseDetections }));
  }

  const invalid: [string, Uint8Array, Uint8Array, RegExp][] = [
    ['prediction of the wrong length', new Uint8Array(3), new Uint8Array(4),
      /prediction has 3 pixels; expected width \* height = 2 \* 2 = 4/],
    ['truth of the wrong length', new Uint8Array(4), new Uint8Array(5),
      /truth has 5 pixels; expected width \* height = 2 \* 2 = 4/],
    ['a 0/255 mask', new Uint8Array(4), Uint8Array.of(0, 255, 0, 0),
      /truth\[1\] is 255; expected 0 or 1/],
    ['a 0/255 prediction', Uint8Array.of(0, 0, 255, 0), new Uint8Array(4),
      /prediction\[2\] is 255; expected 0 or 1/],
  ];
  for (const [name, prediction, truth, message] of invalid) {
    test(`refused: ${name}`, () => assert.throws(() => lesionCounts(prediction, truth, 2, 2),
      message));
  }
});

describe('lesionScores', () => {
  const counts = (lesions: number, detected: number, predictedRegions: number,
    falseDetections: number): LesionCounts =>
    ({ lesions, detected, predictedRegions, falseDetections });

  const cases: [string, LesionCounts[], LesionScores][] = [
    ['one image', [counts(2, 1, 3, 1)],
      { sensitivity: 1 / 2, ppv: 2 / 3, falseDetectionsPerImage: 1 }],
    // Pooled: (1 + 3) / (2 + 4) lesions, (2 + 3) / (3 + 3) regions; (1 + 0) / 2 images.
    ['two images pooled', [counts(2, 1, 3, 1), counts(4, 3, 3, 0)],
      { sensitivity: 4 / 6, ppv: 5 / 6, falseDetectionsPerImage: 1 / 2 }],
    // An image without lesions adds its false detections and no NaN.
    ['an image without lesions', [counts(1, 1, 1, 0), counts(0, 0, 2, 2)],
      { sensitivity: 1, ppv: 1 / 3, falseDetectionsPerImage: 1 }],
    ['nothing predicted anywhere: ppv 0/0', [counts(3, 0, 0, 0)],
      { sensitivity: 0, ppv: NaN, falseDetectionsPerImage: 0 }],
    ['no lesion anywhere: sensitivity 0/0', [counts(0, 0, 1, 1)],
      { sensitivity: NaN, ppv: 0, falseDetectionsPerImage: 1 }],
    ['no image: everything 0/0', [],
      { sensitivity: NaN, ppv: NaN, falseDetectionsPerImage: NaN }],
  ];
  for (const [name, perImage, expected] of cases) {
    test(name, () => assert.deepEqual(lesionScores(perImage), expected));
  }

  test('from drawn masks: counts then scores', () => {
    const perImage = [
      countsOf(['##..', '....'], ['#..#', '....']),
      countsOf(['...#', '#...'], ['....', '#...']),
    ];
    assert.deepEqual(lesionScores(perImage),
      { sensitivity: 2 / 3, ppv: 2 / 3, falseDetectionsPerImage: 1 / 2 });
  });
});
