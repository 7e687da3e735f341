import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../rng.ts';
import { batchNorm } from './batch-norm.ts';
import { conv, globalAvgPool } from './layers.ts';
import { sequential, type Module } from './module.ts';

/** BasicBlock: conv3x3(s)-BN-ReLU-conv3x3-BN, plus identity or conv1x1(s)+BN shortcut, then ReLU. */
function basicBlock(name: string, rng: Rng, cin: number, cout: number, stride: number, zeroInit: boolean): Module {
  const main = sequential([
    conv(`${name}/conv1`, rng, cin, cout, 3, stride),
    batchNorm(`${name}/bn1`, cout, { affine: true, relu: true }),
    conv(`${name}/conv2`, rng, cout, cout, 3, 1),
    batchNorm(`${name}/bn2`, cout, { affine: true, relu: false, zeroGamma: zeroInit }),
  ]);
  const shortcut = stride !== 1 || cin !== cout
    ? sequential([
      conv(`${name}/shortcut`, rng, cin, cout, 1, stride),
      batchNorm(`${name}/shortcut_bn`, cout, { affine: true, relu: false }),
    ])
    : null;
  return {
    trainable: [...main.trainable, ...(shortcut?.trainable ?? [])],
    state: [...main.state, ...(shortcut?.state ?? [])],
    apply: (x, mode) => tf.relu(tf.add(main.apply(x, mode), shortcut ? shortcut.apply(x, mode) : x)),
    onnx: (b, x) => b.op('Relu', [b.op('Add', [main.onnx(b, x), shortcut ? shortcut.onnx(b, x) : x])]),
  };
}

/** CIFAR ResNet-18 (App. D): 3x3 stride-1 stem, no max-pool, 4 stages of 2 blocks, average pool. */
export function resnet18Cifar(rng: Rng, inChannels: number, widths: readonly number[], zeroInitResidual: boolean): Module {
  const parts: Module[] = [
    conv('stem/conv', rng, inChannels, widths[0], 3, 1),
    batchNorm('stem/bn', widths[0], { affine: true, relu: true }),
  ];
  let cin = widths[0];
  widths.forEach((w, stage) => {
    for (let b = 0; b < 2; b++) {
      const stride = b === 0 && stage > 0 ? 2 : 1;
      parts.push(basicBlock(`layer${stage + 1}.${b}`, rng, cin, w, stride, zeroInitResidual));
      cin = w;
    }
  });
  parts.push(globalAvgPool);
  return sequential(parts);
}
