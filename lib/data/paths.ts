/**
 * Where the project and its data live. The radiographs never enter the repository: they sit in
 * a data folder next to it (`../shared/data`) or wherever DENTAL_DATA points.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** The `name` in the project's package.json, which marks its root folder. */
export const PROJECT_NAME = 'dental-generalizability';

/** How to obtain the two public samples; part of every "data not found" error. */
export const DATA_HELP =
  'The data folder holds two public samples laid out as\n' +
  '  dc1000/{images,masks}          center A: the DC1000 test samples from the public\n' +
  '                                 GitHub repository Zzz512/MLUA (Wang et al. 2023)\n' +
  '  cariesxrays/{images,annotations} center B: the CariesXrays sample from the public\n' +
  '                                 GitHub repository Binz-Chen/AAAI2024_CariesXrays\n' +
  '                                 (Chen et al., AAAI 2024)\n' +
  'With a network, `npm run data -- [folder]` clones both repositories and lays them out\n' +
  '(default folder: ../shared/data). Then point DENTAL_DATA at the folder, or keep it at\n' +
  '../shared/data next to the project.';

function isProjectRoot(folder: string): boolean {
  const manifest = join(folder, 'package.json');
  if (!existsSync(manifest)) return false;
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name ===
      PROJECT_NAME;
  } catch {
    return false;
  }
}

function findUpwards(start: string): string | undefined {
  let folder = resolve(start);
  for (;;) {
    if (isProjectRoot(folder)) return folder;
    const parent = dirname(folder);
    if (parent === folder) return undefined;
    folder = parent;
  }
}

/**
 * The project's root folder: the nearest folder at or above the working directory whose
 * package.json is named 'dental-generalizability'; failing that, the one above this module
 * (when loaded as CommonJS, as tslab does).
 * @returns absolute path of the root folder
 * @throws Error when neither search finds it
 * @example join(projectRoot(), '.cache')
 */
export function projectRoot(): string {
  const fromCwd = findUpwards(process.cwd());
  if (fromCwd) return fromCwd;
  // `__dirname` exists only under CommonJS (tslab); ES modules skip this fallback.
  const fromModule = typeof __dirname === 'string' ? findUpwards(__dirname) : undefined;
  if (fromModule) return fromModule;
  throw new Error(`projectRoot: no package.json named '${PROJECT_NAME}' at or above ` +
    `${process.cwd()}; run from inside the project folder.`);
}

function existingFolder(path: string, origin: string): string {
  const absolute = resolve(path);
  if (!existsSync(absolute) || !statSync(absolute).isDirectory()) {
    throw new Error(`Data folder ${absolute} (from ${origin}) does not exist.\n${DATA_HELP}`);
  }
  return absolute;
}

/**
 * The data folder, from the first of: `configured`, env DENTAL_DATA,
 * `<projectRoot>/../shared/data` when it exists.
 * @param configured an explicit folder (from a notebook or a test), wins over everything
 * @returns absolute path of an existing folder
 * @throws Error saying where the folder was looked for and how to get the samples
 * @example buildManifest(resolveDataRoot())
 */
export function resolveDataRoot(configured?: string): string {
  if (configured) return existingFolder(configured, 'the argument');
  const fromEnv = process.env.DENTAL_DATA;
  if (fromEnv) return existingFolder(fromEnv, 'DENTAL_DATA');

  let root: string | undefined;
  try {
    root = projectRoot();
  } catch {
    root = undefined;
  }
  const shared = root ? join(root, '..', 'shared', 'data') : undefined;
  if (shared && existsSync(shared) && statSync(shared).isDirectory()) return resolve(shared);
  const looked = shared ? resolve(shared) : '../shared/data (project root not found)';
  throw new Error(`No data folder: no argument, DENTAL_DATA unset, ${looked} missing.\n` +
    DATA_HELP);
}
