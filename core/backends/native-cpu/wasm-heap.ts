import type * as tf from '@tensorflow/tfjs';

/**
 * What native-cpu's kernels use of the wasm backend: a tensor's data as a view of the heap
 * (read and written in place by onnxruntime and the addon), and a new output tensor there.
 * Allocating may grow the heap, which detaches earlier views: take views after allocating.
 */
export interface WasmBackend {
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}
