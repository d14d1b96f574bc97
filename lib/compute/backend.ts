import { createRequire } from 'node:module';
import path from 'node:path';

import * as tf from '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';

import { registerCpuTrainingKernels } from './cpu-kernels.js';
import { registerWasmTrainingKernels } from './wasm-kernels.js';

/** The TensorFlow.js backends a study run can train on. */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

/** The backend that runs, and why that one. */
export interface BackendChoice {
  name: BackendName;
  reason: string;
}

const GPU_PACKAGE = '@tensorflow/tfjs-node-gpu';
const REQUESTS = ['tensorflow', 'wasm', 'cpu', 'auto'] as const;
type Request = (typeof REQUESTS)[number];

/** What the last call settled, so that a repeated call neither switches nor prints again. */
let settled: { request: Request; choice: BackendChoice } | undefined;

/** The object tfjs-node(-gpu) registers as the 'tensorflow' backend exposes these flags. */
interface NodeBackendFlags {
  isGPUPackage?: boolean;
  isUsingGpuDevice?: boolean;
}

/**
 * Loads the CUDA backend and makes it the active one.
 * NOTE: the package is found from the working directory's node_modules (createRequire on
 * <cwd>/package.json), which works the same from tsx (ESM) and from tslab's CommonJS build;
 * a notebook started in notebooks/ still finds the project's node_modules one level up.
 * @returns why it runs; throws naming what is missing otherwise.
 */
async function startTensorflowGpu(): Promise<string> {
  const requireFromProject = createRequire(path.join(process.cwd(), 'package.json'));
  try {
    requireFromProject(GPU_PACKAGE);
  } catch (error) {
    const err = error as NodeJS.ErrnoException;
    if (err.code === 'MODULE_NOT_FOUND' && err.message.includes(GPU_PACKAGE)) {
      throw new Error(`${GPU_PACKAGE} is not installed (npm install ${GPU_PACKAGE}@4.22.0)`);
    }
    throw new Error(
      `${GPU_PACKAGE} is installed but failed to load; it needs the CUDA 11.2 and cuDNN 8.1 ` +
        `libraries (libcudart.so.11.0, libcudnn.so.8) on the library path: ${err.message}`,
    );
  }
  if (!(await tf.setBackend('tensorflow'))) {
    throw new Error(`${GPU_PACKAGE} loaded but the 'tensorflow' backend failed to start`);
  }
  const flags = tf.backend() as unknown as NodeBackendFlags;
  if (flags.isGPUPackage !== true || flags.isUsingGpuDevice !== true) {
    throw new Error(
      `${GPU_PACKAGE} loaded but TensorFlow sees no CUDA GPU (check the NVIDIA driver and ` +
        'the CUDA 11.2 / cuDNN 8.1 libraries); refusing to train on its CPU silently',
    );
  }
  return 'CUDA GPU via ' + GPU_PACKAGE;
}

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

async function choose(request: Request): Promise<BackendChoice> {
  if (request === 'tensorflow') {
    try {
      return { name: 'tensorflow', reason: 'requested: ' + (await startTensorflowGpu()) };
    } catch (error) {
      throw new Error(
        `lib/compute/backend.ts: backend 'tensorflow' (CUDA) was requested but cannot run: ` +
          (error as Error).message,
      );
    }
  }
  if (request === 'wasm') return { name: 'wasm', reason: 'requested: ' + (await startWasm()) };
  if (request === 'cpu') return { name: 'cpu', reason: 'requested: ' + (await startCpu()) };

  let gpuProblem: string;
  try {
    return { name: 'tensorflow', reason: 'auto: ' + (await startTensorflowGpu()) };
  } catch (error) {
    gpuProblem = (error as Error).message;
  }
  const why = `auto: CUDA backend unavailable: ${gpuProblem}`;
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
 * CUDA backend (optional package @tensorflow/tfjs-node-gpu), then wasm (with the training
 * kernels it lacks registered), then cpu.
 * @param options.requested 'tensorflow' | 'wasm' | 'cpu' | 'auto' (case-insensitive).
 * @returns the backend now active and the reason. A second call with the same request
 *   returns the same choice without switching or printing again.
 * @throws Error when the request is not one of the valid names (they are listed), or when
 *   'tensorflow' is requested and cannot run (naming the missing package or CUDA libraries):
 *   a GPU request never falls back to the CPU silently.
 * @example const { name } = await chooseBackend(); // prints "backend: wasm (auto: ...)"
 */
export async function chooseBackend(options: { requested?: string } = {}): Promise<BackendChoice> {
  const request =
    options.requested !== undefined
      ? parseRequest(options.requested, 'options.requested')
      : parseRequest(process.env.STUDY_BACKEND, 'env STUDY_BACKEND');
  if (settled !== undefined && settled.request === request &&
    tf.getBackend() === settled.choice.name) {
    return settled.choice;
  }

  const choice = await choose(request);
  settled = { request, choice };
  console.log(`backend: ${choice.name} (${choice.reason})`);
  return choice;
}
