import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync,
  writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadProfile } from '../lib/config/profiles.js';
import { buildManifest, type Manifest } from '../lib/data/manifest.js';
import { runDir, writeRunResult } from '../lib/experiments/run-store.js';
import { checksums, filesBelow } from '../lib/reporting/bundle-archive.js';
import { importBundle, packBundle, type BundleFolders } from '../lib/reporting/bundle.js';
import { makeDataRoot } from './data-synthetic.js';

// The end-to-end path (export after a real smoke study, import on a fresh results folder,
// `study --only 04` trains nothing) runs in test/notebook.test.ts, on its study run. Here:
// hand-made runs, so that every refusal can be provoked.
const profile = loadProfile('smoke');
const quiet = (): void => undefined;
const runs = ['a', 'b'].map((letter, i) =>
  ({ hash: letter.repeat(64), experiment: 'baseline', name: `fold ${i + 1}` }));

/** A sample cache file: 'DSMP', version 1, height, width, then grey and mask bytes. */
function sampleFile(height: number, width: number, value: number): Buffer {
  const header = Buffer.alloc(16);
  header.write('DSMP', 0, 'latin1');
  header.writeUInt32LE(1, 4);
  header.writeUInt32LE(height, 8);
  header.writeUInt32LE(width, 12);
  return Buffer.concat([header, Buffer.alloc(2 * height * width, value)]);
}

/** Every file below a folder with its sha256 ({} when the folder is empty or missing). */
function snapshot(folder: string): Record<string, string> {
  try {
    return checksums(folder);
  } catch {
    return {};
  }
}

