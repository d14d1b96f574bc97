import * as tslab from 'tslab';

/**
 * Shows HTML in the notebook's output. Outside a tslab kernel (tests, scripts) there is no
 * output area, so the HTML is returned unshown.
 * @example show('<b>done</b>')
 */
export function show(html: string): string {
  try {
    tslab.display.html(html);
  } catch {
    // Not inside a kernel: the caller keeps the returned HTML.
  }
  return html;
}

/** Shows Markdown in the notebook's output (a no-op outside a kernel). */
export function showMarkdown(markdown: string): void {
  try {
    tslab.display.markdown(markdown);
  } catch {
    // Not inside a kernel.
  }
}

/** Escapes text for use inside HTML element content or attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}
