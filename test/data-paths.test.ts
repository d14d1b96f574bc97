import assert from 'node:assert/strict';
import { existsSync, mkdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';

import { DATA_HELP, projectRoot, resolveDataRoot } from '../lib/data/paths.js';
import { temporaryFolder } from './data-synthetic.js';

const startCwd = process.cwd();
const startEnv = process.env.DENTAL_DATA;

function restore(): void {
  process.chdir(startCwd);
  if (startEnv === undefined) delete process.env.DENTAL_DATA;
  else process.env.DENTAL_DATA = startEnv;
}

/** A fake project: <tmp>/package.json named like ours, <tmp>/sub/package.json named else. */
function fakeProject(): string {
  const root = realpathSync(temporaryFolder('dental-project-'));
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'dental-generalizability' }));
  mkdirSync(join(root, 'sub', 'deeper'), { recursive: true });
  writeFileSync(join(root, 'sub', 'package.json'), JSON.stringify({ name: 'other' }));
  return root;
}

describe('projectRoot', () => {
  afterEach(restore);

  it('finds this repository from its root and from a subfolder', () => {
    const expected = projectRoot();
    assert.ok(existsSync(join(expected, 'lib', 'data', 'paths.ts')));
    process.chdir(join(expected, 'lib', 'data'));
    assert.equal(projectRoot(), expected);
  });

  it('skips package.json files of other names on the way up', () => {
    const root = fakeProject();
    try {
      process.chdir(join(root, 'sub', 'deeper'));
      assert.equal(projectRoot(), root);
    } finally {
      process.chdir(startCwd);
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('resolveDataRoot', () => {
  let folder: string;
  beforeEach(() => {
    folder = temporaryFolder();
    delete process.env.DENTAL_DATA;
  });
  afterEach(() => {
    restore();
    rmSync(folder, { recursive: true, force: true });
  });

  it('takes the explicit argument first', () => {
    process.env.DENTAL_DATA = startCwd;
    assert.equal(resolveDataRoot(folder), resolve(folder));
  });

  it('takes DENTAL_DATA when there is no argument', () => {
    process.env.DENTAL_DATA = folder;
    assert.equal(resolveDataRoot(), resolve(folder));
  });

  it('falls back to <projectRoot>/../shared/data when it exists', () => {
    const shared = resolve(projectRoot(), '..', 'shared', 'data');
    if (!existsSync(shared)) return;
    assert.equal(resolveDataRoot(), shared);
  });

  it('uses ../shared/data of the project found from the working directory', () => {
    const parent = realpathSync(temporaryFolder('dental-parent-'));
    try {
      const project = join(parent, 'main');
      mkdirSync(join(parent, 'shared', 'data'), { recursive: true });
      mkdirSync(project);
      writeFileSync(join(project, 'package.json'), '{"name":"dental-generalizability"}');
      process.chdir(project);
      assert.equal(resolveDataRoot(), join(parent, 'shared', 'data'));
    } finally {
      process.chdir(startCwd);
      rmSync(parent, { recursive: true, force: true });
    }
  });

  const missing: Array<{ name: string; call: (path: string) => string; origin: RegExp }> = [
    { name: 'a missing argument', call: (path) => resolveDataRoot(path), origin: /the argument/ },
    { name: 'a missing DENTAL_DATA', origin: /DENTAL_DATA/, call: (path) => {
      process.env.DENTAL_DATA = path;
      return resolveDataRoot();
    } },
  ];
  for (const { name, call, origin } of missing) {
    it(`throws for ${name}, saying how to get the samples`, () => {
      const path = join(folder, 'nowhere');
      assert.throws(() => call(path), (error: Error) =>
        error.message.includes(path) && origin.test(error.message) &&
        error.message.includes(DATA_HELP));
    });
  }

  it('explains where to get both samples and how to point at them', () => {
    for (const words of ['Zzz512/MLUA', 'Binz-Chen/AAAI2024_CariesXrays', 'dc1000/{images,masks}',
      'cariesxrays/{images,annotations}', 'npm run data', 'DENTAL_DATA']) {
      assert.ok(DATA_HELP.includes(words), `DATA_HELP mentions ${words}`);
    }
  });

  it('throws with the instructions when the project has no ../shared/data', () => {
    const root = fakeProject();
    const shared = resolve(root, '..', 'shared', 'data');
    try {
      process.chdir(root);
      if (existsSync(shared)) return;
      assert.throws(() => resolveDataRoot(), (error: Error) =>
        error.message.includes(`${shared} missing`) && error.message.includes(DATA_HELP));
    } finally {
      process.chdir(startCwd);
      rmSync(root, { recursive: true, force: true });
    }
  });
});
