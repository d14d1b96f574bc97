/**
 * The WebGPU backend in Node: Dawn (Chrome's WebGPU) from the optional npm package `webgpu`,
 * which ships dawn.node inside, and @tensorflow/tfjs-backend-webgpu on top of it. Dawn
 * reaches an NVIDIA or AMD GPU through Vulkan, so the Vulkan loader libvulkan.so.1 must be
 * installed. Every training kernel of the U-Net exists natively in that backend; the
 * kernels lib/compute/wasm-kernels.ts adds are for wasm only.
 */
import * as tf from '@tensorflow/tfjs';

export const WEBGPU_PACKAGES = {
  dawn: { name: 'webgpu', version: '0.6.2' },
  backend: { name: '@tensorflow/tfjs-backend-webgpu', version: '4.22.0' },
} as const;

/** What Dawn says about the adapter it found. */
export interface AdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A CPU implementation (SwiftShader, llvmpipe, lavapipe): no faster than wasm. */
  software: boolean;
}

/** The parts of Dawn's GPU object that are used here. */
interface DawnGpu {
  requestAdapter(options?: object): Promise<DawnAdapter | null>;
  readonly wgslLanguageFeatures?: unknown;
  getPreferredCanvasFormat?(): string;
}

interface DawnAdapter {
  info?: Partial<Record<'vendor' | 'architecture' | 'device' | 'description', string>> & {
    isFallbackAdapter?: boolean;
  };
}

interface DawnModule {
  create(options: string[]): DawnGpu;
  globals: object;
}

/** The GPU object whose adapter was accepted; activation hands the same one to TensorFlow.js. */
let accepted: DawnGpu | undefined;

const SOFTWARE_NAMES = /swiftshader|llvmpipe|lavapipe|softpipe|software|null-backend/i;

/**
 * Whether an adapter is a CPU implementation rather than a GPU.
 * @param info Dawn's adapter info (GPUAdapterInfo).
 * @returns true for a fallback adapter or one named SwiftShader, llvmpipe, lavapipe, softpipe.
 * @example isSoftwareAdapter({ device: 'llvmpipe (LLVM 15.0.6, 256 bits)' }) // true
 */
export function isSoftwareAdapter(info: DawnAdapter['info']): boolean {
  if (info === undefined) return false;
  if (info.isFallbackAdapter === true) return true;
  const names = [info.vendor, info.architecture, info.device, info.description];
  return names.some((name) => name !== undefined && SOFTWARE_NAMES.test(name));
}

/**
 * One line naming an adapter, e.g. 'nvidia hopper, NVIDIA H200 (driver 580.159.03)'.
 * @param info the adapter.
 * @returns vendor and architecture, then device and description, the empty ones left out.
 * @example describeAdapter({ vendor: 'nvidia', architecture: '', device: 'H200',
 *   description: '', software: false }) // 'nvidia, H200'
 */
export function describeAdapter(info: AdapterInfo): string {
  const maker = [info.vendor, info.architecture].filter((part) => part !== '').join(' ');
  const model = [info.device, info.description].filter((part) => part !== '').join(' ');
  const line = [maker, model].filter((part) => part !== '').join(', ') || 'unnamed adapter';
  return info.software ? `${line} (software)` : line;
}

/** Asks every adapter request for the compatibility feature level (what OpenGL ES gives). */
function compatibilityGpu(gpu: DawnGpu): DawnGpu {
  return {
    requestAdapter: (options = {}) =>
      gpu.requestAdapter({ ...options, featureLevel: 'compatibility' }),
    wgslLanguageFeatures: gpu.wgslLanguageFeatures,
    getPreferredCanvasFormat: () => gpu.getPreferredCanvasFormat?.() ?? 'rgba8unorm',
  };
}

/**
 * Starts Dawn and asks for a high-performance adapter. The GPU object is kept for
 * activateWebgpu when an adapter is found.
 * @param load requires a package from the project's node_modules.
 * @param software use Dawn's OpenGL ES backend in compatibility mode, which Mesa's llvmpipe
 *   provides without a GPU (EGL_PLATFORM defaults to 'surfaceless' then): for checking the
 *   code path only.
 * @returns the adapter, or undefined when Dawn finds none.
 * @throws Error when the `webgpu` package (dawn.node) fails to load.
 * @example const adapter = await requestDawnAdapter(require, false);
 */
export async function requestDawnAdapter(load: (name: string) => unknown, software: boolean):
  Promise<AdapterInfo | undefined> {
  accepted = undefined;
  let dawn: DawnModule;
  try {
    dawn = load(WEBGPU_PACKAGES.dawn.name) as DawnModule;
  } catch (error) {
    throw new Error(`the package ${WEBGPU_PACKAGES.dawn.name} (dawn.node) failed to load ` +
      `(it needs Node >= 20.19 and linux-x64, darwin or win32): ${(error as Error).message}`);
  }
  if (software) process.env.EGL_PLATFORM ??= 'surfaceless';
  const native = dawn.create(software ? ['backend=opengles'] : []);
  const gpu = software ? compatibilityGpu(native) : native;
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (adapter === null) return undefined;

  // tfjs-backend-webgpu reads GPUBufferUsage, GPUMapMode and GPUShaderStage as globals.
  Object.assign(globalThis, dawn.globals);
  accepted = gpu;
  const info = adapter.info ?? {};
  return {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
    software: isSoftwareAdapter(info),
  };
}

/** tfjs-backend-webgpu registers its backend only if navigator.gpu exists when it loads. */
function installNavigatorGpu(gpu: DawnGpu): void {
  const scope = globalThis as { navigator?: object };
  if (scope.navigator !== undefined) {
    Object.defineProperty(scope.navigator, 'gpu', { value: gpu, configurable: true });
  } else {
    Object.defineProperty(scope, 'navigator', {
      value: { gpu }, configurable: true, writable: true,
    });
  }
}

/**
 * Makes TensorFlow.js's WebGPU backend the active one, on the adapter requestDawnAdapter
 * found.
 * NOTE: Dawn keeps Node alive while navigator.gpu holds it; a script ends with process.exit.
 * NOTE: dataSync()/arraySync() throw on this backend in Node (tfjs-backend-webgpu reads
 * synchronously through OffscreenCanvas, which Node lacks); read with data() / array().
 * @param load requires a package from the project's node_modules.
 * @returns what runs, e.g. 'WebGPU via Dawn'.
 * @throws Error when no adapter was accepted first, when @tensorflow/tfjs-backend-webgpu
 *   fails to load or registers no backend, or when the backend fails to start.
 * @example await requestDawnAdapter(load, false); await activateWebgpu(load);
 */
export async function activateWebgpu(load: (name: string) => unknown): Promise<string> {
  if (accepted === undefined) {
    throw new Error('activateWebgpu: no Dawn adapter was accepted first (requestDawnAdapter)');
  }
  installNavigatorGpu(accepted);
  const backendPackage = WEBGPU_PACKAGES.backend.name;
  try {
    load(backendPackage);
  } catch (error) {
    throw new Error(`${backendPackage} failed to load: ${(error as Error).message}`);
  }
  if (tf.findBackendFactory('webgpu') === null) {
    throw new Error(`${backendPackage} registered no 'webgpu' backend: it was loaded before ` +
      'navigator.gpu was set, so restart the process');
  }
  if (!(await tf.setBackend('webgpu'))) {
    throw new Error(`${backendPackage} loaded but the 'webgpu' backend failed to start`);
  }
  await tf.ready();
  return 'WebGPU via Dawn';
}
