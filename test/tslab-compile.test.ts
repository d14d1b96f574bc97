import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { test } from 'node:test';

// Notebooks compile lib/ with tslab's own TypeScript 5.0, to CommonJS and without
// strictNullChecks; code that passes `tsc` here can still fail there (union narrowing, newer
// syntax, import.meta). One cell that imports every module must compile cleanly.
const require = createRequire(join(process.cwd(), 'package.json'));

function modules(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return modules(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

test('every lib module compiles under tslab', { timeout: 120_000 }, () => {
  const { createConverter } = require('tslab/dist/converter.js') as {
    createConverter: () => {
      convert: (prev: string, src: string) => { diagnostics: { messageText: string;
        fileName?: string; start: { line: number } }[] };
      close: () => void;
    };
  };
  const files = modules(join(process.cwd(), 'lib'));
  const cell = files.map((file, i) =>
    `import * as m${i} from './${relative(process.cwd(), file).replace(/\.ts$/, '.js')}';`)
    .join('\n') + `\nconsole.log(${files.map((_, i) => `m${i}`).join(', ')});`;

  const converter = createConverter();
  try {
    const { diagnostics } = converter.convert('', cell);
    const messages = diagnostics.map((d) => `${d.fileName ?? 'cell'}:${d.start.line + 1} ` +
      `${d.messageText}`);
    assert.deepEqual(messages, [], `tslab reports:\n${messages.join('\n')}`);
  } finally {
    converter.close();
  }
});
