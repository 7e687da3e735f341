/**
 * Per-layer conv kernel times on the active backend (SIMSIAM_BACKEND, else auto): forward,
 * dX and dW of the conv net's and CIFAR ResNet-18's layers at batch 64 (one view), median
 * of 5 calls after one, with GFLOP/s. `npx tsx bench/conv-kernels.ts`; on native-cpu run it
 * again with SIMSIAM_ADDON=off for onnxruntime's kernels in place of the addon's.
 */
import * as tf from '@tensorflow/tfjs';
import { describeBackend, releaseBackend, useBackend, type BackendChoice } from '../core/backend.ts';
import { median } from './step.ts';

/** [input NHWC, output channels, kernel, stride]: 'same' padding, as the nets use. */
const LAYERS: [string, number[], number, number, number][] = [
  ['conv net 1', [64, 32, 32, 3], 16, 3, 1], ['conv net 2', [64, 32, 32, 16], 32, 3, 2], ['conv net 3', [64, 16, 16, 32], 64, 3, 2],
  ['ResNet-18 stem', [64, 32, 32, 3], 64, 3, 1], ['ResNet-18 64', [64, 32, 32, 64], 64, 3, 1], ['ResNet-18 64→128', [64, 32, 32, 64], 128, 3, 2],
  ['ResNet-18 shortcut 64→128', [64, 32, 32, 64], 128, 1, 2], ['ResNet-18 128', [64, 16, 16, 128], 128, 3, 1], ['ResNet-18 128→256', [64, 16, 16, 128], 256, 3, 2],
  ['ResNet-18 256', [64, 8, 8, 256], 256, 3, 1], ['ResNet-18 256→512', [64, 8, 8, 256], 512, 3, 2], ['ResNet-18 512', [64, 4, 4, 512], 512, 3, 1],
];

const backend = await useBackend((process.env.SIMSIAM_BACKEND ?? 'auto') as BackendChoice);
process.stdout.write(`${describeBackend(backend)}\nms per call (GFLOP/s)\n`);
const time = (f: () => tf.Tensor) => {
  f().dispose();
  const ms = Array.from({ length: 5 }, () => {
    const t = performance.now();
    f().dispose();
    return performance.now() - t;
  });
  return median(ms);
};
for (const [label, xs, co, k, s] of LAYERS) {
  const info = tf.backend_util.computeConv2DInfo(xs as [number, number, number, number], [k, k, xs[3], co], s, 1, 'same');
  const x = tf.randomNormal(xs), w = tf.randomNormal([k, k, xs[3], co]), dy = tf.randomNormal(info.outShape);
  const attrs = { strides: s, pad: 'same', dataFormat: 'NHWC', dilations: 1 } as const;
  const gflop = (2 * k * k * xs[3] * co * xs[0] * info.outHeight * info.outWidth) / 1e9;
  const cell = (ms: number) => `${ms.toFixed(2)} (${(gflop / ms * 1e3).toFixed(0)})`;
  const fwd = time(() => tf.engine().runKernel('Conv2D', { x, filter: w }, attrs) as tf.Tensor);
  const dx = time(() => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, { ...attrs, inputShape: xs }) as tf.Tensor);
  const dw = time(() => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: [k, k, xs[3], co] }) as tf.Tensor);
  process.stdout.write(`${label.padEnd(26)} ${xs.join('x')} -> ${co}, ${k}x${k} s${s}: forward ${cell(fwd)}, dX ${cell(dx)}, dW ${cell(dw)}\n`);
  tf.dispose([x, w, dy]);
}
releaseBackend();
