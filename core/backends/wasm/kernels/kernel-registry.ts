import * as tf from '@tensorflow/tfjs';

type KernelFunc = tf.KernelConfig['kernelFunc'];

/** The attributes of tfjs's Conv2D and its two gradient kernels that the replacements read. */
export interface ConvAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** Swap a wasm kernel's function, keeping the stock setup (which binds its wasm export). */
export function replaceKernel(kernelName: string, kernelFunc: KernelFunc): void {
  const stock = tf.getKernel(kernelName, 'wasm');
  if (stock) tf.unregisterKernel(kernelName, 'wasm');
  tf.registerKernel({ ...stock, kernelName, backendName: 'wasm', kernelFunc });
}
