/**
 * Connected lesions in a binary mask. A lesion is an 8-connected set of foreground pixels:
 * two pixels touching only at a corner belong to the same lesion, as an annotator drawing
 * a thin oblique outline would expect. Reused by the lesion-level metrics.
 */

/** One label per pixel (0 = background, 1..count = lesion) and the number of lesions. */
export interface Components {
  labels: Int32Array;
  count: number;
}

/**
 * Labels the 8-connected foreground components of `mask` (row-major, any non-zero value is
 * foreground). Labels are numbered in raster order of each component's first pixel.
 * @param mask row-major pixels, length width * height
 * @param width columns
 * @param height rows
 * @returns labels (Int32Array, same length as mask) and count
 * @throws Error when mask.length is not width * height or a dimension is negative
 * @example labelComponents(new Uint8Array([1, 0, 0, 1]), 2, 2).count // 1 (diagonal)
 */
export function labelComponents(mask: Uint8Array, width: number, height: number): Components {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 0 || height < 0) {
    throw new Error(`labelComponents: width and height must be integers >= 0, got ` +
      `${width}x${height}`);
  }
  if (mask.length !== width * height) {
    throw new Error(`labelComponents: mask has ${mask.length} pixels, expected ` +
      `width * height = ${width * height}`);
  }
  const labels = new Int32Array(mask.length);
  // An explicit stack instead of recursion: one lesion can span many thousand pixels.
  const stack = new Int32Array(mask.length);
  let count = 0;

  for (let start = 0; start < mask.length; start++) {
    if (mask[start] === 0 || labels[start] !== 0) continue;
    count++;
    labels[start] = count;
    let top = 0;
    stack[top++] = start;
    while (top > 0) {
      const pixel = stack[--top];
      const row = Math.floor(pixel / width);
      const column = pixel - row * width;
      for (let dy = -1; dy <= 1; dy++) {
        const y = row + dy;
        if (y < 0 || y >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const x = column + dx;
          if (x < 0 || x >= width) continue;
          const neighbour = y * width + x;
          if (mask[neighbour] !== 0 && labels[neighbour] === 0) {
            labels[neighbour] = count;
            stack[top++] = neighbour;
          }
        }
      }
    }
  }
  return { labels, count };
}
