import type * as tf from '@tensorflow/tfjs';

/** Training mode uses batch statistics and updates BN running averages; eval mode uses the averages. */
export type Mode = 'train' | 'eval';

/**
 * A network part as explicit variables plus a pure forward function.
 * `trainable` are the parameters SGD updates; `state` holds BN running statistics.
 */
export interface Module {
  readonly trainable: tf.Variable[];
  readonly state: tf.Variable[];
  apply(x: tf.Tensor, mode: Mode): tf.Tensor;
}

/** Modules applied in order. */
export function sequential(parts: Module[]): Module {
  return {
    trainable: parts.flatMap((p) => p.trainable),
    state: parts.flatMap((p) => p.state),
    apply: (x, mode) => parts.reduce((h, p) => p.apply(h, mode), x),
  };
}
