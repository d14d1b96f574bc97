/**
 * Lesion-level evaluation: does the model find each caries lesion, and how many of its
 * predicted regions are no lesion at all. Like the pixel scores, every score is a small
 * function over per-image counts (`lesionCounts`), reduced over images by `lesionScores`.
 *
 * A lesion is an 8-connected region of the annotated mask, a predicted region an
 * 8-connected region of the binary prediction (`labelComponents`).
 * NOTE: a lesion counts as detected when at least one of its pixels is predicted (overlap
 * >= 1 pixel, no IoU cutoff), so one large predicted region can detect several lesions.
 */
import { labelComponents } from '../data/components.js';

/** Lesion-level counts of one binary prediction against one binary mask. */
export interface LesionCounts {
  /** 8-connected regions of the mask. */
  lesions: number;
  /** Lesions with at least one predicted pixel. */
  detected: number;
  /** 8-connected regions of the prediction. */
  predictedRegions: number;
  /** Predicted regions that overlap no lesion pixel. */
  falseDetections: number;
}

/** Lesion-level scores over many images. */
export interface LesionScores {
  /** Detected lesions / lesions, pooled over images. NaN when there is no lesion. */
  sensitivity: number;
  /** Predicted regions touching a lesion / predicted regions, pooled. NaN when none. */
  ppv: number;
  /** False detections summed over images, divided by the images. NaN for no image. */
  falseDetectionsPerImage: number;
}

/**
 * Counts lesions, detected lesions, predicted regions and false detections of one image.
 * @param prediction 0/1 per pixel (1 = lesion), row-major, e.g. from `binarize`.
 * @param truth 0/1 per pixel, the annotated mask, same length.
 * @param width columns.
 * @param height rows.
 * @returns the four counts; detected <= lesions and falseDetections <= predictedRegions.
 * @throws Error when a length is not width * height (naming the array) or a value is
 *   neither 0 nor 1 (naming the array and the index).
 * @example lesionCounts(Uint8Array.of(1, 0, 0, 0), Uint8Array.of(1, 0, 0, 1), 2, 2)
 *   // { lesions: 1, detected: 1, predictedRegions: 1, falseDetections: 0 } (diagonal)
 */
export function lesionCounts(
  prediction: Uint8Array, truth: Uint8Array, width: number, height: number,
): LesionCounts {
  for (const [name, mask] of [['prediction', prediction], ['truth', truth]] as const) {
    if (mask.length !== width * height) {
      throw new Error(`lesions.ts: ${name} has ${mask.length} pixels; expected width * ` +
        `height = ${width} * ${height} = ${width * height}`);
    }
    const index = mask.findIndex((value) => value > 1);
    if (index >= 0) {
      // A 0/255 mask passed unconverted would otherwise count silently as lesion.
      throw new Error(`lesions.ts: ${name}[${index}] is ${mask[index]}; expected 0 or 1`);
    }
  }

  const lesions = labelComponents(truth, width, height);
  const regions = labelComponents(prediction, width, height);
  // Index 0 (background) is never set: only pixels that are lesion in both are visited.
  const lesionHit = new Uint8Array(lesions.count + 1);
  const regionHit = new Uint8Array(regions.count + 1);
  for (let i = 0; i < truth.length; i++) {
    if (truth[i] === 1 && prediction[i] === 1) {
      lesionHit[lesions.labels[i]] = 1;
      regionHit[regions.labels[i]] = 1;
    }
  }

  const detected = lesionHit.reduce((sum, hit) => sum + hit, 0);
  const touching = regionHit.reduce((sum, hit) => sum + hit, 0);
  return {
    lesions: lesions.count,
    detected,
    predictedRegions: regions.count,
    falseDetections: regions.count - touching,
  };
}

/**
 * Lesion sensitivity, lesion-level PPV and false detections per image over many images.
 * Sensitivity and PPV pool the counts (every lesion and region weighs the same), so an
 * image without lesions adds its false detections but no 0/0.
 * NOTE: 0/0 is NaN, never 0 or 1: sensitivity when no image has a lesion, ppv when nothing
 * is predicted anywhere, falseDetectionsPerImage for an empty list.
 * @param perImage counts of every image, from `lesionCounts`.
 * @returns sensitivity, ppv and falseDetectionsPerImage.
 * @example lesionScores([{ lesions: 2, detected: 1, predictedRegions: 3, falseDetections: 1 }])
 *   // { sensitivity: 0.5, ppv: 0.667, falseDetectionsPerImage: 1 }
 */
export function lesionScores(perImage: readonly LesionCounts[]): LesionScores {
  let lesions = 0;
  let detected = 0;
  let predictedRegions = 0;
  let falseDetections = 0;
  for (const counts of perImage) {
    lesions += counts.lesions;
    detected += counts.detected;
    predictedRegions += counts.predictedRegions;
    falseDetections += counts.falseDetections;
  }
  return {
    sensitivity: ratio(detected, lesions),
    ppv: ratio(predictedRegions - falseDetections, predictedRegions),
    falseDetectionsPerImage: ratio(falseDetections, perImage.length),
  };
}

function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? NaN : numerator / denominator;
}
