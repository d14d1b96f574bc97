import * as tf from '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';

import { registerCpuTrainingKernels } from './cpu-kernels.js';
import { type GpuBackendName, type GpuRuntime, systemRuntime } from './gpu-runtime.js';
import { startGpuBackend } from './gpu-start.js';
import { registerWasmTrainingKernels } from './wasm-kernels.js';

/** The TensorFlow.js backends a study run can train on. */
export type BackendName = 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';

/** The backend that runs, and why that one. */
export interface BackendChoice {
  name: BackendName;
  reason: string;
}

export interface ChooseBackendOptions {
  /** 'tensorflow' | 'webgpu' | 'wasm' | 'cpu' | 'auto' (case-insensitive); else STUDY_BACKEND. */
  requested?: string;
  /**
   * With 'webgpu' requested: use Dawn's OpenGL ES backend and accept a software adapter
   * (Mesa llvmpipe), to check the WebGPU code path on a machine without a GPU. Never in auto.
   */
  webgpuSoftware?: boolean;
  /** What the machine offers; the real one by default. Tests pass a simulated one. */
  runtime?: GpuRuntime;
}

const REQUESTS = ['tensorflow', 'webgpu', 'wasm', 'cpu', 'auto'] as const;
type Request = (typeof REQUESTS)[number];

/** How each GPU backend is named in reasons and errors. */
const GPU_LABEL: Record<GpuBackendName, string> = { tensorflow: 'CUDA', webgpu: 'WebGPU' };

/** What the last call settled, so that a repeated call neither switches nor prints again. */
let settled: { key: string; choice: BackendChoice } | undefined;

async function startWasm(): Promise<string> {
  registerWasmTrainingKernels();
  if (!(await tf.setBackend('wasm'))) {
    throw new Error("the 'wasm' backend failed to start (its .wasm binary did not load)");
  }
  await tf.ready();
  const threads = getThreadsCount();
  return `WebAssembly with XNNPACK, ${threads} thread${threads === 1 ? '' : 's'}`;
}

async function startCpu(): Promise<string> {
  registerCpuTrainingKernels();
  if (!(await tf.setBackend('cpu'))) throw new Error("the 'cpu' backend failed to start");
  return 'plain JavaScript (slowest)';
}

function parseRequest(requested: string | undefined, source: string): Request {
  const request = (requested ?? '').trim().toLowerCase() || 'auto';
  if (!(REQUESTS as readonly string[]).includes(request)) {
    throw new Error(
      `lib/compute/backend.ts: ${source} is '${requested}'; expected one of ` +
        REQUESTS.join(', '),
    );
  }
  return request as Request;
}

/** Puts the previous backend back when a failed GPU start had already switched away. */
async function restoreBackend(previous: string): Promise<void> {
  if (previous !== '' && tf.getBackend() !== previous) await tf.setBackend(previous);
}

async function requestGpu(runtime: GpuRuntime, backend: GpuBackendName, software: boolean):
  Promise<BackendChoice> {
  const previous = tf.getBackend() ?? '';
  const result = await startGpuBackend(runtime, { backend, mode: 'requested', software });
  // `=== true`, not truthiness: tslab compiles without strictNullChecks, where only a literal
  // comparison narrows the union.
  if (result.started === true) return { name: backend, reason: 'requested: ' + result.detail };
  await restoreBackend(previous);
  throw new Error(`lib/compute/backend.ts: backend '${backend}' (${GPU_LABEL[backend]}) was ` +
    `requested but cannot run: ${result.problem}`);
}

async function choose(request: Request, runtime: GpuRuntime, software: boolean):
  Promise<BackendChoice> {
  if (request === 'tensorflow' || request === 'webgpu') {
    return requestGpu(runtime, request, software);
  }
  if (request === 'wasm') return { name: 'wasm', reason: 'requested: ' + (await startWasm()) };
  if (request === 'cpu') return { name: 'cpu', reason: 'requested: ' + (await startCpu()) };

  const previous = tf.getBackend() ?? '';
  const problems: string[] = [];
  for (const backend of ['tensorflow', 'webgpu'] as const) {
    const result = await startGpuBackend(runtime, { backend, mode: 'auto' });
    if (result.started === true) {
      const skipped = problems.map((problem) => `${problem}; `).join('');
      return { name: backend, reason: `auto: ${skipped}using ${result.detail}` };
    }
    await restoreBackend(previous);
    problems.push(`${GPU_LABEL[backend]} backend unavailable (${result.problem})`);
  }
  const why = 'auto: ' + problems.join('; ');
  try {
    return { name: 'wasm', reason: `${why}; using ${await startWasm()}` };
  } catch (error) {
    const wasmProblem = (error as Error).message;
    return { name: 'cpu', reason: `${why}; ${wasmProblem}; using ${await startCpu()}` };
  }
}

/**
 * Picks and starts the TensorFlow.js backend for training, and prints one line saying which
 * and why. Order: an explicit request, else env STUDY_BACKEND, else 'auto', which tries the
 * CUDA backend (optional package @tensorflow/tfjs-node-gpu; only when the NVIDIA driver's
 * libcuda.so.1 is found), then WebGPU (optional packages webgpu and
 * @tensorflow/tfjs-backend-webgpu; only with a Vulkan loader and a GPU adapter, never a
 * software one), then wasm (with the training kernels it lacks registered), then cpu.
 * @param options.requested the backend or 'auto'; options.webgpuSoftware, options.runtime.
 * @returns the backend now active and the reason (for WebGPU, the adapter). A second call
 *   with the same request returns the same choice without switching or printing again.
 * @throws Error when the request is not one of the valid names (they are listed), or when a
 *   GPU backend is requested and cannot run: the message lists every missing piece (package
 *   and its npm install line, libvulkan.so.1, GPU adapter, libcuda.so.1, CUDA 11.2 / cuDNN
 *   8.1 libraries); a GPU request never falls back to the CPU silently.
 * @example const { name } = await chooseBackend(); // prints "backend: wasm (auto: ...)"
 */
export async function chooseBackend(options: ChooseBackendOptions = {}): Promise<BackendChoice> {
  const request =
    options.requested !== undefined
      ? parseRequest(options.requested, 'options.requested')
      : parseRequest(process.env.STUDY_BACKEND, 'env STUDY_BACKEND');
  const software = options.webgpuSoftware === true;
  // A simulated runtime's choice is never remembered: the next real call must look again.
  const key = options.runtime === undefined ? `${request} ${software}` : undefined;
  if (key !== undefined && settled?.key === key && tf.getBackend() === settled.choice.name) {
    return settled.choice;
  }

  const choice = await choose(request, options.runtime ?? systemRuntime, software);
  settled = key === undefined ? undefined : { key, choice };
  console.log(`backend: ${choice.name} (${choice.reason})`);
  return choice;
}
