import * as tf from '@tensorflow/tfjs';
import { sumLeading } from '../ops.ts';
import { filled, variable } from './init.ts';
import type { Module } from './module.ts';

export interface BatchNormOptions {
  /** Learnable gamma/beta (PyTorch `affine`). Off on the projector's output BN in the official implementation (docs/method.md#architecture). */
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
 * A backend may register these kernels to run the training-mode op fused (native-cpu
 * does: core/backends/native-cpu/addon.ts). Forward: inputs {x, runMean, runVar, gamma?,
 * beta?}, outputs [y, mean, rstd, runMean', runVar'] (batch statistics over all axes but
 * the last, running statistics as BN_MOMENTUM's update with the unbiased variance).
 * Backward: inputs {dy, x, mean, rstd, y? (with relu), gamma?}, outputs [dx, dgamma?, dbeta?].
 */
export const FUSED_BN_KERNEL = 'SimsiamBatchNorm';
export const FUSED_BN_GRAD_KERNEL = 'SimsiamBatchNormGrad';
export interface FusedBnAttrs {
  relu: boolean;
  momentum: number;
  eps: number;
}

/**
 * BatchNorm over all axes but the last, with a hand-written gradient. tf.batchNorm's
 * gradient goes through Tile and is slow on wasm, and fails without scale/offset
 * on wasm; reductions here are matMuls with a ones row, wasm's fast path.
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

  const fused = makeFusedTrainOp(opts.relu, runMean, runVar);

  return {
    trainable: gamma && beta ? [gamma, beta] : [],
    state: [runMean, runVar],
    onnx(b, x) {
      // The eval-mode op of apply(), term for term: (x - mean) * rsqrt(var + eps) [* gamma + beta] [relu].
      const dims = b.rank(x) === 4 ? [1, channels, 1, 1] : [channels];
      const c = (what: string, v: Float32Array) => b.weight(`${name}/${what}`, dims, v);
      const rstd = Float32Array.from(runVar.dataSync(), (v) => 1 / Math.sqrt(Math.fround(v + BN_EPS)));
      let y = b.op('Mul', [b.op('Sub', [x, c('running_mean', runMean.dataSync() as Float32Array)]), c('rstd', rstd)]);
      if (gamma && beta) y = b.op('Add', [b.op('Mul', [y, c('gamma', gamma.dataSync() as Float32Array)]), c('beta', beta.dataSync() as Float32Array)]);
      return opts.relu ? b.op('Relu', [y]) : y;
    },
    apply(x, mode) {
      if (mode === 'train') {
        const op = tf.getKernel(FUSED_BN_KERNEL, tf.getBackend()) ? fused : train;
        return gamma && beta ? op(x, gamma, beta) : op(x);
      }
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

/**
 * The training-mode op: y = [relu](gamma * (x - mean) / sqrt(var + eps) + beta), batch
 * statistics. It saves x - mean rather than x-hat and folds every per-channel factor
 * into [c] vectors first, so each full-size pass is one op: 5 forward, 7 backward
 * (with ReLU), against 6 and 9 for the textbook form.
 */
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
    let y = tf.mul(xc, gamma ? tf.mul(rstd, gamma) : rstd);
    if (beta) y = tf.add(y, beta);
    if (relu) y = tf.relu(y);
    onStats(mean, variance, m);
    save(gamma ? [xc, rstd, y, gamma] : [xc, rstd, y]);
    return {
      value: tf.reshape(y, shape),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.tidy(() => {
        const [sxc, srstd, sy, sgamma] = saved;
        let g = tf.reshape(dy, [m, c]);
        if (relu) g = tf.mul(g, tf.step(sy));
        // With x-hat = xc * rstd and k = gamma * rstd:
        // dx = k * (g - dbeta/m - x-hat * dgamma/m) = k*g + xc*b + a, where
        // a = -k*dbeta/m and b = -k*rstd*dgamma/m are per channel.
        const dbeta = sumLeading(g);
        const dgamma = tf.mul(sumLeading(tf.mul(g, sxc)), srstd);
        const k = sgamma ? tf.mul(srstd, sgamma) : srstd;
        const a = tf.mul(k, tf.div(dbeta, -m));
        const b = tf.mul(tf.mul(k, srstd), tf.div(dgamma, -m));
        const dx = tf.add(tf.add(tf.mul(g, k), tf.mul(sxc, b)), a);
        const dxOut = tf.reshape(dx, shape);
        return sgamma ? [dxOut, tf.reshape(dgamma, [c]), tf.reshape(dbeta, [c])] : [dxOut];
      }),
    };
  }) as never);
  return op as unknown as (x: tf.Tensor, gamma?: tf.Tensor, beta?: tf.Tensor) => tf.Tensor;
}

/**
 * The training-mode op on a backend's fused kernels: the same function as makeTrainOp's,
 * one kernel each way. It saves the input x, the batch mean and rstd, and y for ReLU's mask.
 */
function makeFusedTrainOp(relu: boolean, runMean: tf.Variable, runVar: tf.Variable): (x: tf.Tensor, gamma?: tf.Tensor, beta?: tf.Tensor) => tf.Tensor {
  const attrs: FusedBnAttrs = { relu, momentum: BN_MOMENTUM, eps: BN_EPS };
  const op = tf.customGrad(((...args: unknown[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const [x, gamma, beta] = args as tf.Tensor[];
    const inputs: tf.NamedTensorMap = gamma && beta ? { x, runMean, runVar, gamma, beta } : { x, runMean, runVar };
    const [y, mean, rstd, rm, rv] = tf.engine().runKernel(FUSED_BN_KERNEL, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
    runMean.assign(rm);
    runVar.assign(rv);
    save([x, mean, rstd, ...(relu ? [y] : []), ...(gamma ? [gamma] : [])]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, smean, srstd, ...rest] = saved;
        const sy = relu ? rest.shift() : undefined;
        const sgamma = rest.shift();
        const grads: tf.NamedTensorMap = { dy, x: sx, mean: smean, rstd: srstd };
        if (sy) grads.y = sy;
        if (sgamma) grads.gamma = sgamma;
        return tf.engine().runKernel(FUSED_BN_GRAD_KERNEL, grads, {}) as tf.Tensor[];
      },
    };
  }) as never);
  return op as unknown as (x: tf.Tensor, gamma?: tf.Tensor, beta?: tf.Tensor) => tf.Tensor;
}
