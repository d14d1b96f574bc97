/**
 * Experiment 2: center A's images take on center B's brightness and contrast before the
 * model is retrained. Each image is optionally equalized by CLAHE, then moved linearly to the
 * mean and SD of a randomly drawn center B image. Nothing moves geometrically: no flip, no
 * shift, no resize, so the lesion masks stay valid as they are.
 */
import { pixelStats, type PixelStats } from '../data/pixel-stats.js';
import type { Sample } from '../data/preprocess.js';
import { seededRandom } from '../util/random.js';
import { adjustBrightnessContrast, fitAlignment } from './brightness-contrast.js';
import { clahe, type ClaheOptions } from './clahe.js';

export interface AlignOptions {
  /** Seed of the target draw (seededRandom); the same seed gives the same images. */
  seed: number;
  /** Equalize by CLAHE before the linear match (the study's setting: true). */
  clahe: boolean;
  /** Window and limit of the CLAHE step; default see claheWindow. */
  claheOptions?: ClaheOptions;
  /**
   * Corrections after the first linear match, 2 by default. Pixels clipped at 0 or 1 pull
   * the mean and SD off target; each correction re-solves the factors from the measured stats.
   */
  corrections?: number;
}

/**
 * Moves every sample to the pixel statistics of the target center (see module comment).
 * CLAHE comes first because it changes mean and SD itself; the linear step after it then
 * sets them. The factors come from fitAlignment on the (equalized) images' own stats, one
 * target draw per sample in order; then up to `corrections` times, an image whose measured
 * mean or SD is off by more than 0.05 grey levels is re-solved from the equalized image
 * with factors composed so that they take its clipped result to the target.
 * NOTE: a target SD beyond what clipping at 0 and 1 allows is approached, not reached.
 * @param samples the source center's samples (not modified)
 * @param targetStats per-image stats of the target center, 0..255 units (pixelStats)
 * @param options seed, clahe on/off, CLAHE options, number of corrections
 * @returns new samples with new images; ids, sizes and mask arrays are the inputs' own
 * @throws Error when targetStats is empty, or from clahe for a malformed sample
 * @example const aligned = await alignToCenter(trainA, testB.map((s) => pixelStats(s.image)),
 *   { seed: 2021, clahe: true })
 */
export async function alignToCenter(samples: readonly Sample[],
  targetStats: readonly PixelStats[], options: AlignOptions): Promise<Sample[]> {
  const bases: Float32Array[] = [];
  for (const sample of samples) {
    bases.push(options.clahe
      ? await clahe(sample.image, sample.height, sample.width, options.claheOptions)
      : sample.image);
  }
  const factors = fitAlignment(bases.map(pixelStats), targetStats, seededRandom(options.seed));

  return samples.map((sample, i) => {
    const { target } = factors[i];
    let { brightness, contrast } = factors[i];
    let image = adjustBrightnessContrast(bases[i], brightness, contrast);
    for (let round = 0; round < (options.corrections ?? 2); round++) {
      const measured = pixelStats(image);
      if (Math.abs(measured.mean - target.mean) <= 0.05 &&
        Math.abs(measured.sd - target.sd) <= 0.05) break;
      if (measured.sd === 0) break;
      // Treat the clipped result as the image to move: compose its correction with the
      // factors so far and apply the composite to the unclipped base again.
      const [step] = fitAlignment([measured], [target], () => 0);
      contrast *= step.contrast;
      brightness = step.contrast * brightness + step.brightness;
      image = adjustBrightnessContrast(bases[i], brightness, contrast);
    }
    return { ...sample, image };
  });
}
