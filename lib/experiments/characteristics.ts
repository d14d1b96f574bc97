import type { Center, Manifest } from '../data/manifest.js';
import { centerPixelSummary, formatQuartiles, pixelStats, type PixelStats } from
  '../data/pixel-stats.js';
import type { Sample } from '../data/preprocess.js';
import { flagRestorations } from '../data/radiopacity.js';
import { meanSd } from '../statistics/summary.js';

/** One image's place in Figure 2: its center and pixel statistics (0..255 units). */
export interface ImageCharacteristics extends PixelStats {
  id: string;
  center: Center;
}

/** Pixel mean and SD of every sample, as Figure 2b plots them. */
export function imageCharacteristics(samples: readonly Sample[]): ImageCharacteristics[] {
  return samples.map((sample) => ({ id: sample.id, center: sample.center,
    ...pixelStats(sample.image) }));
}

/**
 * Table 1 of the study, one column per center: images, lesions per image as mean (SD,
 * min–max), dental status where the manifest has it, and median (Q1, Q3) of the per-image
 * pixel mean and SD. Restorations are marked as the radiopacity proxy's count, since neither
 * sample carries dental-status labels.
 */
export function tableOneRows(
  manifest: Manifest, samples: readonly Sample[],
): Record<string, string | number>[] {
  const column = (center: Center): Record<string, string> => {
    const records = manifest.records.filter((record) => record.center === center);
    const own = samples.filter((sample) => sample.center === center);
    const lesions = records.map((record) => record.lesionCount);
    const spread = meanSd(lesions);
    const pixels = centerPixelSummary(own.map((sample) => pixelStats(sample.image)));
    const teeth = records.map((record) => record.dentalStatus?.teeth)
      .filter((value): value is number => value !== undefined);
    const flagged = flagRestorations(own).filter((flag) => flag.flagged).length;
    return {
      Images: String(records.length),
      'Lesions per image, mean (SD, min–max)': `${spread.mean.toFixed(1)} ` +
        `(${spread.sd.toFixed(1)}, ${Math.min(...lesions)}–${Math.max(...lesions)})`,
      'Teeth per image': teeth.length > 0 ? meanSd(teeth).mean.toFixed(1) : 'not labelled',
      // NOTE: the proxy works on B only; A's enamel is near-white too (lib/data/radiopacity.ts).
      'Radiopaque restorations (proxy)': center === 'A'
        ? `not valid (${flagged} of ${own.length} flagged, mostly enamel)`
        : `${flagged} of ${own.length} images`,
      'Pixel mean, median (Q1, Q3)': formatQuartiles(pixels.mean),
      'Pixel SD, median (Q1, Q3)': formatQuartiles(pixels.sd),
    };
  };
  const a = column('A');
  const b = column('B');
  return Object.keys(a).map((item) => ({ Characteristic: item, 'Center A': a[item],
    'Center B': b[item] }));
}

/**
 * Median (Q1, Q3) of the per-image pixel mean and SD of each named group of images, one row
 * per group (notebook 02: A before and after the alignment, and B).
 * @example pixelSummaryRows({ 'A before': before, 'B (target)': target })
 */
export function pixelSummaryRows(
  groups: Record<string, readonly PixelStats[]>,
): Record<string, string | number>[] {
  return Object.entries(groups).map(([name, stats]) => {
    const summary = centerPixelSummary(stats);
    return { Images: name, Count: stats.length,
      'Pixel mean, median (Q1, Q3)': formatQuartiles(summary.mean),
      'Pixel SD, median (Q1, Q3)': formatQuartiles(summary.sd) };
  });
}
