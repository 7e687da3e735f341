import type * as tf from '@tensorflow/tfjs';

/**
 * What tfjs-webgpu's `runWebGPUProgram` reads from a program (its own interface is not
 * exported). tfjs writes the bindings (`result`, then one `array<f32>` per variable name),
 * the `uniforms` struct (each input's and the output's shape and strides, then the
 * program's own fields) and `_start`, which calls the program's `fn main()`.
 */
export interface GpuProgram {
  variableNames: string[];
  outputShape: number[];
  /** Program-defined uniform fields, appended to tfjs's struct, e.g. `m : i32, n : i32,`. */
  uniforms?: string;
  /** Which output dimensions each dispatch axis covers; a non-flat layout gets `fn main()`. */
  dispatchLayout: { x: number[]; y?: number[]; z?: number[] };
  /** Workgroups along x, y, z. */
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  /** The pipeline cache key; tfjs appends the inputs' ranks and dtypes. */
  shaderKey: string;
  /** Adds tfjs's `size` uniform (the output's element count). */
  size?: boolean;
  getUserCode(): string;
}

export interface Uniform {
  type: 'int32' | 'uint32' | 'float32';
  data: number[];
}

/** The slice of tfjs-webgpu's `WebGPUBackend` the project's kernels use. */
export interface GpuBackend {
  runWebGPUProgram(program: GpuProgram, inputs: tf.TensorInfo[], dtype: tf.DataType, uniforms?: Uniform[]): tf.TensorInfo;
  disposeData(dataId: tf.DataId): boolean;
  device: { limits: { maxComputeWorkgroupsPerDimension: number } };
}
