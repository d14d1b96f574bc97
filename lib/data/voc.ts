/**
 * A small Pascal VOC annotation reader (filename, size, objects with name and bndbox) and the
 * box-to-mask drawing. No XML library: VOC files are flat and machine-written, and a few
 * regular expressions read them without another dependency.
 *
 * Box convention: VOC coordinates are 1-based pixel indices and xmax/ymax are inclusive, as in
 * the VOC devkit. A box covers columns xmin-1 .. xmax-1 and rows ymin-1 .. ymax-1 of the
 * 0-based pixel grid, (xmax - xmin + 1) x (ymax - ymin + 1) pixels, and lies inside a W x H
 * image when 1 <= xmin and xmax <= W (same for y).
 */

/** One bounding box in VOC coordinates (1-based, inclusive). */
export interface VocBox {
  xmin: number;
  ymin: number;
  xmax: number;
  ymax: number;
}

/** One annotated object: its class name and box. */
export interface VocObject {
  name: string;
  box: VocBox;
}

/** The parts of a VOC annotation the study uses. */
export interface VocAnnotation {
  filename: string;
  width: number;
  height: number;
  objects: VocObject[];
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos);/g, (_, name: string) => ENTITIES[name]);
}

/** Inner texts of every `<tag>...</tag>` (attributes allowed) in `xml`, in order. */
function elements(xml: string, tag: string): string[] {
  const pattern = new RegExp(`<${tag}(?:\\s[^>]*)?>([\\s\\S]*?)</${tag}\\s*>`, 'g');
  return Array.from(xml.matchAll(pattern), (match) => match[1]);
}

function text(xml: string, tag: string, file: string, field: string): string {
  const found = elements(xml, tag);
  if (found.length === 0) throw new Error(`${file}: field '${field}' is missing`);
  return decodeEntities(found[0].trim());
}

function number(xml: string, tag: string, file: string, field: string): number {
  const raw = text(xml, tag, file, field);
  const value = Number(raw);
  if (raw === '' || !Number.isFinite(value)) {
    throw new Error(`${file}: field '${field}' must be a number, got '${raw}'`);
  }
  return value;
}

/**
 * Parses a Pascal VOC annotation.
 * @param xml the file's text
 * @param file its path, for error messages
 * @returns filename, image width and height, and the objects with their boxes
 * @throws Error naming the file and the field when a field is missing or not a number
 * @example parseVoc(readFileSync(path, 'utf8'), path).objects.length // boxes in the file
 */
export function parseVoc(xml: string, file: string): VocAnnotation {
  const body = xml.replace(/<!--[\s\S]*?-->/g, '');
  const annotation = elements(body, 'annotation');
  if (annotation.length !== 1) {
    throw new Error(`${file}: expected one <annotation> element, found ${annotation.length}`);
  }
  const root = annotation[0];
  const size = text(root, 'size', file, 'size');
  const objects = elements(root, 'object').map((object, index) => {
    const where = `object[${index}]`;
    const bndbox = text(object, 'bndbox', file, `${where}.bndbox`);
    const box: VocBox = {
      xmin: number(bndbox, 'xmin', file, `${where}.bndbox.xmin`),
      ymin: number(bndbox, 'ymin', file, `${where}.bndbox.ymin`),
      xmax: number(bndbox, 'xmax', file, `${where}.bndbox.xmax`),
      ymax: number(bndbox, 'ymax', file, `${where}.bndbox.ymax`),
    };
    return { name: text(object, 'name', file, `${where}.name`), box };
  });
  return {
    filename: elements(root, 'filename').map((name) => decodeEntities(name.trim()))[0] ?? '',
    width: number(size, 'width', file, 'size.width'),
    height: number(size, 'height', file, 'size.height'),
    objects,
  };
}

/**
 * Checks that a box has integer coordinates, lies inside a width x height image and covers
 * more than one pixel index in each direction.
 * A box partly outside the image is an error as well, not clipped: clipping would change the
 * annotated lesion without anyone seeing it; the message says how to fix the file.
 * NOTE: xmax == xmin (one pixel column in the inclusive reading) is rejected as a zero-area
 * box, as most VOC tools compute width = xmax - xmin; no lesion is one pixel wide.
 * @param box VOC coordinates
 * @param width image columns
 * @param height image rows
 * @param where names the file and the object in the error message
 * @throws Error naming `where`, the box and what was expected
 * @example validateBox({ xmin: 1, ymin: 1, xmax: 4, ymax: 3 }, 10, 10, 'a.xml object[0]')
 */
export function validateBox(box: VocBox, width: number, height: number, where: string): void {
  const coordinates = `(${box.xmin},${box.ymin})-(${box.xmax},${box.ymax})`;
  for (const value of [box.xmin, box.ymin, box.xmax, box.ymax]) {
    if (!Number.isInteger(value)) {
      throw new Error(`${where}: bndbox ${coordinates} must have integer pixel indices`);
    }
  }
  if (box.xmax <= box.xmin || box.ymax <= box.ymin) {
    throw new Error(`${where}: bndbox ${coordinates} has zero area (expected xmin < xmax ` +
      `and ymin < ymax)`);
  }
  if (box.xmin < 1 || box.ymin < 1 || box.xmax > width || box.ymax > height) {
    // A box starting at 0 was most likely written 0-based; VOC's indices start at 1.
    const hint = box.xmin === 0 || box.ymin === 0 ? '; 0-based coordinates? VOC counts from 1'
      : '';
    throw new Error(`${where}: bndbox ${coordinates} lies outside the ${width}x${height} ` +
      `image (expected 1 <= xmin, xmax <= ${width}, 1 <= ymin, ymax <= ${height})${hint}`);
  }
}

/**
 * Draws boxes as a binary mask: 1 inside any box, 0 elsewhere (overlaps stay 1).
 * @param boxes VOC boxes (1-based, inclusive; see the module comment)
 * @param width mask columns
 * @param height mask rows
 * @returns row-major 0/1 pixels, length width * height
 * @throws Error when a box is invalid for this size (see validateBox)
 * @example boxesToMask([{ xmin: 2, ymin: 1, xmax: 3, ymax: 2 }], 4, 3)
 *   // [0,1,1,0, 0,1,1,0, 0,0,0,0]: 2 x 2 = 4 pixels
 */
export function boxesToMask(boxes: readonly VocBox[], width: number, height: number):
  Uint8Array {
  const mask = new Uint8Array(width * height);
  boxes.forEach((box, index) => {
    validateBox(box, width, height, `boxesToMask box[${index}]`);
    for (let row = box.ymin - 1; row <= box.ymax - 1; row++) {
      mask.fill(1, row * width + box.xmin - 1, row * width + box.xmax);
    }
  });
  return mask;
}
