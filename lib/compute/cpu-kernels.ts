import * as tf from '@tensorflow/tfjs';

import {
  type KernelArgs, type KernelSite, release, reshapedView, runKernel, wrapKernel,
} from './kernel-plumbing.js';

/**
 * The cpu backend's ResizeNearestNeighborGrad, run one image at a time: in tfjs 4.22 the cpu
 * kernel offsets dy by the batch stride of the (smaller) input image, so for batch > 1 every
 * image after the first gets the gradient of the wrong pixels (upSampling2d trains wrongly
 * on cpu). With one image that offset is 0 and the kernel is right.
 */
function perImage(native: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] => {
    const { images, dy } = args.inputs as { images: tf.TensorInfo; dy: tf.TensorInfo };
    const [batch, ...imageShape] = images.shape;
    if (batch === 1) return native(args);
    const site: KernelSite = { backendName: 'cpu', backend: args.backend as tf.KernelBackend };

    const perImageGradients: tf.TensorInfo[] = [];
    for (let b = 0; b < batch; b++) {
      const dyOfImage = runKernel(site, 'Slice', { x: dy }, {
        begin: [b, 0, 0, 0],
        size: [1, -1, -1, -1],
      });
      // The gradient of a resize does not depend on the image's values, only its shape.
      const imageShapeOnly = reshapedView(images, [1, ...imageShape]);
      const gradient = native({
        inputs: { images: imageShapeOnly, dy: dyOfImage },
        backend: args.backend,
        attrs: args.attrs,
      }) as tf.TensorInfo;
      release(site, dyOfImage);
      perImageGradients.push(gradient);
    }
    const dx = runKernel(
      site, 'Concat', perImageGradients as unknown as tf.NamedTensorInfoMap, { axis: 0 },
    );
    release(site, ...perImageGradients);
    return dx;
  };
}

/**
 * Replaces cpu kernels that give wrong training gradients in tfjs 4.22 with corrected ones:
 * ResizeNearestNeighborGrad (wrong for batch > 1, see `perImage`). Idempotent.
 * NOTE: cpu ResizeBilinearGrad still throws for non-square images (4.22 swaps height, width).
 * @throws Error when the cpu backend's ResizeNearestNeighborGrad is not registered.
 * @example registerCpuTrainingKernels(); await tf.setBackend('cpu');
 */
export function registerCpuTrainingKernels(): void {
  wrapKernel('ResizeNearestNeighborGrad', 'cpu', perImage);
}
