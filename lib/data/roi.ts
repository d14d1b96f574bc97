/**
 * Region of interest: the part of a panoramic radiograph that holds the dentition. Center A's
 * images come cropped by their authors; center B's are full panoramics with skull, spine and
 * a scanner mark, which a crop removes so both centers show the network the same anatomy.
 */

/** A crop as fractions of the image's width (left, right) and height (top, bottom). */
export interface RoiCrop {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** An integer pixel rectangle (sharp's `extract` takes exactly this). */
export interface PixelRect {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** The whole image: for images that arrive already cropped (center A). */
export const IDENTITY_ROI: RoiCrop = { left: 0, top: 0, right: 1, bottom: 1 };

/**
 * Center B's default crop, chosen by looking at all 50 CariesXrays panoramics with the crop
 * and the boxes drawn over them. It keeps both dental arches from the third molars inwards,
 * the upper roots and the lower roots, and drops the condyles, the spine shadows at the sides,
 * the orbits and the scanner mark at the bottom right. Its aspect is 2.0:1 on the 2440x1280
 * images (34 of 50) and 2.2:1 on the 2648x1280 ones, close to the network's 704x352. All 82
 * boxes lie inside it; the nearest come within 1.5% of the width to its right edge (0.785)
 * and 2% to its left (0.220), and 3.4% of the height to its bottom (0.796).
 * NOTE: one fixed crop for all images; a child's unerupted upper molars may touch its top.
 */
export const CARIES_XRAYS_ROI: RoiCrop = { left: 0.2, top: 0.26, right: 0.8, bottom: 0.83 };

/**
 * Checks that a crop is a non-empty rectangle inside the unit square.
 * @param roi the crop
 * @param where names the crop's origin (file, center) in the error message
 * @returns the same crop
 * @throws Error naming the field and the expected range
 * @example validateRoi({ left: 0, top: 0, right: 1, bottom: 1 }, 'center A')
 */
export function validateRoi(roi: RoiCrop, where = 'roi'): RoiCrop {
  for (const field of ['left', 'top', 'right', 'bottom'] as const) {
    const value = roi[field];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
      throw new Error(`${where}: field '${field}' must be a number in [0, 1], got ${value}`);
    }
  }
  if (roi.left >= roi.right || roi.top >= roi.bottom) {
    throw new Error(`${where}: expected left < right and top < bottom, got ` +
      JSON.stringify(roi));
  }
  return roi;
}

/**
 * The crop's integer pixel rectangle in an image of the given size. Edges are rounded to the
 * nearest pixel boundary, so the rectangle's size follows from its rounded edges and
 * neighbouring crops share edges exactly; at least one pixel is always kept.
 * @param roi fractions of width and height
 * @param width image columns (>= 1)
 * @param height image rows (>= 1)
 * @returns { left, top, width, height } inside the image
 * @throws Error when the crop or the image size is invalid
 * @example roiPixels({ left: 0.2, top: 0.26, right: 0.8, bottom: 0.83 }, 2440, 1280)
 *   // { left: 488, top: 333, width: 1464, height: 729 }
 */
export function roiPixels(roi: RoiCrop, width: number, height: number): PixelRect {
  validateRoi(roi);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`roiPixels: image size must be integers >= 1, got ${width}x${height}`);
  }
  const left = Math.min(Math.round(roi.left * width), width - 1);
  const top = Math.min(Math.round(roi.top * height), height - 1);
  const right = Math.max(Math.round(roi.right * width), left + 1);
  const bottom = Math.max(Math.round(roi.bottom * height), top + 1);
  return { left, top, width: right - left, height: bottom - top };
}
