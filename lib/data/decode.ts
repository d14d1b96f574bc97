/**
 * Decoding radiographs and pixel masks with sharp, on one stated intensity scale, whatever the
 * scanner or tool wrote:
 * - the format is read from the content, not the extension (see formatMismatch);
 * - the EXIF orientation tag is applied (the image is read upright, as a viewer shows it);
 * - 8-bit samples are kept; 16-bit samples v become round(v / 257) = round(255 v / 65535),
 *   so 0 and each depth's full scale map to 0 and 255, and the network's [0, 1] is value / 255;
 *   1-, 2- and 4-bit grey PNGs are expanded to 8 bits by the decoder (full scale 255);
 * - RGB becomes grey as libvips' sRGB to b-w does: Rec. 709 luminance in linear light,
 *   re-encoded with the sRGB curve; R = G = B gives back that value exactly;
 * - a palette is expanded to its colours, then made grey like RGB;
 * - an alpha channel is dropped: the stored grey values are used, not composited on a colour.
 * Other sample formats (float, 32-bit, signed) are rejected with an error naming the file.
 * NOTE: 12-bit data in a 16-bit container reads dark (4095 becomes 16); the data check warns.
 */
import sharp from 'sharp';

/** Row-major 8-bit grey pixels. */
export interface GreyImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** A decoded file: its 8-bit grey pixels plus what the file itself held. */
export interface DecodedImage extends GreyImage {
  /** The file's grey values before scaling to 8 bits (the same array as `data` for 8 bits). */
  values: Uint8Array | Uint16Array;
  /** Full scale of `values`: 255 or 65535. */
  fullScale: number;
  /** The format found in the content, as sharp names it: 'png', 'jpeg', 'tiff', ... */
  format: string;
  /** The EXIF orientation tag (1 to 8), 1 when the file has none. */
  orientation: number;
}

