import * as tslab from 'tslab';

/**
 * Shows HTML in the notebook's output; a no-op outside a tslab kernel (tests, scripts).
 * Returns nothing, so that a call ending a cell does not also print the HTML as text.
 * @example show('<b>done</b>')
 */
export function show(html: string): void {
  try {
    tslab.display.html(html);
  } catch {
    // Not inside a kernel: there is no output area.
  }
}

/** Shows Markdown in the notebook's output (a no-op outside a kernel or for ''). */
export function showMarkdown(markdown: string): void {
  if (markdown === '') return;
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
