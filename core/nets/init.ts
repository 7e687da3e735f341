import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../rng.ts';

/**
 * PyTorch-equivalent initialisers (docs/method.md#architecture). Values are drawn from our seeded Rng,
 * not tfjs's, so a seed gives the same network on every backend.
 */
let counter = 0;

/** A uniquely named variable: optimizers key their momentum slots by name. */
export function variable(name: string, values: Float32Array, shape: number[], trainable = true): tf.Variable {
  // tf.variable shares the tensor's data: the tensor itself is freed, or it outlives the variable.
  return tf.tidy(() => tf.variable(tf.tensor(values, shape), trainable, `${name}#${counter++}`));
}

/** U(-1/sqrt(fanIn), 1/sqrt(fanIn)): nn.Linear's default (Kaiming-uniform, a=sqrt(5)), weights and bias. */
export function uniformFanIn(rng: Rng, size: number, fanIn: number): Float32Array {
  const bound = 1 / Math.sqrt(fanIn);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = rng.uniform(-bound, bound);
  return out;
}

/** N(0, 2/fanOut), untruncated: torchvision ResNet's conv init (kaiming_normal_, mode='fan_out'). */
export function kaimingNormalFanOut(rng: Rng, size: number, fanOut: number): Float32Array {
  const std = Math.sqrt(2 / fanOut);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = rng.normal() * std;
  return out;
}

export function filled(size: number, value: number): Float32Array {
  return new Float32Array(size).fill(value);
}
