import * as tf from '@tensorflow/tfjs';
import { sumLeading } from '../ops.ts';
import { filled, variable } from './init.ts';
import type { Module } from './module.ts';

export interface BatchNormOptions {
  /** Learnable gamma/beta (PyTorch `affine`). The projector's output BN has none (METHOD.md §1). */
  affine: boolean;
  /** Fuse a ReLU: fewer saved tensors, one less pass. */
  relu: boolean;
  /** gamma starts at 0: the last BN of a residual block (`zero_init_residual`). */
  zeroGamma?: boolean;
}

/** PyTorch defaults: eps 1e-5, running <- 0.9 running + 0.1 batch (unbiased variance). */
export const BN_EPS = 1e-5;
export const BN_MOMENTUM = 0.1;

/**
 * BatchNorm over all axes but the last, with a hand-written gradient. tf.batchNorm's
 * gradient goes through Tile and is slow on wasm, and fails without scale/offset
 * (WASM-NOTES); reductions here are matMuls with a ones row, wasm's fast path.
 */
export function batchNorm(name: string, channels: number, opts: BatchNormOptions): Module {
  const gamma = opts.affine ? variable(`${name}/gamma`, filled(channels, opts.zeroGamma ? 0 : 1), [channels]) : null;
  const beta = opts.affine ? variable(`${name}/beta`, filled(channels, 0), [channels]) : null;
  const runMean = variable(`${name}/running_mean`, filled(channels, 0), [channels], false);
  const runVar = variable(`${name}/running_var`, filled(channels, 1), [channels], false);

  const train = makeTrainOp(opts.relu, (mean, variance, m) => {
    runMean.assign(tf.add(tf.mul(runMean, 1 - BN_MOMENTUM), tf.mul(tf.reshape(mean, [channels]), BN_MOMENTUM)));
    const unbiased = tf.mul(tf.reshape(variance, [channels]), m / Math.max(m - 1, 1));
    runVar.assign(tf.add(tf.mul(runVar, 1 - BN_MOMENTUM), tf.mul(unbiased, BN_MOMENTUM)));
  });

  return {
    trainable: gamma && beta ? [gamma, beta] : [],
    state: [runMean, runVar],
    apply(x, mode) {
      if (mode === 'train') return gamma && beta ? train(x, gamma, beta) : train(x);
      return tf.tidy(() => {
        let y: tf.Tensor;
        if (mode === 'target') {
          const c = x.shape[x.shape.length - 1];
          const x2 = tf.reshape(x, [-1, c]);
          const mean = tf.div(sumLeading(x2), x2.shape[0]);
          const xc = tf.sub(x2, mean);
          const variance = tf.div(sumLeading(tf.square(xc)), x2.shape[0]);
          y = tf.reshape(tf.mul(xc, tf.rsqrt(tf.add(variance, BN_EPS))), x.shape);
        } else {
          y = tf.mul(tf.sub(x, runMean), tf.rsqrt(tf.add(runVar, BN_EPS)));
        }
        if (gamma && beta) y = tf.add(tf.mul(y, gamma), beta);
        return opts.relu ? tf.relu(y) : y;
      });
    },
  };
}

type StatsHook = (mean: tf.Tensor, variance: tf.Tensor, m: number) => void;

/** The training-mode op: y = [relu](gamma * (x - mean) / sqrt(var + eps) + beta), batch statistics. */
function makeTrainOp(relu: boolean, onStats: StatsHook): (x: tf.Tensor, gamma?: tf.Tensor, beta?: tf.Tensor) => tf.Tensor {
  const op = tf.customGrad(((...args: unknown[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const [x, gamma, beta] = args as tf.Tensor[];
    const shape = x.shape;
    const c = shape[shape.length - 1];
    const m = x.size / c;
    const x2 = tf.reshape(x, [m, c]);
    const mean = tf.div(sumLeading(x2), m);
    const xc = tf.sub(x2, mean);
    const variance = tf.div(sumLeading(tf.square(xc)), m);
    const rstd = tf.rsqrt(tf.add(variance, BN_EPS));
    const xhat = tf.mul(xc, rstd);
    let y = gamma ? tf.add(tf.mul(xhat, gamma), beta) : xhat;
    if (relu) y = tf.relu(y);
    onStats(mean, variance, m);
    save(gamma ? [xhat, rstd, y, gamma] : [xhat, rstd, y]);
    return {
      value: tf.reshape(y, shape),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.tidy(() => {
        const [sxhat, srstd, sy, sgamma] = saved;
        let g = tf.reshape(dy, [m, c]);
        if (relu) g = tf.mul(g, tf.step(sy));
        const dbeta = sumLeading(g);
        const dgamma = sumLeading(tf.mul(g, sxhat));
        // With gamma, sum(dxhat) = gamma*dbeta and sum(dxhat*xhat) = gamma*dgamma.
        const dxhat = sgamma ? tf.mul(g, sgamma) : g;
        const s1 = sgamma ? tf.mul(dbeta, sgamma) : dbeta;
        const s2 = sgamma ? tf.mul(dgamma, sgamma) : dgamma;
        const dx = tf.mul(srstd, tf.sub(dxhat, tf.div(tf.add(s1, tf.mul(sxhat, s2)), m)));
        const dxOut = tf.reshape(dx, shape);
        return sgamma ? [dxOut, tf.reshape(dgamma, [c]), tf.reshape(dbeta, [c])] : [dxOut];
      }),
    };
  }) as never);
  return op as unknown as (x: tf.Tensor, gamma?: tf.Tensor, beta?: tf.Tensor) => tf.Tensor;
}
