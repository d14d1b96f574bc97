/**
 * Starting a GPU backend: first what it needs (packages, driver libraries, an adapter) is
 * checked, so that a failure names every missing piece at once; then its package is loaded.
 * `auto` tries a GPU backend only when its runtime is present; an explicit request tries as
 * far as it can and reports what is missing.
 */
import type { GpuBackendName, GpuRuntime } from './gpu-runtime.js';
import {
  CUDA_LIBRARIES, TENSORFLOW_GPU_INSTALL, TENSORFLOW_GPU_PACKAGE,
} from './tensorflow-gpu.js';
import { describeAdapter, WEBGPU_PACKAGES } from './webgpu.js';

/** How a GPU backend was asked for. */
export interface GpuStartRequest {
  backend: GpuBackendName;
  /** 'auto' tries only a backend whose runtime is present and skips a software adapter. */
  mode: 'requested' | 'auto';
  /** 'webgpu' only: Dawn's OpenGL ES backend, a software adapter accepted (code-path check). */
  software?: boolean;
}

/** Either what runs, or why it cannot. */
export type GpuStartResult =
  | { started: true; detail: string }
  | { started: false; problem: string };

const missing = (pieces: string[]): string => 'missing: ' + pieces.join('; ');

/**
 * The pieces the CUDA backend lacks here.
 * @param runtime the machine.
 * @returns one phrase per missing piece; empty when all are found.
 * @example tensorflowMissing(systemRuntime) // ['package @tensorflow/tfjs-node-gpu is ...']
 */
export function tensorflowMissing(runtime: GpuRuntime): string[] {
  const pieces: string[] = [];
  if (!runtime.hasPackage(TENSORFLOW_GPU_PACKAGE)) {
    pieces.push(`package ${TENSORFLOW_GPU_PACKAGE} is not installed (${TENSORFLOW_GPU_INSTALL})`);
  }
  if (runtime.findLibrary('libcuda.so.1') === undefined) {
    pieces.push('libcuda.so.1 not found (no NVIDIA driver)');
  }
  const cuda = CUDA_LIBRARIES.filter((soname) => runtime.findLibrary(soname) === undefined);
  if (cuda.length > 0) {
    pieces.push(`CUDA 11.2 / cuDNN 8.1 libraries not found (${cuda.join(', ')})`);
  }
  return pieces;
}

/**
 * The pieces the WebGPU backend lacks here, before any adapter is asked for.
 * @param runtime the machine.
 * @param software whether Dawn's OpenGL ES backend is meant (needs libEGL, not Vulkan).
 * @returns one phrase per missing piece; empty when all are found.
 * @example webgpuMissing(systemRuntime, false) // ['libvulkan.so.1 not found (...)']
 */
export function webgpuMissing(runtime: GpuRuntime, software: boolean): string[] {
  const pieces: string[] = [];
  for (const { name, version } of [WEBGPU_PACKAGES.dawn, WEBGPU_PACKAGES.backend]) {
    if (!runtime.hasPackage(name)) {
      pieces.push(`package ${name} is not installed (npm install ${name}@${version})`);
    }
  }
  const loader = software ? 'libEGL.so.1' : 'libvulkan.so.1';
  if (runtime.findLibrary(loader) === undefined) {
    pieces.push(software
      ? 'libEGL.so.1 not found (apt-get install libegl1 libegl-mesa0)'
      : 'libvulkan.so.1 not found (the Vulkan loader: apt-get install libvulkan1)');
  }
  return pieces;
}

async function activated(runtime: GpuRuntime, backend: GpuBackendName, suffix: string,
  known: string[]): Promise<GpuStartResult> {
  try {
    return { started: true, detail: (await runtime.activate(backend)) + suffix };
  } catch (error) {
    const message = (error as Error).message;
    return { started: false, problem: known.length > 0
      ? `${missing(known)}; loading failed: ${message}` : message };
  }
}

async function startTensorflow(runtime: GpuRuntime, mode: GpuStartRequest['mode']):
  Promise<GpuStartResult> {
  const pieces = tensorflowMissing(runtime);
  const hasPackage = !pieces.some((piece) => piece.startsWith('package '));
  const hasDriver = !pieces.some((piece) => piece.startsWith('libcuda'));
  // The library search can miss a folder the loader knows, so a present package is tried.
  const worthTrying = mode === 'auto' ? hasPackage && hasDriver : hasPackage;
  if (!worthTrying) return { started: false, problem: missing(pieces) };
  return activated(runtime, 'tensorflow', '', pieces);
}

async function startWebgpu(runtime: GpuRuntime, mode: GpuStartRequest['mode'],
  software: boolean): Promise<GpuStartResult> {
  const pieces = webgpuMissing(runtime, software);
  if (pieces.length > 0) return { started: false, problem: missing(pieces) };

  let adapter;
  try {
    adapter = await runtime.requestAdapter(software);
  } catch (error) {
    return { started: false, problem: (error as Error).message };
  }
  if (adapter === undefined) {
    return { started: false, problem: software
      ? 'no adapter: Dawn found none through OpenGL ES (EGL)'
      : 'no GPU adapter: Dawn found none through Vulkan (is the GPU driver\'s Vulkan ICD ' +
        'installed? VK_ICD_FILENAMES / VK_DRIVER_FILES can point at it)' };
  }
  if (adapter.software && (mode === 'auto' || !software)) {
    return { started: false,
      problem: `no GPU adapter: Dawn offers only a software one (${describeAdapter(adapter)})` };
  }
  return activated(runtime, 'webgpu', ` on ${describeAdapter(adapter)}`, []);
}

/**
 * Checks what a GPU backend needs and, when worth it, loads it and makes it active.
 * @param runtime the machine (systemRuntime, or a simulated one in tests).
 * @param request the backend, 'requested' or 'auto', and the software flag for 'webgpu'.
 * @returns { started, detail } naming the adapter or device, or { problem } listing every
 *   missing piece (package with its npm install line, libraries, adapter) or the load error.
 * @example await startGpuBackend(systemRuntime, { backend: 'webgpu', mode: 'auto' })
 */
export function startGpuBackend(runtime: GpuRuntime, request: GpuStartRequest):
  Promise<GpuStartResult> {
  return request.backend === 'tensorflow'
    ? startTensorflow(runtime, request.mode)
    : startWebgpu(runtime, request.mode, request.software === true);
}
