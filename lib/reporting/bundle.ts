/**
 * Workshop bundles: the finished training runs of one profile that the notebooks read, and
 * the preprocessed samples they load, in one archive. Imported on another clone with the same
 * training code and data, its runs are reused, so the notebooks execute without training or
 * decoding a radiograph.
 *
 *   bundle.json        format, profile, code and data hash, commit, runs, sha256 of each file
 *   runs/<hash>/...    result.json and model/ of each run (the results folder's layout)
 *   samples/<key>.sample   sample cache entries at the sizes the notebooks read
 */
import { closeSync, cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync,
  readFileSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProfile, type Profile } from '../config/profiles.js';
import type { Manifest } from '../data/manifest.js';
import { PROXY_SIZE } from '../experiments/dental-status.js';
import { experimentPlans, gridExperiments, NOTEBOOK_EXPERIMENTS } from '../experiments/grid.js';
import { studySplits } from '../experiments/plans.js';
import { codeVersion } from '../experiments/provenance.js';
import { codeHash, readRunResult, runDir } from '../experiments/run-store.js';
import { planHash } from '../experiments/runs.js';
import { writeFileAtomic } from '../util/atomic.js';
import { BUNDLE_FILE, checksums, fileSha256, filesBelow, packFolder, unpackArchive,
  verifyChecksums } from './bundle-archive.js';

const BUNDLE_FORMAT = 1;

/** A run the bundle carries. */
export interface BundleRun { hash: string; experiment: string; name: string }

/** What bundle.json holds. */
export interface BundleDescription {
  format: number;
  profile: string;
  /** codeHash() of the clone that made it: runs are reused only under the same one. */
  codeHash: string;
  /** The data folder's manifest hash. */
  dataHash: string;
  commit: string;
  created: string;
  runs: BundleRun[];
  /** sha256 of every other member, by path. */
  files: Record<string, string>;
}

/** Folders a bundle works with. */
export interface BundleFolders {
  /** The results folder (resultsDir()). */
  resultsRoot: string;
  /** The sample cache folder (sampleCacheDir()). */
  cacheDir: string;
  log?: (line: string) => void;
}

/**
 * The runs every notebook reads in this profile, with their run hashes on this data and code.
 * @example (await notebookRuns(profile, manifest)).length // 16 in the smoke profile
 */
export async function notebookRuns(profile: Profile, manifest: Manifest):
  Promise<BundleRun[]> {
  const notebooks = Object.keys(NOTEBOOK_EXPERIMENTS);
  const plans = experimentPlans(profile, await studySplits(manifest, profile),
    gridExperiments(notebooks));
  return plans.map((plan) => ({ hash: planHash(plan, profile, manifest),
    experiment: plan.experiment, name: plan.name }));
}

/** Height and width from a sample cache file's header, or undefined for another file. */
function sampleSize(file: string): string | undefined {
  const header = Buffer.alloc(16);
  const handle = openSync(file, 'r');
  try {
    if (readSync(handle, header, 0, 16, 0) < 16) return undefined;
  } finally {
    closeSync(handle);
  }
  if (header.toString('latin1', 0, 4) !== 'DSMP') return undefined;
  return `${header.readUInt32LE(8)}x${header.readUInt32LE(12)}`;
}

/**
 * The sample cache entries at the sizes the notebooks read (the profile's, and the
 * radiopacity proxy's of notebook 04).
 * NOTE: entries are chosen by size, not by key, so stale entries of the same size (older
 * data or preprocessing) travel too; they are never read, only carried.
 */
function notebookSamples(profile: Profile, cacheDir: string): string[] {
  if (!existsSync(cacheDir)) return [];
  const sizes = new Set([`${profile.height}x${profile.width}`,
    `${PROXY_SIZE.height}x${PROXY_SIZE.width}`]);
  return readdirSync(cacheDir).filter((name) => name.endsWith('.sample')).sort()
    .filter((name) => sizes.has(sampleSize(join(cacheDir, name)) ?? ''));
}

/**
 * Packs the profile's finished notebook runs and the samples the notebooks read into `out`.
 * @param profileName 'smoke', 'laptop' or 'paper'.
 * @param manifest this clone's data (buildManifest with the profile's seed).
 * @param out the archive to write (.tar.gz); replaced atomically.
 * @param folders results folder, sample cache, log.
 * @returns what bundle.json says.
 * @throws Error listing the runs that are not finished in the results folder.
 * @example await exportBundle('smoke', manifest, 'bundle-smoke.tar.gz', folders)
 */
