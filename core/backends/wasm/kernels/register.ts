import * as tf from '@tensorflow/tfjs';
import { FOLDED_BINARY_OPS, foldingKernel } from './channel-broadcast.ts';
import { conv2dBackpropFilter, conv2dBackpropInput } from './conv-grads.ts';
import type { ConvAttrs } from '../../conv-attrs.ts';
import { replaceKernel } from './kernel-registry.ts';
import { withTensors } from './with-tensors.ts';

let registered = false;

/**
 * Kernels the wasm backend lacks or runs slowly, written as compositions of its fast
 * XNNPACK kernels (conv2d, matMul). The measured reasons: no
 * Conv2DBackpropFilter at all, a plain-loop Conv2DBackpropInput, and a matMul whose
 * fast path ignores transpose flags (which every matMul gradient sets).
 */
export function registerWasmKernels(): void {
  if (registered) return;
  registered = true;
  // The engine clones every tensor it saves for the backward pass through Identity, which
  // on wasm copies the data (a step of resnet18-narrow at batch 16 copied 24M floats).
  // Kernels never write into their inputs, so sharing the buffer is safe: the cpu
  // backend's Identity does the same.
  replaceKernel('Identity', ({ inputs, backend }) => {
    const x = inputs.x as tf.TensorInfo;
    (backend as unknown as { incRef(id: tf.DataId): void }).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  });
  replaceKernel('Conv2DBackpropFilter', (args) => {
    const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const a = args.attrs as unknown as ConvAttrs & { filterShape: [number, number, number, number] };
    return withTensors([x, dy], ([xt, dyt]) =>
      conv2dBackpropFilter(xt as tf.Tensor4D, dyt as tf.Tensor4D, a.filterShape, a.strides, a.pad, a.dimRoundingMode),
    );
  });
  const stockBackpropInput = tf.getKernel('Conv2DBackpropInput', 'wasm')?.kernelFunc;
  replaceKernel('Conv2DBackpropInput', (args) => {
    const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const a = args.attrs as unknown as ConvAttrs & { inputShape: [number, number, number, number] };
    const out = withTensors([dy, filter], ([dyt, wt]) =>
      conv2dBackpropInput(a.inputShape, dyt as tf.Tensor4D, wt as tf.Tensor4D, a.strides, a.pad, a.dimRoundingMode),
    );
    if (out) return out;
    if (!stockBackpropInput) throw new Error('Conv2DBackpropInput: unsupported padding and no stock kernel');
    return stockBackpropInput(args);
  });
  for (const [name, op] of FOLDED_BINARY_OPS) replaceKernel(name, foldingKernel(tf.getKernel(name, 'wasm')!.kernelFunc, op));
  const stockMatMul = tf.getKernel('BatchMatMul', 'wasm')!.kernelFunc;
  replaceKernel('BatchMatMul', (args) => {
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    if (!transposeA && !transposeB) return stockMatMul(args);
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    return withTensors([a, b], ([at, bt]) =>
      tf.matMul(transposeA ? swapLast(at) : at, transposeB ? swapLast(bt) : bt),
    );
  });
}

function swapLast(x: tf.Tensor): tf.Tensor {
  const perm = x.shape.map((_, i) => i);
  const r = perm.length;
  [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
  return tf.transpose(x, perm);
}
