/**
 * Which pixels of a mask file are lesion. Tools write masks as 0/255, 0/1, 0/65535 or with
 * antialiased edges; each is read as its author meant it, and anything else is an error rather
 * than a silently empty or full mask:
 * - values {0} only: an empty mask (an image without lesions is legal);
 * - values {0, v} for any v > 0: v is lesion (0/1 masks are not read as empty);
 * - more values, the largest above half the file's full scale: an antialiased or compressed
 *   0/full mask, lesion where value > full scale / 2 (> 127 for 8 bits), reported as a note;
 * - more values, none above half scale (a label map 0/1/2, say): an error listing the values;
 * - a mask with no background pixel at all: an error.
 */

/** A mask read from its file's values. */
export interface MaskReading {
  /** 0/1 per pixel. */
  mask: Uint8Array;
  /** 'binary' for {0} or {0, v}; 'thresholded' for an antialiased or compressed mask. */
  rule: 'binary' | 'thresholded';
  /** For 'thresholded': one sentence naming the file and what was done; else undefined. */
  note?: string;
}

/** The distinct values of `values`, ascending. */
function distinctValues(values: Uint8Array | Uint16Array, fullScale: number): number[] {
  const seen = new Uint8Array(fullScale + 1);
  for (let i = 0; i < values.length; i++) seen[values[i]] = 1;
  const distinct: number[] = [];
  seen.forEach((present, value) => { if (present) distinct.push(value); });
  return distinct;
}

function listed(distinct: readonly number[]): string {
  const shown = distinct.length > 8
    ? [...distinct.slice(0, 4), '...', ...distinct.slice(-3)] : distinct;
  return `${distinct.length} distinct values (${shown.join(', ')})`;
}

/**
 * Reads the lesion pixels of a mask by the rule in the module comment.
 * @param values the file's grey values (decodeImage's `values`)
 * @param fullScale 255 for 8-bit files, 65535 for 16-bit ones
 * @param file the mask's path, for messages
 * @returns the 0/1 mask, the rule applied and, when thresholded, a note
 * @throws Error naming the file and the values found when no rule fits or no pixel is
 *   background
 * @example maskFromValues(Uint8Array.of(0, 1, 1, 0), 255, 'm.png').mask // [0, 1, 1, 0]
 */
export function maskFromValues(values: Uint8Array | Uint16Array, fullScale: number,
  file: string): MaskReading {
  const distinct = distinctValues(values, fullScale);
  const largest = distinct[distinct.length - 1];
  const half = fullScale / 2;
  let cutoff: number;
  let rule: MaskReading['rule'] = 'binary';
  if (distinct[0] === 0 && distinct.length <= 2) {
    cutoff = 0;
  } else if (largest > half) {
    cutoff = half;
    rule = 'thresholded';
  } else {
    throw new Error(`Mask ${file} holds ${listed(distinct)}; expected 0 for background and ` +
      `one value for lesion, or an antialiased mask reaching above ${Math.floor(half)} ` +
      '(reduce a label map of several classes to one lesion class)');
  }

  const mask = new Uint8Array(values.length);
  let lesion = 0;
  for (let i = 0; i < values.length; i++) {
    if (values[i] > cutoff) {
      mask[i] = 1;
      lesion++;
    }
  }
  if (lesion === values.length) {
    throw new Error(`Mask ${file} marks every pixel as lesion (${listed(distinct)}); ` +
      'expected 0 for background');
  }
  if (rule === 'binary') return { mask, rule };
  let between = 0;
  for (let i = 0; i < values.length; i++) if (values[i] > 0 && values[i] < fullScale) between++;
  return { mask, rule, note: `Mask ${file} holds ${listed(distinct)}; read as an antialiased ` +
    `or compressed mask, lesion where value > ${Math.floor(half)} (${between} pixels were ` +
    `neither 0 nor ${fullScale})` };
}
