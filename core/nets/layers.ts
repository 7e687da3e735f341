import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../rng.ts';
import { kaimingNormalFanOut, uniformFanIn, variable } from './init.ts';
import type { Module } from './module.ts';

/**
 * Bias-free k x k conv, PyTorch padding (k-1)/2 on every side; tfjs 'same' pads
 * bottom/right only at stride 2 (docs/method.md#architecture). Init N(0, 2/fan_out) as torchvision's ResNet.
 */
export function conv(name: string, rng: Rng, cin: number, cout: number, k: number, stride: number): Module {
  const w = variable(`${name}/w`, kaimingNormalFanOut(rng, k * k * cin * cout, k * k * cout), [k, k, cin, cout]);
  const pad = (k - 1) / 2;
  return {
    trainable: [w],
    state: [],
    apply: (x) => tf.conv2d(x as tf.Tensor4D, w as tf.Variable<tf.Rank.R4>, stride, pad),
  };
}

/** x W (+ b), nn.Linear's init for both. No bias where a BN follows (docs/method.md#architecture). */
export function linear(name: string, rng: Rng, din: number, dout: number, bias: boolean): Module {
  const w = variable(`${name}/w`, uniformFanIn(rng, din * dout, din), [din, dout]);
  const b = bias ? variable(`${name}/b`, uniformFanIn(rng, dout, din), [dout]) : null;
  return {
    trainable: b ? [w, b] : [w],
    state: [],
    apply: (x) => (b ? tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Variable<tf.Rank.R2>), b) : tf.matMul(x as tf.Tensor2D, w as tf.Variable<tf.Rank.R2>)),
  };
}

export const relu: Module = { trainable: [], state: [], apply: (x) => tf.relu(x) };

/** Global average pool, NHWC -> NC. */
export const globalAvgPool: Module = { trainable: [], state: [], apply: (x) => tf.mean(x, [1, 2]) };
