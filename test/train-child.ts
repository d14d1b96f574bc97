/**
 * A training run in its own process, for test/resume.test.ts to kill and restart:
 *
 *   node --import tsx test/train-child.ts <data folder> <results folder> <epochs>
 *
 * Trains fold 1 of experiment 1 on a synthetic data folder with a tiny network in this
 * process (no workers), storing the run and its per-epoch checkpoint under the results folder.
 * Prints the run's hash on the last line.
 */
import { chooseBackend } from '../lib/compute/backend.js';
import { loadProfile } from '../lib/config/profiles.js';
import { buildManifest } from '../lib/data/manifest.js';
import { baselinePlans, studySplits } from '../lib/experiments/plans.js';
import { runPlans } from '../lib/experiments/runs.js';

const [dataRoot, resultsRoot, epochs] = process.argv.slice(2);
const profile = { ...loadProfile('smoke'), height: 32, width: 64, depth: 2, baseFilters: 4,
  folds: 2, epochs: Number(epochs), batchSize: 2, maxTrainImages: 6 };
await chooseBackend({ requested: 'wasm' });
const manifest = await buildManifest(dataRoot, { seed: profile.seed, testFraction: 0.2 });
const plans = baselinePlans(profile, await studySplits(manifest, profile)).slice(0, 1);
const [run] = await runPlans(manifest, profile, plans,
  { workers: 1, resultsRoot, log: (line) => console.log(line) });
console.log(run.hash);
