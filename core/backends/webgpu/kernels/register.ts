import * as tf from '@tensorflow/tfjs';
import type { ConvAttrs } from '../../conv-attrs.ts';
import { FUSED_SGD_KERNEL, type FusedSgdAttrs } from '../../../optimizer.ts';
import { convFilterGrad, filterGradFits } from './conv-filter-grad.ts';
import { sgdMomentum } from './sgd-momentum.ts';
import type { GpuBackend } from './program.ts';

let registered = false;

/**
 * `SIMSIAM_WEBGPU_STOCK_KERNELS=1` in the environment runs tfjs-webgpu's own kernels and
 * tfjs's own optimizer instead (for a before/after measurement, or to rule the project's
 * kernels out). It is read when the backend loads; the conv kernels also read it as a tfjs
 * flag on each call, so that a benchmark can compare them in one process.
 */
export const STOCK_FLAG = 'SIMSIAM_WEBGPU_STOCK_KERNELS';

/**
 * The project's WGSL kernels for the training step's hot spots on tfjs-webgpu, each in
 * place of the stock kernel where its case is covered (NHWC dW; the SGD update) and the
 * stock kernel otherwise. `npm run bench:profile` on webgpu shows where a step's time goes.
 */
export function registerWebgpuKernels(): void {
  if (registered) return;
  registered = true;
  tf.env().registerFlag(STOCK_FLAG, () => process.env[STOCK_FLAG] === '1');
  const stockKernels = () => tf.env().getBool(STOCK_FLAG);
  const stock = tf.getKernel('Conv2DBackpropFilter', 'webgpu')!;
  tf.unregisterKernel('Conv2DBackpropFilter', 'webgpu');
  tf.registerKernel({
    ...stock,
    kernelFunc: (args) => {
      const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const a = args.attrs as unknown as ConvAttrs & { filterShape: [number, number, number, number] };
      const backend = args.backend as unknown as GpuBackend;
      if (stockKernels() || (a.dataFormat ?? 'NHWC') !== 'NHWC') return stock.kernelFunc(args);
      const info = tf.backend_util.computeConv2DInfo(
        x.shape as [number, number, number, number], a.filterShape, a.strides, 1, a.pad, a.dimRoundingMode,
      );
      const geometry = {
        xShape: x.shape as [number, number, number, number],
        dyShape: dy.shape as [number, number, number, number],
        filterShape: a.filterShape,
        strides: [info.strideHeight, info.strideWidth] as [number, number],
        pads: [info.padInfo.top, info.padInfo.left] as [number, number],
      };
      // An empty batch, or a dispatch past the device's limit per dimension (which tfjs
      // reshapes only for flat layouts): the stock kernel.
      if (!filterGradFits(geometry, backend.device.limits.maxComputeWorkgroupsPerDimension)) return stock.kernelFunc(args);
      return convFilterGrad(backend, x, dy, geometry);
    },
  });
  // Sgd takes this kernel where it is registered, else tfjs's optimizer.
  if (stockKernels()) return;
  tf.registerKernel({
    kernelName: FUSED_SGD_KERNEL,
    backendName: 'webgpu',
    kernelFunc: (args) => {
      const { w, g, accum } = args.inputs as { w: tf.TensorInfo; g: tf.TensorInfo; accum: tf.TensorInfo };
      return sgdMomentum(args.backend as unknown as GpuBackend, w, g, accum, args.attrs as unknown as FusedSgdAttrs);
    },
  });
}
