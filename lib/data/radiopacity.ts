/**
 * A proxy for restorations and root-canal fillings, which neither public sample labels:
 * metal and most filling materials absorb far more X-rays than enamel, so they show as
 * near-white patches. Experiment 4 splits center B's test images by this proxy into images
 * with and without restorations; the flagged pixels are drawn for checking by eye
 * (lib/figures/overlay.ts).
 *
 * NOTE: tuned on center B, the center experiment 4 splits. Center A's images are brighter and
 * put molar enamel near white, so there the proxy flags 75 of 100 images, many for enamel
 * alone; do not read it as a restoration label for center A.
 * NOTE: small or composite fillings that stay below the level after resizing go unflagged
 * (e.g. B-026032), so "without restorations" means "without large metal restorations".
 */
import type { Sample } from './preprocess.js';
import { type RoiCrop, roiPixels } from './roi.js';

/**
 * Grey level (in [0, 1]) at and above which a pixel counts as radiopaque: 0.9, i.e. 229.5 on
 * 0..255. Chosen by looking at all 50 center B images with the flagged pixels in red: at 0.94
 * small fillings and the rims of crowns drop out; at 0.86 the gap in shares between images
 * with and without metal narrows (see RESTORATION_THRESHOLD) and the palate lights up.
 * Absolute, not relative to the image's own brightest pixels: center B's images without metal
 * have their 99.9th percentile at 0.70 to 0.85, so any relative level would flag their enamel.
 */
export const RADIOPAQUE_LEVEL = 0.9;

/**
 * Rows searched for restorations: the dentition band, which leaves out the palate and
 * zygomatic arches at the top of center B's crop and the mandible's lower border.
 */
export const DENTITION_BAND: RoiCrop = { left: 0, top: 0.15, right: 1, bottom: 0.85 };

/**
 * Share of the dentition band above which an image counts as having restorations: 0.0005,
 * i.e. 0.05%, about 87 pixels at 352 x 704. Center B's shares (level 0.9) fall in two groups:
 * 22 of 50 images at or below 0.011%, the other 28 from 0.10% up, each of which shows a
 * restoration or root-canal filling by eye; the threshold sits in that gap.
 */
export const RESTORATION_THRESHOLD = 0.0005;

export interface RadiopacityOptions {
  /** Grey level in [0, 1]; default RADIOPAQUE_LEVEL. */
  level?: number;
  /** Part of the image searched, as fractions; default DENTITION_BAND. */
  region?: RoiCrop;
}

/** One image's verdict. */
export interface RestorationFlag {
  id: string;
  /** Share of the region's pixels at or above the level. */
  share: number;
  /** share > threshold. */
  flagged: boolean;
}

/**
 * Which pixels are radiopaque: 1 inside the region where the grey value >= level, else 0.
 * @param image grey values in [0, 1], row-major
 * @param height rows
 * @param width columns
 * @param options level and region
 * @returns a 0/1 mask of the image's size (for overlayPng)
 * @throws Error when the image length is not height * width, the level is outside [0, 1]
 *   or the region is invalid
 * @example const opaque = radiopaqueMask(sample.image, sample.height, sample.width)
 */
export function radiopaqueMask(image: Float32Array, height: number, width: number,
  options: RadiopacityOptions = {}): Uint8Array {
  const level = options.level ?? RADIOPAQUE_LEVEL;
  if (!(level >= 0 && level <= 1)) {
    throw new Error(`radiopacity.ts: options.level must be a grey level in [0, 1], got ${level}`);
  }
  if (image.length !== height * width) {
    throw new Error(`radiopacity.ts: image has ${image.length} pixels; expected height x ` +
      `width = ${height} x ${width}`);
  }
  const rect = roiPixels(options.region ?? DENTITION_BAND, width, height);

  const mask = new Uint8Array(image.length);
  for (let y = rect.top; y < rect.top + rect.height; y++) {
    for (let x = rect.left; x < rect.left + rect.width; x++) {
      if (image[y * width + x] >= level) mask[y * width + x] = 1;
    }
  }
  return mask;
}

/**
 * Share of the region's pixels that are radiopaque (see radiopaqueMask).
 * @param image grey values in [0, 1], row-major
 * @param height rows
 * @param width columns
 * @param options level (default 0.9) and region (default the dentition band)
 * @returns a share in [0, 1]
 * @throws Error as radiopaqueMask
 * @example radiopaqueShare(sample.image, sample.height, sample.width) // e.g. 0.013
 */
export function radiopaqueShare(image: Float32Array, height: number, width: number,
  options: RadiopacityOptions = {}): number {
  const mask = radiopaqueMask(image, height, width, options);
  const rect = roiPixels(options.region ?? DENTITION_BAND, width, height);
  let count = 0;
  for (let i = 0; i < mask.length; i++) count += mask[i];
  return count / (rect.width * rect.height);
}

/**
 * Splits samples into with and without restorations by their radiopaque share.
 * @param samples the images to split (e.g. center B's test images)
 * @param threshold share above which an image is flagged; default RESTORATION_THRESHOLD
 * @param options level and region, as radiopaqueShare
 * @returns one verdict per sample, in order
 * @throws Error when the threshold is outside [0, 1], or as radiopaqueMask
 * @example flagRestorations(testB).filter((f) => f.flagged).map((f) => f.id)
 */
export function flagRestorations(samples: readonly Sample[],
  threshold = RESTORATION_THRESHOLD, options: RadiopacityOptions = {}): RestorationFlag[] {
  if (!(threshold >= 0 && threshold <= 1)) {
    throw new Error(`radiopacity.ts flagRestorations: threshold must be a share in [0, 1], ` +
      `got ${threshold}`);
  }
  return samples.map((sample) => {
    const share = radiopaqueShare(sample.image, sample.height, sample.width, options);
    return { id: sample.id, share, flagged: share > threshold };
  });
}
