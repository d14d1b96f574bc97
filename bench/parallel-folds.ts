/**
 * Wall time of experiment 1's folds trained one after another in this process, and in
 * worker processes (lib/experiments/parallel.ts), on the real data; the two must give the
 * same numbers.
 *
 *   node --import tsx bench/parallel-folds.ts [--folds 2] [--epochs 2] [--profile laptop]
 */
import assert from 'node:assert/strict';
import os from 'node:os';

import { chooseBackend } from '../lib/compute/backend.js';
import { loadProfile } from '../lib/config/profiles.js';
import { buildManifest } from '../lib/data/manifest.js';
import { resolveDataRoot } from '../lib/data/paths.js';
import { runBaseline } from '../lib/experiments/baseline.js';

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] !== undefined ? process.argv[at + 1] : fallback;
}

const load = () => os.loadavg().map((value) => value.toFixed(2)).join(', ');

async function main(): Promise<void> {
  const profile = { ...loadProfile(option('profile', 'laptop')),
    folds: Number(option('folds', '2')), epochs: Number(option('epochs', '2')) };
  const manifest = await buildManifest(resolveDataRoot(),
    { seed: profile.seed, testFraction: profile.testFraction });
  await chooseBackend({ requested: 'wasm' });
  const quiet = () => {};
  // Fills the sample cache, so that neither timed run decodes images.
  await runBaseline(manifest, { ...profile, epochs: 1, folds: 2, maxTrainImages: 4 },
    { workers: 1, log: quiet });

  console.log(`profile ${profile.name}: ${profile.height}x${profile.width}, ` +
    `${profile.baseFilters} filters, ${profile.folds} folds, ${profile.epochs} epochs; ` +
    `${os.availableParallelism()} cores; load before ${load()}`);
  let started = performance.now();
  const sequential = await runBaseline(manifest, profile, { workers: 1, log: quiet });
  const sequentialS = (performance.now() - started) / 1000;
  console.log(`in-process, one fold after another: ${sequentialS.toFixed(1)} s (load ${load()})`);

  const workers = Math.min(profile.folds, os.availableParallelism());
  started = performance.now();
  const parallel = await runBaseline(manifest, profile, { workers, log: quiet });
  const parallelS = (performance.now() - started) / 1000;
  console.log(`${workers} worker processes: ${parallelS.toFixed(1)} s (load ${load()}); ` +
    `speed-up ${(sequentialS / parallelS).toFixed(2)}x`);
  assert.deepEqual(parallel, sequential, 'workers and in-process results differ');
  console.log('results identical');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
