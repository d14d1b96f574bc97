/**
 * Provenance: what a report's numbers were made with (code, packages, machine, profile,
 * seeds, data) and, for every training run, its hash and whether it was reused. Notebooks end
 * with provenanceRows; the main job's index page shows jobProvenanceRows.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import type { Profile } from '../config/profiles.js';
import { dataHash, recordsOf, type Manifest } from '../data/manifest.js';
import { projectRoot } from '../data/paths.js';
import type { RunResult } from './runs.js';

/** The packages whose versions decide a report's numbers and how it draws. */
export const PROVENANCE_PACKAGES = ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm',
  'sharp', 'tslab', 'danfojs-node', 'plotly.js-dist-min'];

/** Backends that run on a GPU, whose adapter the device row names. */
const GPU_BACKENDS = ['tensorflow', 'webgpu'];

/** One provenance row, as resultTable shows it. */
export type ProvenanceRow = { Item: string; Value: string };

/** The code version: the git commit, marked dirty when the work tree has changes. */
export function codeVersion(): string {
  try {
    const options = { encoding: 'utf8' as const, cwd: projectRoot(),
      stdio: ['ignore', 'pipe', 'ignore'] as ['ignore', 'pipe', 'ignore'] };
    const commit = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], options).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'],
      options).trim() !== '';
    return dirty ? `${commit} (with uncommitted changes)` : commit;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

/**
 * The installed version of each package, read from node_modules/<name>/package.json.
 * @param names package names; default PROVENANCE_PACKAGES.
 * @returns name to version, 'not installed' when the package.json is missing.
 * @example packageVersions(['sharp']) // { sharp: '0.34.5' }
 */
export function packageVersions(names: readonly string[] = PROVENANCE_PACKAGES):
  Record<string, string> {
  const versions: Record<string, string> = {};
  for (const name of names) {
    const file = join(projectRoot(), 'node_modules', name, 'package.json');
    versions[name] = existsSync(file)
      ? String((JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown }).version)
      : 'not installed';
  }
  return versions;
}

/**
 * The machine: operating system, CPU model and count, and on a GPU backend the adapter's
 * name as nvidia-smi reports it.
 * NOTE: the WebGPU adapter of a non-NVIDIA GPU is not named here; chooseBackend's log line
 * names it.
 * @param backend the TensorFlow.js backend's name.
 * @returns one line, e.g. 'Linux 6.1.0 x64; 2 x AMD EPYC 7B13'.
 * @example deviceDescription('wasm')
 */
export function deviceDescription(backend: string): string {
  const processors = os.cpus();
  const model = processors[0]?.model.trim() || 'unknown CPU';
  const line = `${os.type()} ${os.release()} ${process.arch}; ${processors.length} x ${model}`;
  return GPU_BACKENDS.includes(backend) ? `${line}; GPU ${gpuName()}` : line;
}

function gpuName(): string {
  try {
    return execFileSync('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'],
      { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] })
      .trim().split('\n').join(', ') || 'unknown';
  } catch {
    return 'unknown (nvidia-smi not available)';
  }
}

/**
 * The data hash of each center's images and labels (dataHash of the center's records).
 * @example centerDataHashes(manifest) // { A: '3f1c...', B: '9ab0...' }
 */
export function centerDataHashes(manifest: Manifest): Record<string, string> {
  return Object.fromEntries((['A', 'B'] as const)
    .map((center) => [center, dataHash(recordsOf(manifest, center))]));
}

/**
 * The rows every provenance table shares: code, packages, machine, backend, profile, seed
 * and data.
 * @param profile the study profile.
 * @param backend the TensorFlow.js backend's name.
 * @param manifest the image list.
 * @example environmentRows(profile, 'wasm', manifest).length // 12
 */
export function environmentRows(profile: Profile, backend: string, manifest: Manifest):
  ProvenanceRow[] {
  const packages = Object.entries(packageVersions())
    .map(([name, version]) => `${name} ${version}`).join(', ');
  const centers = Object.entries(centerDataHashes(manifest))
    .map(([center, hash]) => ({ Item: `Data hash, center ${center}`, Value: hash }));
  return [
    { Item: 'Executed', Value: new Date().toISOString() },
    { Item: 'Code version', Value: codeVersion() },
    { Item: 'Node.js', Value: process.version },
    { Item: 'Packages', Value: packages },
    { Item: 'Device', Value: deviceDescription(backend) },
    { Item: 'Backend', Value: backend },
    { Item: 'Profile', Value: `${profile.name}: ${profile.height}x${profile.width}, ` +
      `${profile.folds} folds, ${profile.epochs} epochs, loss ${profile.loss}` },
    { Item: 'Seed', Value: `${profile.seed} (profile; each run's seed derives from it and ` +
      'its fold, and is part of its run hash)' },
    { Item: 'Dataset manifest hash', Value: manifest.hash },
    ...centers,
  ];
}

/** One line on how many runs were reused, or none when there are no runs. */
function reuseRows(runs: readonly RunResult[]): ProvenanceRow[] {
  if (runs.length === 0) return [];
  const reused = runs.filter((run) => run.reused).length;
  return [{ Item: 'Training runs', Value: `${runs.length}: ${reused} reused from the ` +
    `results folder, ${runs.length - reused} trained now` }];
}

/**
 * Rows that say how a report's numbers were made: when, with which code, packages, machine,
 * backend, profile, seed and data (per center), and for every training run its hash and
 * whether it was reused.
 * @param profile the study profile.
 * @param backend the TensorFlow.js backend's name.
 * @param manifest the image list.
 * @param runs the report's training runs (none for a notebook that trains nothing).
 * @example provenanceRows(profile, backend.name, manifest, [...baseline, ...aligned])
 */
export function provenanceRows(
  profile: Profile, backend: string, manifest: Manifest, runs: readonly RunResult[] = [],
): Record<string, string>[] {
  const rows = [...environmentRows(profile, backend, manifest), ...reuseRows(runs)];
  for (const run of runs) {
    rows.push({ Item: `Run ${run.experiment}, ${run.name}`, Value: `${run.hash.slice(0, 16)} ` +
      `(${run.reused ? 'reused' : 'trained'}; ${run.seconds.toFixed(0)} s on ${run.backend})` });
  }
  return rows;
}

/**
 * The main job's provenance summary for the index page: the shared rows and the reuse count
 * of all runs the job's notebooks read (their hashes are in each report).
 * @param profile the study profile.
 * @param backend the TensorFlow.js backend's name.
 * @param manifest the image list.
 * @param runs every run the job trained or reused.
 * @example jobProvenanceRows(profile, 'wasm', manifest, runs)
 */
export function jobProvenanceRows(
  profile: Profile, backend: string, manifest: Manifest, runs: readonly RunResult[] = [],
): ProvenanceRow[] {
  return [...environmentRows(profile, backend, manifest), ...reuseRows(runs)];
}
