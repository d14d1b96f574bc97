/**
 * The CUDA backend: TensorFlow's C library through the optional package
 * @tensorflow/tfjs-node-gpu, which needs the NVIDIA driver and the CUDA 11.2 / cuDNN 8.1
 * libraries.
 */
import * as tf from '@tensorflow/tfjs';

export const TENSORFLOW_GPU_PACKAGE = '@tensorflow/tfjs-node-gpu';

/** The version of tfjs-node-gpu that matches this project's TensorFlow.js. */
export const TENSORFLOW_GPU_INSTALL = `npm install ${TENSORFLOW_GPU_PACKAGE}@4.22.0`;

/** The libraries libtensorflow 2.9 (inside tfjs-node-gpu 4.22) opens at load time. */
export const CUDA_LIBRARIES = ['libcudart.so.11.0', 'libcudnn.so.8'];

/** The object tfjs-node(-gpu) registers as the 'tensorflow' backend exposes these flags. */
interface NodeBackendFlags {
  isGPUPackage?: boolean;
  isUsingGpuDevice?: boolean;
}

/**
 * Loads tfjs-node-gpu and makes its 'tensorflow' backend the active one, refusing one that
 * runs on the CPU only.
 * @param load requires a package from the project's node_modules.
 * @returns what runs, e.g. 'CUDA GPU via @tensorflow/tfjs-node-gpu'.
 * @throws Error saying what failed: the package did not load (with the CUDA libraries it
 *   needs), the backend did not start, or TensorFlow sees no CUDA device.
 * @example await activateTensorflowGpu(createRequire(import.meta.url))
 */
export async function activateTensorflowGpu(load: (name: string) => unknown): Promise<string> {
  try {
    load(TENSORFLOW_GPU_PACKAGE);
  } catch (error) {
    throw new Error(`${TENSORFLOW_GPU_PACKAGE} failed to load; it needs the CUDA 11.2 and ` +
      `cuDNN 8.1 libraries (${CUDA_LIBRARIES.join(', ')}) on the library path: ` +
      (error as Error).message);
  }
  if (!(await tf.setBackend('tensorflow'))) {
    throw new Error(
      `${TENSORFLOW_GPU_PACKAGE} loaded but the 'tensorflow' backend failed to start`);
  }
  const flags = tf.backend() as unknown as NodeBackendFlags;
  if (flags.isGPUPackage !== true || flags.isUsingGpuDevice !== true) {
    throw new Error(
      `${TENSORFLOW_GPU_PACKAGE} loaded but TensorFlow sees no CUDA GPU (check the NVIDIA ` +
        'driver and the CUDA 11.2 / cuDNN 8.1 libraries); refusing to train on its CPU silently',
    );
  }
  return 'CUDA GPU via ' + TENSORFLOW_GPU_PACKAGE;
}
