import type { Rng } from '../rng.ts';
import { batchNorm } from './batch-norm.ts';
import { conv, globalAvgPool } from './layers.ts';
import { sequential, type Module } from './module.ts';

/**
 * A small conv net for quick runs (not in the paper): conv3x3-BN-ReLU at stride 1,
 * then one stride-2 conv3x3-BN-ReLU per further width, and an average pool.
 */
export function convnet(rng: Rng, inChannels: number, widths: readonly number[]): Module {
  const parts: Module[] = [];
  let cin = inChannels;
  widths.forEach((w, i) => {
    parts.push(conv(`conv${i}`, rng, cin, w, 3, i === 0 ? 1 : 2));
    parts.push(batchNorm(`bn${i}`, w, { affine: true, relu: true }));
    cin = w;
  });
  parts.push(globalAvgPool);
  return sequential(parts);
}
