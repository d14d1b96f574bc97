/**
 * Workshop bundles: carry the finished runs of a profile (and the preprocessed samples the
 * notebooks read) to another clone, whose `npm run study` then trains and decodes nothing.
 *
 *   npm run bundle -- export --profile smoke [--out FILE]
 *   npm run bundle -- import FILE
 */
import { join, resolve } from 'node:path';
import { loadProfile } from '../lib/config/profiles.js';
import { buildManifest } from '../lib/data/manifest.js';
import { projectRoot, resolveDataRoot } from '../lib/data/paths.js';
import { sampleCacheDir } from '../lib/data/preprocess.js';
import { resultsDir } from '../lib/experiments/run-store.js';
import { exportBundle, importBundle } from '../lib/reporting/bundle.js';

const usage = `usage: npm run bundle -- export --profile smoke|laptop|paper [--out FILE]
       npm run bundle -- import FILE
  export   packs the profile's finished runs that the notebooks read, and the sample cache
           entries they load, into FILE (default results/bundle-<profile>.tar.gz)
  import   unpacks FILE into the results folder and the sample cache, after checking it;
           refused when this clone's training code or data differ from the bundle's

Results folder: STUDY_RESULTS (default results/); sample cache: STUDY_CACHE/samples
(default .cache/samples); data: DENTAL_DATA (default ../shared/data).`;

/** A usage error: the message and the usage, exit status 2. */
function fail(message: string): never {
  console.error(`bundle: ${message}\n${usage}`);
  process.exit(2);
}

interface Command { action: 'export' | 'import'; profile?: string; file?: string }

function parseArguments(argv: string[]): Command {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(usage);
    process.exit(0);
  }
  const [action, ...rest] = argv;
  if (action === 'import') {
    if (rest.length !== 1 || rest[0].startsWith('--')) fail('import needs exactly one FILE');
    return { action, file: rest[0] };
  }
  if (action !== 'export') fail(`expected 'export' or 'import', got '${action ?? ''}'`);
  const command: Command = { action };
  for (let i = 0; i < rest.length; i += 2) {
    const [flag, value] = [rest[i], rest[i + 1]];
    if (flag !== '--profile' && flag !== '--out') fail(`unexpected argument '${flag}'`);
    if (value === undefined || value.startsWith('--')) fail(`${flag} needs a value`);
    if (flag === '--profile') command.profile = value;
    else command.file = value;
  }
  if (command.profile === undefined) fail('export needs --profile');
  try {
    loadProfile(command.profile);
  } catch (error) {
    fail((error as Error).message);
  }
  return command;
}

async function main(): Promise<void> {
  const command = parseArguments(process.argv.slice(2));
  const folders = { resultsRoot: resultsDir(), cacheDir: sampleCacheDir() };
  if (command.action === 'export') {
    const profile = loadProfile(command.profile as string);
    const manifest = await buildManifest(resolveDataRoot(),
      { seed: profile.seed, testFraction: profile.testFraction });
    const out = resolve(command.file ??
      join(projectRoot(), 'results', `bundle-${profile.name}.tar.gz`));
    await exportBundle(profile.name, manifest, out, folders);
    return;
  }
  // The data hash does not depend on the split, so the default split serves every profile.
  const manifest = await buildManifest(resolveDataRoot());
  const imported = await importBundle(resolve(command.file as string), manifest, folders);
  console.log(`bundle: next, \`npm run study -- --profile ${imported.profile}\` trains nothing`);
}

main().catch((error: unknown) => {
  console.error(`bundle: ${(error as Error).message ?? String(error)}`);
  process.exit(1);
});
