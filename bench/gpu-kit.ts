/**
 * Packs what the GPU check needs on a machine without network, npm or Node into one folder
 * (bench/gpu-check.sh --prepare; the folder travels as a carried path):
 *   node.xz              this Node binary
 *   node_modules.tar.xz  the packages the check loads (TensorFlow.js, wasm and WebGPU
 *                        backends, Dawn for linux-x64, tsx), without their unused bundles
 *   samples/             notebook 1's train and test images at the smoke profile's size,
 *                        preprocessed (the sample cache's format), when the data folder exists
 *   kit.json             what is inside
 *   node --import tsx bench/gpu-kit.ts install-spec   prints the optional packages to install
 *   node --import tsx bench/gpu-kit.ts pack KIT_DIR
 * NOTE: radiographs never enter the kit, only the 64x128 arrays the smoke profile trains on.
 */
import { spawnSync } from 'node:child_process';
import {
  cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';

import { loadProfile } from '../lib/config/profiles.js';
import { TENSORFLOW_GPU_PACKAGE } from '../lib/compute/tensorflow-gpu.js';
import { WEBGPU_PACKAGES } from '../lib/compute/webgpu.js';
import { projectRoot } from '../lib/data/paths.js';
import { writeFileAtomic } from '../lib/util/atomic.js';

/** The packages the check imports; their dependencies come along. */
const ROOTS = ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', WEBGPU_PACKAGES.dawn.name,
  WEBGPU_PACKAGES.backend.name, TENSORFLOW_GPU_PACKAGE, 'tsx'];

interface PackageJson {
  name: string;
  version: string;
  main?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

const readPackage = (dir: string): PackageJson =>
  JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;

/** The folder `name` resolves to from `from`, as Node looks: node_modules upwards. */
function packageFolder(name: string, from: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/** Every installed package the roots need at run time (type packages left out). */
function closure(root: string): string[] {
  const found = new Set<string>();
  const queue = ROOTS.map((name) => packageFolder(name, root))
    .filter((dir): dir is string => dir !== undefined);
  while (queue.length > 0) {
    const dir = queue.shift() as string;
    if (found.has(dir)) continue;
    found.add(dir);
    const json = readPackage(dir);
    const names = Object.keys({ ...json.dependencies, ...json.optionalDependencies,
      ...json.peerDependencies }).filter((name) => !name.startsWith('@types/'));
    for (const name of names) {
      const folder = packageFolder(name, dir);
      if (folder !== undefined) queue.push(folder);
    }
  }
  return [...found].sort();
}

/** Copies one package, only the files Node loads: TensorFlow.js ships many unused bundles. */
function copyPackage(source: string, target: string): void {
  const json = readPackage(source);
  mkdirSync(target, { recursive: true });
  cpSync(join(source, 'package.json'), join(target, 'package.json'));
  if (json.name === WEBGPU_PACKAGES.dawn.name) {
    cpSync(join(source, 'index.js'), join(target, 'index.js'));
    const platform = `${process.platform}-${process.arch}`;
    cpSync(join(source, 'dist', platform), join(target, 'dist', platform), { recursive: true });
  } else if (json.name.startsWith('@tensorflow/') && json.main !== undefined) {
    const main = json.main.endsWith('.js') ? json.main : `${json.main}.js`;
    cpSync(join(source, main), join(target, main));
    // The wasm backend reads its binaries (and worker) from beside its main file.
    const dist = dirname(join(source, main));
    for (const file of readdirSync(dist).filter((name) => /\.wasm$|worker/.test(name))) {
      cpSync(join(dist, file), join(target, relative(source, dist), file));
    }
  } else {
    cpSync(source, target, { recursive: true,
      filter: (path) => !relative(source, path).split('/').includes('node_modules') });
  }
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed`);
}

/** Notebook 1's samples at the smoke size, from the data folder; 0 when there is none. */
async function packSamples(folder: string): Promise<number> {
  const { resolveDataRoot } = await import('../lib/data/paths.js');
  let dataRoot: string;
  try {
    dataRoot = resolveDataRoot();
  } catch {
    return 0;
  }
  const { buildManifest, recordsOf, roisOf } = await import('../lib/data/manifest.js');
  const { loadSamples } = await import('../lib/data/preprocess.js');
  const { writeCachedPixels } = await import('../lib/data/sample-cache.js');
  const profile = loadProfile('smoke');
  const manifest = await buildManifest(dataRoot,
    { seed: profile.seed, testFraction: profile.testFraction });
  const records = [...recordsOf(manifest, 'A'), ...recordsOf(manifest, 'B', 'test')];
  const samples = await loadSamples(records, roisOf(manifest),
    { height: profile.height, width: profile.width });
  rmSync(folder, { recursive: true, force: true });
  samples.forEach((sample) => writeCachedPixels(folder, sample.id, {
    height: sample.height, width: sample.width, mask: sample.mask,
    grey: Uint8Array.from(sample.image, (value) => Math.round(value * 255)),
  }));
  const index = records.map(({ id, center, split }) => ({ id, center, split }));
  writeFileAtomic(join(folder, 'index.json'), `${JSON.stringify(index, null, 1)}\n`);
  return samples.length;
}

async function pack(kit: string): Promise<void> {
  const root = projectRoot();
  mkdirSync(kit, { recursive: true });
  const packages = closure(root);
  const stage = mkdtempSync(join(tmpdir(), 'gpu-kit-'));
  try {
    for (const dir of packages) copyPackage(dir, join(stage, relative(root, dir)));
    run('tar', ['-C', stage, '-cJf', join(kit, 'node_modules.tar.xz'), 'node_modules']);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
  const node = join(kit, 'node.xz');
  const kitJson = join(kit, 'kit.json');
  const previous = existsSync(kitJson)
    ? (JSON.parse(readFileSync(kitJson, 'utf8')) as { node?: string }).node : undefined;
  if (!existsSync(node) || previous !== process.version) {
    run('sh', ['-c', `xz -T0 -6 -c "${process.execPath}" > "${node}"`]);
  }
  const samples = await packSamples(join(kit, 'samples'));
  const contents = packages.map((dir) => `${readPackage(dir).name}@${readPackage(dir).version}`);
  const sizeMb = (file: string): number => Math.round(statSync(file).size / 2 ** 20 * 10) / 10;
  writeFileAtomic(kitJson, `${JSON.stringify({ created: new Date().toISOString(),
    node: process.version, platform: `${process.platform}-${process.arch}`, samples,
    sizesMiB: { node: sizeMb(node), nodeModules: sizeMb(join(kit, 'node_modules.tar.xz')) },
    packages: contents }, null, 2)}\n`);
  console.log(`gpu-kit: ${kit}: Node ${process.version}, ${contents.length} packages, ` +
    `${samples} smoke samples`);
}

const [command, kit] = process.argv.slice(2);
if (command === 'install-spec') {
  console.log([WEBGPU_PACKAGES.dawn, WEBGPU_PACKAGES.backend]
    .map(({ name, version }) => `${name}@${version}`).join(' '));
} else if (command === 'pack' && kit !== undefined) {
  pack(kit).catch((error: unknown) => {
    console.error(`gpu-kit: ${(error as Error).message}`);
    process.exit(1);
  });
} else {
  console.error('usage: node --import tsx bench/gpu-kit.ts install-spec | pack KIT_DIR');
  process.exit(2);
}