export async function exportBundle(profileName: string, manifest: Manifest, out: string,
  folders: BundleFolders): Promise<BundleDescription> {
  const profile = loadProfile(profileName);
  return packBundle(profile, await notebookRuns(profile, manifest), manifest, out, folders);
}

/**
 * Packs the given finished runs and the profile's samples into `out` (exportBundle's work
 * once the runs are known).
 * @param profile the study profile.
 * @param runs the runs to carry; each must be finished in folders.resultsRoot.
 * @param manifest this clone's data; its hash goes into bundle.json.
 * @param out the archive to write; replaced atomically.
 * @param folders results folder, sample cache, log.
 * @returns what bundle.json says.
 * @throws Error naming the first run that is not finished, and how many are not.
 * @example packBundle(profile, [{ hash, experiment: 'baseline', name: 'fold 1' }], m, out, f)
 */
export function packBundle(profile: Profile, runs: readonly BundleRun[], manifest: Manifest,
  out: string, folders: BundleFolders): BundleDescription {
  const log = folders.log ?? ((line: string) => console.log(line));
  const missing = runs.filter((run) => readRunResult(run.hash, folders.resultsRoot) === undefined);
  if (missing.length > 0) {
    throw new Error(`${missing.length} of ${runs.length} runs of profile ${profile.name} are ` +
      `not finished in ${folders.resultsRoot} (first: ${missing[0].experiment}, ` +
      `${missing[0].name}, ${missing[0].hash.slice(0, 12)}); run ` +
      `\`npm run study -- --profile ${profile.name}\` first`);
  }
  const staging = mkdtempSync(join(tmpdir(), 'bundle-'));
  try {
    for (const run of runs) {
      cpSync(runDir(run.hash, folders.resultsRoot), join(staging, 'runs', run.hash),
        { recursive: true });
    }
    const samples = notebookSamples(profile, folders.cacheDir);
    mkdirSync(join(staging, 'samples'), { recursive: true });
    for (const name of samples) {
      cpSync(join(folders.cacheDir, name), join(staging, 'samples', name));
    }
    const description: BundleDescription = {
      format: BUNDLE_FORMAT, profile: profile.name, codeHash: codeHash(),
      dataHash: manifest.hash, commit: codeVersion(), created: new Date().toISOString(),
      runs: runs.map(({ hash, experiment, name }) => ({ hash, experiment, name })),
      files: checksums(staging),
    };
    writeFileSync(join(staging, BUNDLE_FILE), `${JSON.stringify(description, null, 1)}\n`);
    packFolder(staging, out);
    log(`bundle: wrote ${out}: ${runs.length} runs and ${samples.length} samples of profile ` +
      `${profile.name} (code ${description.codeHash.slice(0, 12)}, data ` +
      `${description.dataHash.slice(0, 12)})`);
    return description;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** Reads and checks bundle.json of an unpacked archive. */
function readDescription(staging: string, archive: string): BundleDescription {
  const file = join(staging, BUNDLE_FILE);
  if (!existsSync(file)) throw new Error(`${archive} is not a study bundle: no ${BUNDLE_FILE}`);
  let description: BundleDescription;
  try {
    description = JSON.parse(readFileSync(file, 'utf8')) as BundleDescription;
  } catch (error) {
    throw new Error(`${archive}: ${BUNDLE_FILE} is not JSON (${(error as Error).message})`);
  }
  if (description?.format !== BUNDLE_FORMAT || typeof description.files !== 'object' ||
    !Array.isArray(description.runs)) {
    throw new Error(`${archive}: ${BUNDLE_FILE} field format is ${description?.format}, ` +
      `expected ${BUNDLE_FORMAT} with files and runs; made by another version of this project`);
  }
  return description;
}

/** Refuses a bundle whose runs this clone would not reuse, saying why. */
function checkReusable(description: BundleDescription, manifest: Manifest, archive: string):
  void {
  const why = (what: string, theirs: string, ours: string): string =>
    `${archive} was made with other ${what} (${theirs.slice(0, 12)}, this clone has ` +
    `${ours.slice(0, 12)}): its runs would not be reused here, so nothing was imported`;
  if (description.codeHash !== codeHash()) {
    throw new Error(`${why('training code', description.codeHash, codeHash())}; check out ` +
      `commit ${description.commit} (the bundle's) or train with \`npm run study\``);
  }
  if (description.dataHash !== manifest.hash) {
    throw new Error(`${why('data', description.dataHash, manifest.hash)}; point DENTAL_DATA ` +
      'at the same data folder as the machine that made it');
  }
}

/** True when both folders hold the same files with the same bytes. */
function sameFolder(a: string, b: string): boolean {
  const files = filesBelow(a);
  const other = filesBelow(b);
  return files.length === other.length && files.every((file, i) => file === other[i] &&
    fileSha256(join(a, file)) === fileSha256(join(b, file)));
}

/**
 * Unpacks a bundle into the results folder and the sample cache. Everything is checked
 * before anything changes: the archive (tar and every file's sha256), the code and data hash
 * against this clone's (runs under another hash would not be reused), and every run or
 * sample already there (an identical one is kept; a different one is refused, never
 * overwritten). A run folder without result.json, left by an unfinished run, is replaced.
 * Each run folder then arrives by one rename, each sample by an atomic write.
 * @param archive the .tar.gz written by exportBundle.
 * @param manifest this clone's data.
 * @param folders results folder, sample cache, log.
 * @returns how many runs and samples were installed and how many were already there.
 * @throws Error naming the archive and what is wrong; the folders are then unchanged.
 * @example await importBundle('bundle-smoke.tar.gz', manifest, folders)
 */
export async function importBundle(archive: string, manifest: Manifest, folders: BundleFolders):
  Promise<{ profile: string; runs: number; samples: number; present: number }> {
  const log = folders.log ?? ((line: string) => console.log(line));
  if (!existsSync(archive)) throw new Error(`${archive} does not exist`);
  mkdirSync(join(folders.resultsRoot, 'runs'), { recursive: true });
  // Unpacked next to the runs, so that a run folder moves into place by one rename.
  const staging = mkdtempSync(join(folders.resultsRoot, '.import-'));
  try {
    unpackArchive(archive, staging);
    const description = readDescription(staging, archive);
    verifyChecksums(staging, description.files, archive);
    checkReusable(description, manifest, archive);

    const runs = description.runs.map((run) => ({ ...run,
      from: join(staging, 'runs', run.hash), to: runDir(run.hash, folders.resultsRoot) }));
    const samples = existsSync(join(staging, 'samples'))
      ? readdirSync(join(staging, 'samples')).map((name) =>
        ({ from: join(staging, 'samples', name), to: join(folders.cacheDir, name) }))
      : [];
    const newRuns = runs.filter((run) => {
      if (!existsSync(run.to) || !existsSync(join(run.to, 'result.json'))) return true;
      if (sameFolder(run.from, run.to)) return false;
      throw new Error(`${archive}: run ${run.hash.slice(0, 12)} (${run.experiment}, ` +
        `${run.name}) is already in ${run.to} with other files; nothing was imported. Move ` +
        'that folder aside to import the bundle\'s run instead');
    });
    const newSamples = samples.filter((sample) => {
      if (!existsSync(sample.to)) return true;
      if (fileSha256(sample.from) === fileSha256(sample.to)) return false;
      throw new Error(`${archive}: sample ${sample.to} is already cached with other bytes; ` +
        'nothing was imported. Delete that file to import the bundle\'s');
    });

    for (const run of newRuns) {
      if (existsSync(run.to)) {
        log(`bundle: replacing ${run.to}, an unfinished run (no result.json)`);
        rmSync(run.to, { recursive: true, force: true });
      }
      renameSync(run.from, run.to);
    }
    for (const sample of newSamples) writeFileAtomic(sample.to, readFileSync(sample.from));
    const present = runs.length - newRuns.length;
    log(`bundle: imported ${newRuns.length} runs (${present} already there) and ` +
      `${newSamples.length} samples of profile ${description.profile} into ` +
      `${folders.resultsRoot}`);
    return { profile: description.profile, runs: newRuns.length, samples: newSamples.length,
      present };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
