/**
 * Small PNG pictures of a sample with a mask painted over it: the pixels flagged as
 * radiopaque (to check the restoration split of experiment 4 by eye) and the lesion mask
 * (Figure 2a). The grey image is shown as stored, the mask's pixels in colour.
 */
import sharp from 'sharp';

import type { Sample } from '../data/preprocess.js';

/** An sRGB colour, each channel 0..255. */
export type Rgb = readonly [number, number, number];

export const RED: Rgb = [255, 0, 0];

export interface OverlayOptions {
  /** Mask colour; red by default. */
  color?: Rgb;
  /** 1 paints the colour over the pixel, 0.4 lets 60% of the grey show through. */
  opacity?: number;
  /** Output width in pixels, height in proportion; default the sample's own width. */
  width?: number;
}

/**
 * PNG of the sample's grey image with the flagged pixels painted solid red (by default).
 * @param sample the sample; its image is read as grey in [0, 1]
 * @param flaggedMask one byte per pixel, non-zero where flagged (e.g. from radiopaqueMask)
 * @param options colour, opacity (default 1) and output width
 * @returns the PNG file's bytes
 * @throws Error when the mask length is not height * width, or an option is out of range
 * @example writeFileSync('/tmp/flagged.png', await overlayPng(sample, radiopaqueMask(sample)))
 */
export async function overlayPng(sample: Sample, flaggedMask: Uint8Array,
  options: OverlayOptions = {}): Promise<Buffer> {
  return paintPng(sample, flaggedMask, { color: RED, opacity: 1, ...options });
}

/**
 * PNG of the sample with its lesion mask blended in, as in Figure 2a.
 * @param sample the sample; its `mask` (0/1) is painted
 * @param color lesion colour, e.g. [255, 200, 0]
 * @param options opacity (default 0.45, so the lesion's grey stays visible) and width
 * @returns the PNG file's bytes
 * @throws Error when the sample's mask does not fit its image, or an option is out of range
 * @example display.png(await maskOverlayPng(sample, [255, 200, 0]))
 */
export async function maskOverlayPng(sample: Sample, color: Rgb,
  options: Omit<OverlayOptions, 'color'> = {}): Promise<Buffer> {
  return paintPng(sample, sample.mask, { opacity: 0.45, ...options, color });
}

async function paintPng(sample: Sample, mask: Uint8Array,
  options: Required<Pick<OverlayOptions, 'color' | 'opacity'>> & OverlayOptions):
  Promise<Buffer> {
  const { height, width, image } = sample;
  if (mask.length !== height * width || image.length !== height * width) {
    throw new Error(`overlay.ts: sample ${sample.id} has ${image.length} pixels and a mask ` +
      `of ${mask.length}; expected height x width = ${height * width} for both`);
  }
  const { color, opacity } = options;
  if (!(opacity >= 0 && opacity <= 1) || color.some((c) => !(c >= 0 && c <= 255))) {
    throw new Error(`overlay.ts: options.opacity must be in [0, 1] and options.color three ` +
      `channels in 0..255, got ${opacity} and [${color.join(', ')}]`);
  }

  const rgb = new Uint8Array(height * width * 3);
  for (let i = 0; i < height * width; i++) {
    const grey = Math.min(1, Math.max(0, image[i])) * 255;
    const alpha = mask[i] !== 0 ? opacity : 0;
    for (let c = 0; c < 3; c++) rgb[3 * i + c] = Math.round(grey + alpha * (color[c] - grey));
  }
  let picture = sharp(rgb, { raw: { width, height, channels: 3 } });
  if (options.width !== undefined && options.width !== width) {
    // Nearest neighbour keeps flagged pixels pure red instead of blurring them into pink.
    picture = picture.resize({ width: options.width, kernel: 'nearest' });
  }
  return picture.png().toBuffer();
}
