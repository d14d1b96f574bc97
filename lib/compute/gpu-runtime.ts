/**
 * What this machine offers the GPU backends: npm packages, shared libraries, a WebGPU adapter,
 * and the step that loads a GPU package and makes its backend active. One interface, so that
 * the choice in backend.ts can be tested with simulated packages, drivers and adapters on a
 * machine that has no GPU.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

import { activateWebgpu, requestDawnAdapter, type AdapterInfo } from './webgpu.js';
import { activateTensorflowGpu } from './tensorflow-gpu.js';

export type { AdapterInfo } from './webgpu.js';

/** The backends that need a GPU package: CUDA through tfjs-node-gpu, WebGPU through Dawn. */
export type GpuBackendName = 'tensorflow' | 'webgpu';

/** What a machine offers; `systemRuntime` reads the real one. */
export interface GpuRuntime {
  /** Whether the npm package resolves from the project's node_modules. */
  hasPackage(name: string): boolean;
  /** Absolute path of a shared library such as 'libvulkan.so.1', undefined when not found. */
  findLibrary(soname: string): string | undefined;
  /**
   * Starts Dawn and asks it for an adapter; undefined when it returns none.
   * `software` asks Dawn's OpenGL ES backend in compatibility mode (Mesa llvmpipe works).
   */
  requestAdapter(software: boolean): Promise<AdapterInfo | undefined>;
  /** Loads the backend's package and makes it the active backend; says what runs; throws. */
  activate(backend: GpuBackendName): Promise<string>;
}

/**
 * Loads a package from the working directory's node_modules. createRequire on
 * <cwd>/package.json works the same from tsx (ESM) and from tslab's CommonJS build, and a
 * notebook started in notebooks/ still finds the project's node_modules one level up.
 * NOTE: 'webgpu' is an ES module; require() loads it on Node >= 20.19 only.
 */
function requireFromProject(name: string): unknown {
  return createRequire(path.join(process.cwd(), 'package.json'))(name);
}

function resolvesFromProject(name: string): boolean {
  try {
    createRequire(path.join(process.cwd(), 'package.json')).resolve(name);
    return true;
  } catch {
    return false;
  }
}

/** Where drivers and CUDA put their libraries when the loader cache does not list them. */
const LIBRARY_FOLDERS = [
  '/usr/local/nvidia/lib64', '/usr/local/nvidia/lib', '/usr/local/cuda/lib64',
  '/usr/lib/x86_64-linux-gnu', '/lib/x86_64-linux-gnu', '/usr/lib64', '/usr/lib',
  '/usr/lib/wsl/lib',
];

/**
 * The libraries listed by `ldconfig -p`, by file name; the first path of each name wins.
 * @param text the output of `ldconfig -p`.
 * @returns soname -> absolute path.
 * @example parseLdconfig('\tlibcuda.so.1 (libc6,x86-64) => /usr/lib/libcuda.so.1').get(
 *   'libcuda.so.1') // '/usr/lib/libcuda.so.1'
 */
export function parseLdconfig(text: string): Map<string, string> {
  const libraries = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^\s*(\S+)\s+\(([^)]*)\)\s+=>\s+(\S+)\s*$/.exec(line);
    if (match === null || libraries.has(match[1])) continue;
    // Skip 32-bit copies that a multilib system lists beside the 64-bit ones.
    if (process.arch === 'x64' && !match[2].includes('x86-64')) continue;
    libraries.set(match[1], match[3]);
  }
  return libraries;
}

let loaderCache: Map<string, string> | undefined;

function ldconfigLibraries(): Map<string, string> {
  if (loaderCache !== undefined) return loaderCache;
  for (const command of ['ldconfig', '/sbin/ldconfig', '/usr/sbin/ldconfig']) {
    const result = spawnSync(command, ['-p'], { encoding: 'utf8' });
    if (result.status === 0) {
      loaderCache = parseLdconfig(result.stdout);
      return loaderCache;
    }
  }
  loaderCache = new Map();
  return loaderCache;
}

/**
 * Looks for a shared library where the dynamic loader would: LD_LIBRARY_PATH, the loader
 * cache (`ldconfig -p`), then the usual driver and CUDA folders.
 * @param soname e.g. 'libcuda.so.1'.
 * @returns its absolute path, or undefined when it is nowhere of these.
 * @example findLibrary('libvulkan.so.1') // '/usr/lib/x86_64-linux-gnu/libvulkan.so.1'
 */
export function findLibrary(soname: string): string | undefined {
  const fromEnv = (process.env.LD_LIBRARY_PATH ?? '').split(':').filter((dir) => dir !== '');
  for (const folder of fromEnv) {
    if (existsSync(path.join(folder, soname))) return path.join(folder, soname);
  }
  const cached = ldconfigLibraries().get(soname);
  if (cached !== undefined) return cached;
  return LIBRARY_FOLDERS.map((folder) => path.join(folder, soname)).find(existsSync);
}

/** The machine this process runs on. */
export const systemRuntime: GpuRuntime = {
  hasPackage: resolvesFromProject,
  findLibrary,
  requestAdapter: (software) => requestDawnAdapter(requireFromProject, software),
  activate: (backend) => backend === 'webgpu'
    ? activateWebgpu(requireFromProject)
    : activateTensorflowGpu(requireFromProject),
};