describe('workshop bundle', () => {
  let work: string;
  let data: string;
  let manifest: Manifest;
  let source: BundleFolders;
  let archive: string;
  const fresh = (name: string): BundleFolders => ({ resultsRoot: join(work, name, 'results'),
    cacheDir: join(work, name, 'cache'), log: quiet });

  /** Unpacks the archive, lets `change` edit it, packs it again as a new file. */
  const repacked = (name: string, change: (folder: string) => void): string => {
    const folder = join(work, `repack-${name}`);
    mkdirSync(folder);
    execFileSync('tar', ['-xzf', archive, '-C', folder]);
    change(folder);
    const out = join(work, `${name}.tar.gz`);
    execFileSync('tar', ['-czf', out, '-C', folder, '.']);
    return out;
  };

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'bundle-test-'));
    data = await makeDataRoot(6, 4);
    manifest = await buildManifest(data, { seed: profile.seed, testFraction: 0.25 });
    source = fresh('source');
    for (const [i, run] of runs.entries()) {
      await writeRunResult(run.hash, { hash: run.hash, name: run.name, bestEpoch: i + 1 },
        async (folder) => {
          mkdirSync(folder, { recursive: true });
          writeFileSync(join(folder, 'model.json'), JSON.stringify({ fold: i + 1 }));
          writeFileSync(join(folder, 'weights.bin'), Buffer.alloc(64, i + 7));
        }, source.resultsRoot);
    }
    mkdirSync(source.cacheDir, { recursive: true });
    // One sample at the smoke size, one at the radiopacity proxy's, one at another size.
    writeFileSync(join(source.cacheDir, `${'1'.repeat(64)}.sample`), sampleFile(64, 128, 3));
    writeFileSync(join(source.cacheDir, `${'2'.repeat(64)}.sample`), sampleFile(352, 704, 4));
    writeFileSync(join(source.cacheDir, `${'3'.repeat(64)}.sample`), sampleFile(96, 192, 5));
    archive = join(work, 'bundle-smoke.tar.gz');
    packBundle(profile, runs, manifest, archive, source);
  });
  after(() => {
    for (const folder of [work, data]) rmSync(folder, { recursive: true, force: true });
  });

  test('import installs identical runs and the samples at the notebooks\' sizes', async () => {
    const target = fresh('roundtrip');
    const first = await importBundle(archive, manifest, target);
    assert.deepEqual(first, { profile: 'smoke', runs: 2, samples: 2, present: 0 });
    for (const run of runs) {
      assert.deepEqual(snapshot(runDir(run.hash, target.resultsRoot)),
        snapshot(runDir(run.hash, source.resultsRoot)), `run ${run.name} identical`);
    }
    assert.deepEqual(readdirSync(target.cacheDir).sort(),
      [`${'1'.repeat(64)}.sample`, `${'2'.repeat(64)}.sample`]);
    assert.deepEqual(readdirSync(target.resultsRoot), ['runs'], 'no staging folder left');

    const again = await importBundle(archive, manifest, target);
    assert.deepEqual(again, { profile: 'smoke', runs: 0, samples: 0, present: 2 });
  });

  const refusals: [string, () => string, RegExp][] = [
    ['a truncated archive', () => {
      const file = join(work, 'truncated.tar.gz');
      writeFileSync(file, readFileSync(archive));
      truncateSync(file, Math.floor(readFileSync(archive).length / 2));
      return file;
    }, /truncated\.tar\.gz is damaged or not a study bundle \(tar: /],
    ['a flipped byte', () => {
      const bytes = readFileSync(archive);
      bytes[Math.floor(bytes.length / 2)] ^= 0xff;
      const file = join(work, 'flipped.tar.gz');
      writeFileSync(file, bytes);
      return file;
    }, /flipped\.tar\.gz is damaged/],
    ['not an archive', () => {
      const file = join(work, 'text.tar.gz');
      writeFileSync(file, 'hello');
      return file;
    }, /text\.tar\.gz is damaged or not a study bundle/],
    ['a member altered after packing', () => repacked('altered', (folder) =>
      writeFileSync(join(folder, 'runs', runs[0].hash, 'result.json'), '{"format":1}')),
    new RegExp(`altered\\.tar\\.gz is damaged: runs/${runs[0].hash}/result\\.json does not ` +
      'match its sha256 in bundle\\.json')],
    ['an unlisted member', () => repacked('extra', (folder) =>
      writeFileSync(join(folder, 'runs', 'note.txt'), 'hi')),
    /extra\.tar\.gz is damaged: runs\/note\.txt is not listed in bundle\.json/],
    ['other training code', () => repacked('code', (folder) => {
      const file = join(folder, 'bundle.json');
      const description = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      writeFileSync(file, JSON.stringify({ ...description, codeHash: 'f'.repeat(64) }));
    }), new RegExp('code\\.tar\\.gz was made with other training code \\(ffffffffffff, this ' +
      'clone has [0-9a-f]{12}\\): its runs would not be reused here, so nothing was imported')],
  ];
  for (const [what, make, message] of refusals) {
    test(`${what} is refused with a clear error and changes nothing`, async () => {
      const target = fresh(`refused-${what.replace(/\W+/g, '-')}`);
      mkdirSync(target.resultsRoot, { recursive: true });
      const before = snapshot(target.resultsRoot);
      await assert.rejects(importBundle(make(), manifest, target), message);
      assert.deepEqual(snapshot(target.resultsRoot), before);
      assert.deepEqual(snapshot(target.cacheDir), {});
      assert.deepEqual(readdirSync(target.resultsRoot), ['runs'], 'no staging folder left');
    });
  }

  test('other data is refused, saying the runs would not be reused', async () => {
    const target = fresh('other-data');
    await assert.rejects(importBundle(archive, { ...manifest, hash: '0'.repeat(64) }, target),
      new RegExp('was made with other data \\([0-9a-f]{12}, this clone has 000000000000\\): ' +
        'its runs would not be reused here, so nothing was imported; point DENTAL_DATA'));
    assert.deepEqual(snapshot(target.resultsRoot), {});
  });

  test('a different run already there is refused and kept; an unfinished one is replaced',
    async () => {
      const target = fresh('conflict');
      const other = runDir(runs[0].hash, target.resultsRoot);
      mkdirSync(join(other, 'model'), { recursive: true });
      writeFileSync(join(other, 'result.json'), '{"format":1,"result":{"mine":true}}');
      const before = snapshot(target.resultsRoot);
      await assert.rejects(importBundle(archive, manifest, target),
        new RegExp(`run ${runs[0].hash.slice(0, 12)} \\(baseline, fold 1\\) is already in ` +
          `${other.replace(/[/.]/g, '\\$&')} with other files; nothing was imported`));
      assert.deepEqual(snapshot(target.resultsRoot), before);

      rmSync(join(other, 'result.json'));
      const lines: string[] = [];
      const imported = await importBundle(archive, manifest,
        { ...target, log: (line) => lines.push(line) });
      assert.equal(imported.runs, 2);
      assert.match(lines.join('\n'), /replacing .* an unfinished run \(no result\.json\)/);
      assert.deepEqual(filesBelow(other), ['model/model.json', 'model/weights.bin',
        'result.json']);
    });

  test('a run that is not finished cannot be exported', () => {
    const missing = [...runs, { hash: 'c'.repeat(64), experiment: 'aligned', name: 'fold 1' }];
    assert.throws(() => packBundle(profile, missing, manifest, join(work, 'x.tar.gz'), source),
      new RegExp('1 of 3 runs of profile smoke are not finished in .* \\(first: aligned, ' +
        'fold 1, cccccccccccc\\); run `npm run study -- --profile smoke` first'));
  });
});
