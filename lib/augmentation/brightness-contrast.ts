/**
 * Brightness and contrast change of experiment 2, and the choice of its factors: each image
 * of the source center gets the factors that give it the pixel mean and SD of an image drawn
 * from the target center, so the source center as a whole takes on the target's distribution.
 */
import type { PixelStats } from '../data/pixel-stats.js';

/** One image's factors, and the target statistics they were solved for. */
export interface AlignmentFactors {
  /** Added after scaling, in grey units of [0, 1] (0.1 = 25.5 grey levels). */
  brightness: number;
  /** Multiplies the grey value; 1 leaves contrast unchanged. */
  contrast: number;
  /** The drawn target image's mean and SD, 0..255 units. */
  target: PixelStats;
}

/**
 * Changes brightness and contrast: out = clip(contrast * x + brightness, 0, 1) per pixel,
 * the convention of albumentations' RandomBrightnessContrast with brightness_by_max and a
 * maximum value of 1 (alpha = contrast, beta = brightness). Without clipping, the mean m
 * becomes contrast * m + brightness and the SD s becomes |contrast| * s.
 * @param image grey values in [0, 1] (not modified)
 * @param brightness offset in [0, 1] grey units, e.g. -0.05
 * @param contrast factor, e.g. 1.2
 * @returns a new image of the same length
 * @throws Error when brightness or contrast is not finite
 * @example adjustBrightnessContrast(Float32Array.of(0.2, 0.5), 0.1, 2) // [0.5, 1]
 */
export function adjustBrightnessContrast(image: Float32Array, brightness: number,
  contrast: number): Float32Array {
  if (!Number.isFinite(brightness) || !Number.isFinite(contrast)) {
    throw new Error(`brightness-contrast.ts adjustBrightnessContrast: brightness ${brightness}` +
      ` and contrast ${contrast} must be finite numbers`);
  }
  const out = new Float32Array(image.length);
  for (let i = 0; i < image.length; i++) {
    out[i] = Math.min(1, Math.max(0, contrast * image[i] + brightness));
  }
  return out;
}

/**
 * Factors that move each source image to the mean and SD of a target image drawn uniformly,
 * with replacement, from the target center: contrast = sd_t / sd_s and
 * brightness = (mean_t - contrast * mean_s) / 255, which hit both exactly when no pixel clips.
 * Drawing whole (mean, sd) pairs keeps the target's correlation of mean and SD.
 * NOTE: a flat source image (sd 0) cannot gain spread; it keeps contrast 1 and only its mean
 * moves.
 * @param sourceStats per-image stats of the images to change, 0..255 units
 * @param targetStats per-image stats of the center to imitate, 0..255 units
 * @param rand random source in [0, 1), e.g. seededRandom(seed); one draw per source image
 * @returns one entry per source image, in order
 * @throws Error when targetStats is empty or a statistic is not finite or an SD is negative
 * @example fitAlignment(statsA, statsB, seededRandom(7))[0].contrast // e.g. 1.31
 */
export function fitAlignment(sourceStats: readonly PixelStats[],
  targetStats: readonly PixelStats[], rand: () => number): AlignmentFactors[] {
  if (targetStats.length === 0) {
    throw new Error('brightness-contrast.ts fitAlignment: targetStats is empty; expected the ' +
      'per-image stats of at least one target image');
  }
  checkStats(sourceStats, 'sourceStats');
  checkStats(targetStats, 'targetStats');

  return sourceStats.map((source) => {
    const drawn = Math.min(Math.floor(rand() * targetStats.length), targetStats.length - 1);
    const target = targetStats[drawn];
    const contrast = source.sd > 0 ? target.sd / source.sd : 1;
    const brightness = (target.mean - contrast * source.mean) / 255;
    return { brightness, contrast, target: { mean: target.mean, sd: target.sd } };
  });
}

/**
 * The smallest and largest factors drawn, for reporting the ranges an experiment used.
 * @param factors from fitAlignment, at least one
 * @returns [min, max] of brightness and of contrast
 * @throws Error when `factors` is empty
 * @example factorRange(fitAlignment(a, b, rand)).contrast // e.g. [0.71, 1.64]
 */
export function factorRange(factors: readonly AlignmentFactors[]):
  { brightness: [number, number]; contrast: [number, number] } {
  if (factors.length === 0) {
    throw new Error('brightness-contrast.ts factorRange: factors is empty; expected >= 1');
  }
  const range = (values: number[]): [number, number] =>
    [Math.min(...values), Math.max(...values)];
  return { brightness: range(factors.map((f) => f.brightness)),
    contrast: range(factors.map((f) => f.contrast)) };
}

function checkStats(stats: readonly PixelStats[], field: string): void {
  stats.forEach((entry, i) => {
    if (!Number.isFinite(entry.mean) || !Number.isFinite(entry.sd) || entry.sd < 0) {
      throw new Error(`brightness-contrast.ts fitAlignment: ${field}[${i}] is ` +
        `${JSON.stringify(entry)}; expected a finite mean and a finite sd >= 0`);
    }
  });
}