/** What a file's header says: upright size, format, orientation and size as stored. */
export interface ImageHeader {
  /** Columns and rows after the EXIF orientation is applied. */
  width: number;
  height: number;
  format: string;
  orientation: number;
  /** Columns and rows as stored, before orientation (differs for orientations 5 to 8). */
  storedWidth: number;
  storedHeight: number;
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

const SAMPLE_FORMATS = ['uchar', 'ushort'];

/**
 * Decodes an encoded image (PNG, JPEG, TIFF, ...) upright and grey, on the scale stated in
 * the module comment.
 * @param bytes the file's content
 * @param file the file's path, for the error message
 * @returns 8-bit pixels, the file's own values and full scale, format and orientation
 * @throws Error "Could not decode image <file>: <reason>" for a corrupt, truncated or
 *   unsupported file (float or 32-bit samples)
 * @example const { data, fullScale } = await decodeImage(readFileSync(path), path)
 */
export async function decodeImage(bytes: Uint8Array, file: string): Promise<DecodedImage> {
  decodes++;
  try {
    const meta = await sharp(bytes).metadata();
    if (!SAMPLE_FORMATS.includes(meta.depth ?? '')) {
      throw new Error(`samples are '${meta.depth}'; expected 8- or 16-bit unsigned integers ` +
        '(export the image as an 8- or 16-bit PNG)');
    }
    // failOn 'warning' (sharp's default, spelled out): a truncated file must fail, not decode
    // into an image with a grey band at the bottom.
    const pipeline = sharp(bytes, { failOn: 'warning', autoOrient: true }).removeAlpha();
    const sixteen = meta.depth === 'ushort';
    const { data, info } = await (sixteen
      ? pipeline.toColourspace('grey16').raw({ depth: 'ushort' })
      : pipeline.greyscale().raw()).toBuffer({ resolveWithObject: true });
    const pixels = info.width * info.height;
    if (info.channels !== 1 || data.length !== pixels * (sixteen ? 2 : 1)) {
      throw new Error(`expected 1 channel of ${info.width}x${info.height} pixels, got ` +
        `${info.channels} channels, ${data.length} bytes`);
    }
    const bytes8 = new Uint8Array(data.buffer, data.byteOffset, data.length);
    const values16 = sixteen ? new Uint16Array(data.buffer.slice(data.byteOffset,
      data.byteOffset + data.length)) : undefined;
    return { data: values16 ? Uint8Array.from(values16, (v) => Math.round(v / 257)) : bytes8,
      values: values16 ?? bytes8, fullScale: sixteen ? 65535 : 255, width: info.width,
      height: info.height, format: meta.format ?? 'unknown', orientation: meta.orientation ?? 1 };
  } catch (error) {
    throw new Error(`Could not decode image ${file}: ${(error as Error).message}`);
  }
}

/**
 * Decodes an encoded image into upright 8-bit grey pixels (see decodeImage for the scale).
 * @param bytes the file's content
 * @param file the file's path, for the error message
 * @returns width, height and one byte per pixel
 * @throws Error "Could not decode image <file>: <reason>" for a corrupt or truncated file
 * @example const { data, width, height } = await decodeGrey(readFileSync(path), path)
 */
export async function decodeGrey(bytes: Uint8Array, file: string): Promise<GreyImage> {
  const { data, width, height } = await decodeImage(bytes, file);
  return { data, width, height };
}

/**
 * The header of an image file, without decoding its pixels.
 * @param file path of a PNG, JPEG or TIFF
 * @returns upright width and height, format, orientation, stored width and height
 * @throws Error "Could not decode image <file> (header): <reason>"
 * @example (await imageHeader('cariesxrays/images/000420.jpg')).format // 'jpeg'
 */
export async function imageHeader(file: string): Promise<ImageHeader> {
  try {
    const meta = await sharp(file).metadata();
    if (!meta.width || !meta.height) throw new Error('no width or height in the header');
    return { width: meta.autoOrient?.width ?? meta.width,
      height: meta.autoOrient?.height ?? meta.height, format: meta.format ?? 'unknown',
      orientation: meta.orientation ?? 1, storedWidth: meta.width, storedHeight: meta.height };
  } catch (error) {
    throw new Error(`Could not decode image ${file} (header): ${(error as Error).message}`);
  }
}

/**
 * Upright width and height from the image's header, without decoding its pixels.
 * @param file path of a PNG, JPEG or TIFF
 * @returns { width, height } after the EXIF orientation is applied
 * @throws Error "Could not decode image <file> (header): <reason>"
 * @example await imageSize('dc1000/images/1008.png') // { width: 1536, height: 768 }
 */
export async function imageSize(file: string): Promise<{ width: number; height: number }> {
  const { width, height } = await imageHeader(file);
  return { width, height };
}

const FORMATS_OF_EXTENSION: Record<string, string[]> = {
  '.png': ['png'], '.jpg': ['jpeg'], '.jpeg': ['jpeg'], '.tif': ['tiff'], '.tiff': ['tiff'],
};

/**
 * A warning when a file's extension names another format than its content holds. Such a
 * file is still read, by its content; the warning tells the researcher what was read.
 * @param file the path (its extension is compared)
 * @param format the format sharp found in the content
 * @returns one sentence naming the file, or undefined when extension and content agree
 * @example formatMismatch('a.png', 'jpeg') // 'a.png has extension .png but holds JPEG ...'
 */
export function formatMismatch(file: string, format: string): string | undefined {
  const dot = file.lastIndexOf('.');
  const extension = dot < 0 ? '' : file.slice(dot).toLowerCase();
  const expected = FORMATS_OF_EXTENSION[extension];
  if (!expected || expected.includes(format)) return undefined;
  return `${file} has extension ${extension} but holds ${format.toUpperCase()} data; read as ` +
    `${format.toUpperCase()} (rename it to match)`;
}

/**
 * The end of a size-mismatch message when a label has its image's size as stored, before a
 * 90° EXIF turn: the label was likely drawn by a tool that ignores the tag.
 * @param header the image's header
 * @param width the label's columns
 * @param height the label's rows
 * @returns '' or '; <hint>'
 * @example sizeHint(header, 40, 20) // '; the label has the image's size as stored, ...'
 */
export function sizeHint(header: ImageHeader, width: number, height: number): string {
  if (header.orientation === 1 || width !== header.storedWidth ||
    height !== header.storedHeight) return '';
  return `; the label has the image's size as stored, before its ` +
    `${orientationText(header.orientation)}: it was likely drawn ignoring that tag (save ` +
    'image and label upright, or label the upright image)';
}

/** Extensions of the image files the importers read (the content decides the format). */
export const IMAGE_EXTENSIONS: readonly string[] = ['.png', '.jpg', '.jpeg', '.tif', '.tiff'];

/** Extensions of pixel mask files: lossless formats only. */
export const MASK_EXTENSIONS: readonly string[] = ['.png', '.tif', '.tiff'];

/** The turn an EXIF orientation tag asks for, for messages. */
export function orientationText(orientation: number): string {
  const turns = ['upright', 'mirrored', 'rotated 180°', 'mirrored upside down',
    'mirrored, rotated 270° clockwise', 'rotated 90° clockwise',
    'mirrored, rotated 90° clockwise', 'rotated 270° clockwise'];
  return `EXIF orientation ${orientation} (${turns[orientation - 1] ?? 'unknown'})`;
}

/**
 * A binary mask from 8-bit grey mask pixels: any value above 127 is lesion (1), the rest 0.
 * Used on masks that this code wrote as 0/255; files go through maskFromValues instead.
 * @param grey 8-bit mask pixels
 * @returns 0/1 per pixel
 * @example binarize(new Uint8Array([0, 128, 255])) // [0, 1, 1]
 */
export function binarize(grey: Uint8Array): Uint8Array {
  const mask = new Uint8Array(grey.length);
  for (let i = 0; i < grey.length; i++) mask[i] = grey[i] > 127 ? 1 : 0;
  return mask;
}
