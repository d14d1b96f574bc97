/**
 * Decoding radiographs and pixel masks into 8-bit grey pixels with sharp. Both centers' images
 * are grey; center B stores them as RGB JPEG, which sharp's greyscale turns back into one
 * channel. 16-bit PNGs are scaled to 8 bits.
 */
import sharp from 'sharp';

/** Row-major 8-bit grey pixels. */
export interface GreyImage {
  data: Uint8Array;
  width: number;
  height: number;
}

let decodes = 0;

/**
 * How many images (radiographs and masks) this process has decoded so far; lets a test
 * show that a cached sample is served without decoding.
 * @example const before = decodeCount(); await loadSample(...); decodeCount() - before // 0
 */
export function decodeCount(): number {
  return decodes;
}

/**
 * Decodes an encoded image (PNG, JPEG, ...) into grey pixels.
 * @param bytes the file's content
 * @param file the file's path, for the error message
 * @returns width, height and one byte per pixel
 * @throws Error "Could not decode image <file>: <reason>" for a corrupt or truncated file
 * @example const { data, width, height } = await decodeGrey(readFileSync(path), path)
 */
export async function decodeGrey(bytes: Uint8Array, file: string): Promise<GreyImage> {
  decodes++;
  try {
    // failOn 'warning' (sharp's default, spelled out): a truncated file must fail, not decode
    // into an image with a grey band at the bottom.
    const { data, info } = await sharp(bytes, { failOn: 'warning' })
      .removeAlpha()
      .greyscale()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 1 || data.length !== info.width * info.height) {
      throw new Error(`expected 1 channel of ${info.width}x${info.height} bytes, got ` +
        `${info.channels} channels, ${data.length} bytes`);
    }
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.length),
      width: info.width, height: info.height };
  } catch (error) {
    throw new Error(`Could not decode image ${file}: ${(error as Error).message}`);
  }
}

/**
 * Width and height from the image's header, without decoding its pixels.
 * @param file path of a PNG or JPEG
 * @returns { width, height }
 * @throws Error "Could not decode image <file> (header): <reason>"
 * @example await imageSize('dc1000/images/1008.png') // { width: 1536, height: 768 }
 */
export async function imageSize(file: string): Promise<{ width: number; height: number }> {
  try {
    const { width, height } = await sharp(file).metadata();
    if (!width || !height) throw new Error('no width or height in the header');
    return { width, height };
  } catch (error) {
    throw new Error(`Could not decode image ${file} (header): ${(error as Error).message}`);
  }
}

/**
 * A binary mask from grey mask pixels: any value above 127 is lesion (1), the rest 0.
 * @param grey 8-bit mask pixels
 * @returns 0/1 per pixel
 * @example binarize(new Uint8Array([0, 128, 255])) // [0, 1, 1]
 */
export function binarize(grey: Uint8Array): Uint8Array {
  const mask = new Uint8Array(grey.length);
  for (let i = 0; i < grey.length; i++) mask[i] = grey[i] > 127 ? 1 : 0;
  return mask;
}
