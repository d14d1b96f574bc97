import { execFileSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import type { Profile } from '../config/profiles.js';
import type { Manifest } from '../data/manifest.js';
import type { RunResult } from './runs.js';

/** The code version: the git commit, marked dirty when the work tree has changes. */
export function codeVersion(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { encoding: 'utf8' })
      .trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'],
      { encoding: 'utf8' }).trim() !== '';
    return dirty ? `${commit} (with uncommitted changes)` : commit;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

/**
 * Rows that say how a report's numbers were made: when, with which code, backend, profile,
 * seed and data, and for every training run its hash and whether it was reused.
 * @param profile the study profile.
 * @param backend the TensorFlow.js backend's name.
 * @param manifest the image list.
 * @param runs the report's training runs (none for a notebook that trains nothing).
 * @example provenanceRows(profile, backend.name, manifest, [...baseline, ...aligned])
 */
export function provenanceRows(
  profile: Profile, backend: string, manifest: Manifest, runs: readonly RunResult[] = [],
): Record<string, string>[] {
  const rows = [
    { Item: 'Executed', Value: new Date().toISOString() },
    { Item: 'Code version', Value: codeVersion() },
    { Item: 'Node.js / TensorFlow.js', Value: `${process.version} / ${tf.version.tfjs}` },
    { Item: 'Backend', Value: backend },
    { Item: 'Profile', Value: `${profile.name}: ${profile.height}x${profile.width}, ` +
      `${profile.folds} folds, ${profile.epochs} epochs, loss ${profile.loss}` },
    { Item: 'Seed', Value: String(profile.seed) },
    { Item: 'Dataset manifest hash', Value: manifest.hash },
  ];
  if (runs.length > 0) {
    const reused = runs.filter((run) => run.reused).length;
    rows.push({ Item: 'Training runs', Value: `${runs.length}: ${reused} reused from the ` +
      `results folder, ${runs.length - reused} trained now` });
  }
  for (const run of runs) {
    rows.push({ Item: `Run ${run.experiment}, ${run.name}`, Value: `${run.hash.slice(0, 16)} ` +
      `(${run.reused ? 'reused' : 'trained'}; ${run.seconds.toFixed(0)} s on ${run.backend})` });
  }
  return rows;
}
