/**
 * The file side of a workshop bundle: a gzipped tar made by Debian's `tar`, whose
 * `bundle.json` lists every other member with its sha256, so that a damaged or altered
 * archive is refused before anything is installed.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** The member that describes the bundle. */
export const BUNDLE_FILE = 'bundle.json';

/** sha256 of a file's bytes, as hex. */
export function fileSha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/**
 * Every regular file below `folder`, as '/'-separated paths relative to it, sorted.
 * @throws Error naming the entry when one is neither a file nor a folder (a link, a device),
 *   which a bundle never holds.
 * @example filesBelow('/tmp/run') // ['model/model.json', 'model/weights.bin', 'result.json']
 */
export function filesBelow(folder: string): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const stat = lstatSync(path);
      if (stat.isDirectory()) walk(path);
      else if (stat.isFile()) files.push(relative(folder, path).split(sep).join('/'));
      else throw new Error(`${path} is neither a file nor a folder`);
    }
  };
  walk(folder);
  return files.sort();
}

/**
 * The sha256 of every file below `folder`, by relative path.
 * @example checksums(staging)['result.json'].length // 64
 */
export function checksums(folder: string, files = filesBelow(folder)): Record<string, string> {
  return Object.fromEntries(files.map((file) => [file, fileSha256(join(folder, file))]));
}

/**
 * Packs the files below `folder` into a gzipped tar at `archive`, written to a temporary
 * sibling first and renamed, so that a failed export leaves no partial archive.
 * @throws Error with tar's message when tar fails.
 * @example packFolder(staging, 'results/bundle-smoke.tar.gz')
 */
export function packFolder(folder: string, archive: string): void {
  const temporary = `${archive}.${process.pid}.tmp`;
  try {
    execFileSync('tar', ['-czf', temporary, '-C', folder, '.'],
      { stdio: ['ignore', 'ignore', 'pipe'] });
    renameSync(temporary, archive);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw new Error(`cannot write ${archive}: ${tarMessage(error)}`);
  }
}

/**
 * Unpacks a gzipped tar into `folder` (which should be empty).
 * @throws Error saying the archive is damaged or not a bundle, with tar's message.
 * @example unpackArchive('bundle-smoke.tar.gz', staging)
 */
export function unpackArchive(archive: string, folder: string): void {
  try {
    // --no-same-owner and no --absolute-names: members land below `folder`, owned by us.
    execFileSync('tar', ['-xzf', archive, '-C', folder, '--no-same-owner',
      '--no-same-permissions'], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    throw new Error(`${archive} is damaged or not a study bundle (tar: ${tarMessage(error)})`);
  }
}

function tarMessage(error: unknown): string {
  const stderr = (error as { stderr?: Buffer }).stderr?.toString('utf8').trim();
  return stderr !== undefined && stderr !== '' ? stderr.split('\n').slice(0, 3).join('; ')
    : (error as Error).message;
}

/**
 * Checks the unpacked files against the checksums the bundle lists: the same set of files,
 * each with its sha256.
 * @param folder where the archive was unpacked.
 * @param listed path to sha256, from bundle.json.
 * @param archive the archive's name, for the message.
 * @throws Error naming the first file that is missing, unlisted or altered.
 * @example verifyChecksums(staging, bundle.files, 'bundle-smoke.tar.gz')
 */
export function verifyChecksums(folder: string, listed: Record<string, string>,
  archive: string): void {
  const present = filesBelow(folder).filter((file) => file !== BUNDLE_FILE);
  const expected = Object.keys(listed).sort();
  const missing = expected.filter((file) => !present.includes(file));
  const extra = present.filter((file) => listed[file] === undefined);
  if (missing.length > 0 || extra.length > 0) {
    throw new Error(`${archive} is damaged: ${missing.length > 0 ? `missing ${missing[0]}` :
      `${extra[0]} is not listed in ${BUNDLE_FILE}`}`);
  }
  for (const file of expected) {
    if (fileSha256(join(folder, file)) !== listed[file]) {
      throw new Error(`${archive} is damaged: ${file} does not match its sha256 in ` +
        BUNDLE_FILE);
    }
  }
}
