import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** What a kernel function receives from the engine. */
export type KernelArgs = Parameters<tf.KernelFunc>[0];

/** Marks kernel functions installed by this folder, shared by every copy of the module. */
const INSTALLED_HERE = Symbol.for('dental-generalizability/lib/compute/kernel');

/** A backend instance and the name its kernels are registered under. */
export interface KernelSite {
  backendName: 'wasm' | 'cpu';
  backend: tf.KernelBackend;
}

/**
 * Runs one registered kernel directly on tensor infos, outside the engine: nothing is taped
 * or tracked, so a composed kernel can chain kernels and free what it made.
 * @param site the backend the composed kernel was handed, and its name.
 * @param kernelName the kernel to run, e.g. 'Transpose'.
 * @param inputs its named inputs (tensor infos living on that backend).
 * @param attrs the kernel's attributes.
 * @returns the single output; the caller owns it and must `release` it or return it.
 * @throws Error when the kernel is not registered or returns several outputs.
 * @example const t = runKernel(site, 'Transpose', { x }, { perm: [3, 1, 2, 0] });
 */
export function runKernel(
  site: KernelSite,
  kernelName: string,
  inputs: tf.NamedTensorInfoMap,
  attrs: object = {},
): tf.TensorInfo {
  const kernel = tf.getKernel(kernelName, site.backendName);
  if (kernel === undefined) {
    throw new Error(
      `lib/compute/kernel-plumbing.ts: kernel '${kernelName}' is not registered for ` +
        `backend '${site.backendName}'; expected that backend's package to be loaded`,
    );
  }
  const out = kernel.kernelFunc({
    inputs,
    backend: site.backend,
    attrs: attrs as tf.NamedAttrMap,
  });
  if (Array.isArray(out)) {
    release(site, ...out);
    throw new Error(
      `lib/compute/kernel-plumbing.ts: kernel '${kernelName}' returned ${out.length} ` +
        'outputs; expected exactly one',
    );
  }
  return out;
}

/**
 * Frees intermediate results made by `runKernel`.
 * @param site the backend that holds them.
 * @param infos the tensor infos to free (each exactly once; views of them are not freed).
 * @example release(site, transposedX, transposedDy);
 */
export function release(site: KernelSite, ...infos: tf.TensorInfo[]): void {
  for (const info of infos) site.backend.disposeData(info.dataId);
}

/**
 * The same data seen with another shape of equal size (no copy, no new memory).
 * @param info the tensor info to look at.
 * @param shape the shape to see it with.
 * @returns a view sharing `info`'s data: never release it separately.
 * @example const x6 = reshapedView(x, [n, h, 1, w, 1, c]);
 */
export function reshapedView(info: tf.TensorInfo, shape: number[]): tf.TensorInfo {
  return { dataId: info.dataId, shape, dtype: info.dtype };
}

/**
 * Registers `make(previous)` as the kernel `kernelName` of `backendName`, in place of
 * whatever was registered (whose setup function is kept, so a wrapped native kernel still
 * finds its wasm bindings). Does nothing when this folder already installed it.
 * @param kernelName e.g. 'MaxPoolGrad'.
 * @param backendName e.g. 'wasm'.
 * @param make builds the kernel function; gets the kernel it replaces, if any.
 * @returns true when it registered, false when it was already installed.
 * @example installKernel('MaxPoolGrad', 'wasm', () => maxPoolGradWasm);
 */
export function installKernel(
  kernelName: string,
  backendName: string,
  make: (previous: tf.KernelConfig | undefined) => tf.KernelFunc,
): boolean {
  const previous = tf.getKernel(kernelName, backendName);
  if (previous !== undefined && INSTALLED_HERE in previous.kernelFunc) return false;

  const kernelFunc = make(previous);
  Object.defineProperty(kernelFunc, INSTALLED_HERE, { value: true });
  if (previous !== undefined) tf.unregisterKernel(kernelName, backendName);
  tf.registerKernel({
    kernelName,
    backendName,
    kernelFunc,
    setupFunc: previous?.setupFunc,
    disposeFunc: previous?.disposeFunc,
  });
  return true;
}

/**
 * `installKernel` for a kernel that wraps the one already registered.
 * @param kernelName e.g. 'Conv2DBackpropInput'.
 * @param backendName e.g. 'wasm'.
 * @param wrap builds the new kernel function around the registered one.
 * @returns true when it registered, false when it was already installed.
 * @throws Error when no kernel of that name is registered for that backend.
 * @example wrapKernel('Conv2DBackpropInput', 'wasm', makeConv2DBackpropInputWasm);
 */
export function wrapKernel(
  kernelName: string,
  backendName: string,
  wrap: (native: tf.KernelFunc) => tf.KernelFunc,
): boolean {
  return installKernel(kernelName, backendName, (previous) => {
    if (previous === undefined) {
      throw new Error(
        `lib/compute/kernel-plumbing.ts: no '${backendName}' kernel '${kernelName}' to wrap; ` +
          'expected tfjs 4.22 to register one',
      );
    }
    return wrap(previous.kernelFunc);
  });
}

/**
 * The whole wasm heap as 32-bit words, and where a tensor's values start in it: lets a
 * kernel move runs of float32 or int32 values with copyWithin, bit for bit and without
 * allocating (a subarray per run costs more than copying a short run).
 * @param backend the wasm backend.
 * @param info a float32 or int32 tensor info living on it.
 * @returns the heap view and the tensor's first word; the view is stale once the heap grows,
 *   so take it after the last allocation (makeOutput).
 * @throws Error for other dtypes.
 * @example const { heap, offset } = heapWords(backend, x); heap[offset] // x's first value bits
 */
export function heapWords(
  backend: BackendWasm, info: tf.TensorInfo,
): { heap: Int32Array; offset: number } {
  if (info.dtype !== 'float32' && info.dtype !== 'int32') {
    throw new Error(
      `lib/compute/kernel-plumbing.ts: heapWords got a ${info.dtype} tensor; expected ` +
        'float32 or int32',
    );
  }
  const view = backend.typedArrayFromHeap(info);
  return {
    heap: new Int32Array(view.buffer),
    offset: view.byteOffset / Int32Array.BYTES_PER_ELEMENT,
  };
}

/**
 * Refuses inputs that are not float32 (the kernels here read the heap as floats).
 * @param file the kernel's file, for the message.
 * @param kernelName the kernel, for the message.
 * @param inputs the named inputs to check.
 * @throws Error naming the file, the kernel and every input's dtype.
 * @example assertFloat32('lib/compute/max-pool-grad-wasm.ts', 'MaxPoolGrad', { dy, input });
 */
export function assertFloat32(
  file: string, kernelName: string, inputs: Record<string, tf.TensorInfo>,
): void {
  const entries = Object.entries(inputs);
  if (entries.every(([, info]) => info.dtype === 'float32')) return;
  const got = entries.map(([name, info]) => `${name} ${info.dtype}`).join(', ');
  throw new Error(`${file}: ${kernelName} got ${got}; expected float32 for all`);
}
