import * as tf from '@tensorflow/tfjs';

type KernelFunc = tf.KernelConfig['kernelFunc'];

/** Swap a wasm kernel's function, keeping the stock setup (which binds its wasm export). */
export function replaceKernel(kernelName: string, kernelFunc: KernelFunc): void {
  const stock = tf.getKernel(kernelName, 'wasm');
  if (stock) tf.unregisterKernel(kernelName, 'wasm');
  tf.registerKernel({ ...stock, kernelName, backendName: 'wasm', kernelFunc });
}
