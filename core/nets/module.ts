import type * as tf from '@tensorflow/tfjs';
import type { OnnxBuilder } from '../onnx/builder.ts';

/**
 * `train`: BN uses batch statistics and updates its running averages. `eval`: BN uses
 * the averages. `target`: batch statistics without touching the averages, for computing
 * targets outside the gradient step (Sec. 5), so that a step's statistics count once.
 */
export type Mode = 'train' | 'eval' | 'target';

/**
 * A network part as explicit variables plus a pure forward function.
 * `trainable` are the parameters SGD updates; `state` holds BN running statistics.
 */
export interface Module {
  readonly trainable: tf.Variable[];
  readonly state: tf.Variable[];
  apply(x: tf.Tensor, mode: Mode): tf.Tensor;
  /** Emit the eval-mode forward as ONNX nodes (NCHW) on input `x`; returns the output's name. */
  onnx(b: OnnxBuilder, x: string): string;
}

/** Modules applied in order. */
export function sequential(parts: Module[]): Module {
  return {
    trainable: parts.flatMap((p) => p.trainable),
    state: parts.flatMap((p) => p.state),
    apply: (x, mode) => parts.reduce((h, p) => p.apply(h, mode), x),
    onnx: (b, x) => parts.reduce((h, p) => p.onnx(b, h), x),
  };
}
