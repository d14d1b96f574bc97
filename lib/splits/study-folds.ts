import type { ImageRecord } from '../data/manifest.js';
import { pixelStats } from '../data/pixel-stats.js';
import type { Sample } from '../data/preprocess.js';
import { radiopaqueShare } from '../data/radiopacity.js';
import type { Fold } from '../data/folds.js';
import { chooseK, type KCandidate } from './choose-k.js';
import { clusteredFolds } from './clustered-folds.js';
import { standardize } from './kmeans.js';

/** The cluster-balanced folds of one center's training images and how they were made. */
export interface StudyFolds {
  folds: Fold[];
  k: number;
  labels: number[];
  features: string[];
  table: KCandidate[];
  note?: string;
}

const DENTAL_FIELDS = ['teeth', 'restorations', 'rootCanalFillings', 'crowns'] as const;

/**
 * Per-image features for clustering. The study used dental status (teeth, restorations,
 * root-canal fillings, crowns); every such field that all records carry is used. When none
 * is labelled (as in both public samples) the image stands in for it: lesion count,
 * radiopaque share (a proxy for metal restorations), pixel mean and pixel SD.
 */
export function clusterFeatures(
  records: readonly ImageRecord[], samples: readonly Sample[],
): { names: string[]; points: number[][] } {
  if (records.length !== samples.length) {
    throw new Error(`clusterFeatures: ${records.length} records but ${samples.length} samples`);
  }
  const labelled = DENTAL_FIELDS.filter((field) =>
    records.every((record) => record.dentalStatus?.[field] !== undefined));
  if (labelled.length > 0) {
    return {
      names: ['lesionCount', ...labelled],
      points: records.map((record) => [record.lesionCount,
        ...labelled.map((field) => record.dentalStatus?.[field] as number)]),
    };
  }
  return {
    names: ['lesionCount', 'radiopaqueShare', 'pixelMean', 'pixelSd'],
    points: records.map((record, i) => {
      const sample = samples[i];
      const { mean, sd } = pixelStats(sample.image);
      return [record.lesionCount,
        radiopaqueShare(sample.image, sample.height, sample.width), mean, sd];
    }),
  };
}

/**
 * Cross-validation as published: standardized features, mini-batch k-means for k in
 * `kRange` (k chosen by silhouette, ties by Davies–Bouldin), then folds that draw evenly
 * from every cluster. k values of at least the number of images are left out; when none is
 * left (2 images or fewer) or all feature vectors are identical, one cluster (k = 1) is used,
 * i.e. plain shuffled folds, and `note` says so.
 * @param records the training images' records
 * @param samples their preprocessed samples, same order
 * @param folds number of folds, an integer >= 2 and at most the number of images
 * @param seed seed of k-means and of the fold deal
 * @param kRange candidate cluster counts (default 2 to 8)
 * @returns folds, chosen k, cluster labels, feature names, the k table and an optional note
 * @throws Error when there are fewer images than folds (naming both), or on invalid features
 * @example const { folds, k } = studyFolds(recordsOf(m, 'A', 'train'), trainA, 5, 1)
 */
export function studyFolds(
  records: readonly ImageRecord[], samples: readonly Sample[], folds: number, seed: number,
  kRange: readonly number[] = [2, 3, 4, 5, 6, 7, 8],
): StudyFolds {
  if (records.length < folds) {
    throw new Error(`study-folds.ts: ${records.length} training images cannot fill ${folds} ` +
      'folds; expected at least one image per fold (use fewer folds or more images)');
  }
  const { names, points } = clusterFeatures(records, samples);
  const usable = kRange.filter((k) => k < records.length);
  const chosen = usable.length > 0 ? chooseK(standardize(points), usable, { seed })
    : { k: 1, labels: records.map(() => 0), table: [],
      note: `${records.length} images are too few to cluster (k must be below the number of ` +
        'images); one cluster (k = 1) used' };
  return {
    folds: clusteredFolds(chosen.labels, folds, seed),
    k: chosen.k, labels: chosen.labels, features: names, table: chosen.table,
    note: chosen.note,
  };
}
