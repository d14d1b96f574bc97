import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** A Plotly figure: traces and layout as plotly.js takes them. */
export interface Figure {
  data: Record<string, unknown>[];
  layout?: Record<string, unknown>;
}

let libraryEmbedded = false;

/**
 * The plotly.js bundle as an inline script, so figures draw in an exported report with no
 * network. Jupyter pages load RequireJS, whose `define` would swallow the bundle's UMD
 * wrapper, so `define`, `module` and `exports` are hidden from it.
 */
function plotlyLibraryScript(): string {
  const require = createRequire(join(process.cwd(), 'package.json'));
  const bundle = readFileSync(require.resolve('plotly.js-dist-min'), 'utf8')
    .replace(/<\/script/gi, '<\\/script');
  return `<script type="text/javascript">(function (define, module, exports) {\n${bundle}\n` +
    '}).call(window);</script>';
}

/**
 * HTML that draws `figure` with plotly.js; the first figure of a kernel process carries the
 * library itself (about 3.5 MB), later ones reuse it.
 * NOTE: clearing the first figure's output and re-running only later cells in the same
 * kernel leaves them without the library; restart the kernel to embed it again.
 * @example show(figureHtml({ data: [{ x: [1, 2], y: [3, 4], type: 'scatter' }] }))
 */
export function figureHtml(figure: Figure, height = 420): string {
  const id = `figure-${randomBytes(6).toString('hex')}`;
  const library = libraryEmbedded ? '' : plotlyLibraryScript();
  libraryEmbedded = true;
  const spec = JSON.stringify({ data: figure.data, layout: figure.layout ?? {} })
    .replace(/<\//g, '<\\/');
  return `${library}<div id="${id}" class="study-figure" style="width:100%;height:${height}px">` +
    `</div><script type="text/javascript">(function () {\n` +
    `  var spec = ${spec};\n` +
    `  window.Plotly.newPlot('${id}', spec.data, spec.layout,\n` +
    `    { responsive: true, displaylogo: false });\n` +
    `})();</script>`;
}
