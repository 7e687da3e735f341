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
    onnx: (b, x) => b.op('Conv', [x, b.weight(`${name}/w`, [cout, cin, k, k], hwioToOihw(w.dataSync() as Float32Array, k, cin, cout))], {
      kernel_shape: [k, k], strides: [stride, stride], pads: [pad, pad, pad, pad],
    }),
  };
}

/** x W (+ b), nn.Linear's init for both. No bias where a BN follows (docs/method.md#architecture). */
export function linear(name: string, rng: Rng, din: number, dout: number, bias: boolean): Module {
  const w = variable(`${name}/w`, uniformFanIn(rng, din * dout, din), [din, dout]);
  const b = bias ? variable(`${name}/b`, uniformFanIn(rng, dout, din), [dout]) : null;
  return {
    trainable: b ? [w, b] : [w],
    state: [],
    onnx: (g, x) => {
      const y = g.op('MatMul', [x, g.weight(`${name}/w`, [din, dout], w.dataSync() as Float32Array)]);
      return b ? g.op('Add', [y, g.weight(`${name}/b`, [dout], b.dataSync() as Float32Array)]) : y;
    },
    apply: (x) => (b ? tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Variable<tf.Rank.R2>), b) : tf.matMul(x as tf.Tensor2D, w as tf.Variable<tf.Rank.R2>)),
  };
}

export const relu: Module = { trainable: [], state: [], apply: (x) => tf.relu(x), onnx: (b, x) => b.op('Relu', [x]) };

/** Global average pool, NHWC -> NC. */
export const globalAvgPool: Module = {
  trainable: [], state: [], apply: (x) => tf.mean(x, [1, 2]),
  onnx: (b, x) => b.op('Flatten', [b.op('GlobalAveragePool', [x])], { axis: 1 }, 2),
};

/** tfjs's conv filter [k, k, in, out] as ONNX's [out, in, k, k]. */
function hwioToOihw(w: Float32Array, k: number, cin: number, cout: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let h = 0; h < k; h++) for (let x = 0; x < k; x++) for (let i = 0; i < cin; i++) for (let o = 0; o < cout; o++) {
    out[((o * cin + i) * k + h) * k + x] = w[((h * k + x) * cin + i) * cout + o];
  }
  return out;
}
