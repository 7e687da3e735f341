import * as tf from '@tensorflow/tfjs';
import type { ConvAttrs } from '../../conv-attrs.ts';
import { withTensors } from '../../with-tensors.ts';
import { FUSED_SGD_KERNEL, type FusedSgdAttrs } from '../../../optimizer.ts';
import { convFilterGrad } from './conv-filter-grad.ts';
import { sgdMomentum } from './sgd-momentum.ts';
import type { GpuBackend } from './program.ts';

let registered = false;

/**
 * `SIMSIAM_WEBGPU_STOCK_KERNELS=1` runs tfjs-webgpu's own kernels instead (for a
 * before/after measurement, or to rule the project's kernels out). A tfjs flag, so that a
 * benchmark can switch it between calls.
 */
export const STOCK_FLAG = 'SIMSIAM_WEBGPU_STOCK_KERNELS';

/**
 * The project's WGSL kernels for the training step's hot spots on tfjs-webgpu, each in
 * place of the stock kernel where its case is covered (NHWC, no dilation) and the stock
 * kernel otherwise. `npm run bench:profile` on webgpu shows where a step's time goes.
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
      if (stockKernels() || (a.dataFormat ?? 'NHWC') !== 'NHWC') return stock.kernelFunc(args);
      const info = tf.backend_util.computeConv2DInfo(
        x.shape as [number, number, number, number], a.filterShape, a.strides, 1, a.pad, a.dimRoundingMode,
      );
      return convFilterGrad(args.backend as unknown as GpuBackend, x, dy, {
        xShape: x.shape as [number, number, number, number],
        dyShape: dy.shape as [number, number, number, number],
        filterShape: a.filterShape,
        strides: [info.strideHeight, info.strideWidth],
        pads: [info.padInfo.top, info.padInfo.left],
      });
    },
  });
  tf.registerKernel({
    kernelName: FUSED_SGD_KERNEL,
    backendName: 'webgpu',
    kernelFunc: (args) => {
      const { w, g, accum } = args.inputs as { w: tf.TensorInfo; g: tf.TensorInfo; accum: tf.TensorInfo };
      const a = args.attrs as unknown as FusedSgdAttrs;
      if (!stockKernels()) return sgdMomentum(args.backend as unknown as GpuBackend, w, g, accum, a);
      // The same update in tfjs's own kernels, as its optimizer runs it.
      const [next, acc] = withTensors([w, g, accum], ([wt, gt, at]) => {
        const acc = tf.add(tf.mul(at, a.momentum), a.weightDecay ? tf.add(gt, tf.mul(wt, a.weightDecay)) : gt);
        return [tf.add(tf.mul(acc, -a.lr), wt), acc] as unknown as tf.Tensor;
      }) as unknown as tf.Tensor[];
      return [next, acc];
    },
  });
}
