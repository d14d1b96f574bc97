import { execFileSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import type { Profile } from '../config/profiles.js';
import type { Manifest } from '../data/manifest.js';

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
 * seed and data.
 */
export function provenanceRows(
  profile: Profile, backend: string, manifest: Manifest,
): Record<string, string>[] {
  return [
    { Item: 'Executed', Value: new Date().toISOString() },
    { Item: 'Code version', Value: codeVersion() },
    { Item: 'Node.js / TensorFlow.js', Value: `${process.version} / ${tf.version.tfjs}` },
    { Item: 'Backend', Value: backend },
    { Item: 'Profile', Value: `${profile.name}: ${profile.height}x${profile.width}, ` +
      `${profile.folds} folds, ${profile.epochs} epochs, loss ${profile.loss}` },
    { Item: 'Seed', Value: String(profile.seed) },
    { Item: 'Dataset manifest hash', Value: manifest.hash },
  ];
}
