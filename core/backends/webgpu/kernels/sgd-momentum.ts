import * as tf from '@tensorflow/tfjs';
import { FUSED_SGD_KERNEL, type FusedSgdAttrs } from '../../../optimizer.ts';
import type { GpuBackend, GpuProgram } from './program.ts';

/**
 * One SGD-with-momentum update of one variable in two passes, where tfjs's optimizer and
 * the weight decay take six kernels (three multiplies, three adds) and about 15 passes
 * over the variable: accum' = m·accum + (g + wd·w), then w' = w − lr·accum'.
 */
class ElementwiseProgram implements GpuProgram {
  uniforms = 'a : f32, b : f32,';
  workgroupSize: [number, number, number] = [256, 1, 1];
  dispatchLayout: { x: number[] };
  shaderKey: string;
  size = true;
  dispatch: [number, number, number];
  constructor(public outputShape: number[], public variableNames: string[], private body: string, key: string) {
    this.dispatchLayout = { x: outputShape.map((_, i) => i) };
    this.dispatch = [Math.ceil(tf.util.sizeFromShape(outputShape) / 256), 1, 1];
    this.shaderKey = `simsiamSgd_${key}`;
  }

  getUserCode(): string {
    return `
fn main(index : i32) {
  if (index < uniforms.size) {
    ${this.body}
  }
}
`;
  }
}

export function sgdMomentum(backend: GpuBackend, w: tf.TensorInfo, g: tf.TensorInfo, accum: tf.TensorInfo, attrs: FusedSgdAttrs): tf.TensorInfo[] {
  // accum' = m·accum + (g + wd·w): the order of tfjs's optimizer with the decay added first.
  const acc = backend.runWebGPUProgram(
    new ElementwiseProgram(w.shape, ['w', 'g', 'accum'], 'setOutputAtIndex(index, accum[index] * uniforms.a + (g[index] + w[index] * uniforms.b));', 'accum'),
    [w, g, accum], 'float32',
    [{ type: 'float32', data: [attrs.momentum] }, { type: 'float32', data: [attrs.weightDecay] }],
  );
  const next = backend.runWebGPUProgram(
    new ElementwiseProgram(w.shape, ['w', 'accum'], 'setOutputAtIndex(index, w[index] + uniforms.a * accum[index]);', 'weight'),
    [w, acc], 'float32',
    [{ type: 'float32', data: [-attrs.lr] }, { type: 'float32', data: [0] }],
  );
  return [next, acc];
}
