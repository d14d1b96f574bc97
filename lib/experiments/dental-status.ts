/**
 * Experiment 4's subgroups: center B's images with and without restorations or root-canal
 * fillings. The manifest's dental-status labels decide where every image has them;
 * otherwise (both public samples) the radiopacity proxy of lib/data/radiopacity.ts does,
 * measured at the published input size so that the split does not depend on the profile.
 */
import { recordsOf, roisOf, type Manifest } from '../data/manifest.js';
import { loadSamples, type Sample } from '../data/preprocess.js';
import { flagRestorations } from '../data/radiopacity.js';
import type { TestSet } from './scores.js';

/** The size at which the proxy was tuned (lib/data/radiopacity.ts), the paper's input. */
export const PROXY_SIZE = { height: 352, width: 704 };

/** One image's verdict and where it came from. */
export interface RestorationVerdict {
  id: string;
  restored: boolean;
  /** The proxy's radiopaque share; undefined when the manifest's labels decided. */
  share?: number;
}

/** The subgroups of experiment 4, how they were decided, and the proxy's samples. */
export interface DentalStatusGroups {
  source: 'manifest labels' | 'radiopacity proxy';
  verdicts: RestorationVerdict[];
  /** 'B with restorations' and 'B without restorations', in that order. */
  sets: TestSet[];
  /** The images the proxy measured, at PROXY_SIZE (empty when labels decided). */
  samples: Sample[];
}

/**
 * Splits every image of center B into with and without restorations or root-canal fillings.
 * @param manifest the study's image list.
 * @returns the verdicts, the two test sets and, for the proxy, the measured samples.
 * @example const groups = await dentalStatusGroups(manifest); groups.sets[0].ids.length
 */
export async function dentalStatusGroups(manifest: Manifest): Promise<DentalStatusGroups> {
  const records = recordsOf(manifest, 'B');
  const labelled = records.every((record) =>
    record.dentalStatus?.restorations !== undefined &&
    record.dentalStatus?.rootCanalFillings !== undefined);
  let verdicts: RestorationVerdict[];
  let samples: Sample[] = [];
  if (labelled) {
    verdicts = records.map((record) => ({ id: record.id,
      restored: (record.dentalStatus?.restorations ?? 0) +
        (record.dentalStatus?.rootCanalFillings ?? 0) > 0 }));
  } else {
    samples = await loadSamples(records, roisOf(manifest), PROXY_SIZE);
    verdicts = flagRestorations(samples).map((flag) =>
      ({ id: flag.id, restored: flag.flagged, share: flag.share }));
  }
  const ids = (restored: boolean): string[] =>
    verdicts.filter((verdict) => verdict.restored === restored).map((verdict) => verdict.id);
  return {
    source: labelled ? 'manifest labels' : 'radiopacity proxy',
    verdicts,
    sets: [{ name: 'B with restorations', ids: ids(true) },
      { name: 'B without restorations', ids: ids(false) }],
    samples,
  };
}
