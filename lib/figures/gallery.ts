import { escapeHtml } from './display.js';

/** One picture of a gallery: PNG bytes and a caption. */
export interface GalleryItem {
  png: Buffer;
  caption: string;
}

/**
 * HTML of PNG images in a wrapping row, each with its caption; the images are embedded as
 * data URIs, so the exported report needs no image files beside it.
 * @param items the pictures.
 * @param title shown above them.
 * @param columns pictures per row (default 2).
 * @example show(galleryHtml([{ png, caption: 'A-1008' }], 'Figure 2a'))
 */
export function galleryHtml(items: readonly GalleryItem[], title: string, columns = 2): string {
  const width = `${Math.floor(96 / columns)}%`;
  const figures = items.map((item) =>
    `<figure style="margin:4px;display:inline-block;vertical-align:top;width:${width}">` +
    `<img style="width:100%" src="data:image/png;base64,${item.png.toString('base64')}"/>` +
    `<figcaption style="font-size:90%">${escapeHtml(item.caption)}</figcaption></figure>`);
  return `<div class="study-gallery"><div><b>${escapeHtml(title)}</b></div>` +
    `${figures.join('')}</div>`;
}
