import * as tf from '@tensorflow/tfjs';
import { distance } from './components/similarity.ts';
import { lossLayout } from './components/loss.ts';
import type { TrainConfig } from './config.ts';
import { zStd } from './eval/collapse.ts';
import { encode, predict, type SiameseNet } from './nets/siamese.ts';
import { stopGradient } from './ops.ts';
import type { Sgd } from './optimizer.ts';

export interface StepResult {
  loss: number;
  zStd: number;
}

export interface StepContext {
  cfg: TrainConfig;
  net: SiameseNet;
  encoderOpt: Sgd;
  predictorOpt: Sgd;
  encoderLr: number;
  predictorLr: number;
}

/**
 * Targets given from outside the step (Sec. 5): one [N, d] constant per view index, or
 * null where the view's own sg(z) is the target.
 */
export type Targets = (tf.Tensor2D | null)[];

/**
 * The SimSiam objective for one batch of views: sum_t w_t D(p_online, sg(z_target)),
 * e.g. 0.5 D(p1, sg z2) + 0.5 D(p2, sg z1) for the symmetric loss (Algorithm 1); a given
 * target replaces sg(z_target). Only the z that a term uses are computed. Returns the
 * loss and the collapse monitor of the first two computed z.
 */
export function objective(cfg: TrainConfig, net: SiameseNet, views: tf.Tensor4D[], targets?: Targets): { loss: tf.Scalar; zStd: tf.Scalar } {
  const layout = lossLayout(cfg.loss);
  if (views.length !== layout.views) throw new Error(`loss '${cfg.loss.kind}' needs ${layout.views} views, got ${views.length}`);
  const D = distance(cfg.similarity);
  const sg = cfg.stopGradient ? stopGradient : <T extends tf.Tensor>(z: T) => z;
  const z = new Map<number, tf.Tensor2D>(); // [N, d] per view, in the order first used
  const zOf = (i: number) => z.get(i) ?? z.set(i, encode(net, views[i], 'train')).get(i)!;
  const p = new Map<number, tf.Tensor2D>();
  const pOf = (i: number) => p.get(i) ?? p.set(i, predict(net, zOf(i), 'train')).get(i)!;
  const terms = layout.terms.map((t) => {
    const online = pOf(t.online);
    return tf.mul(D(online, targets?.[t.target] ?? sg(zOf(t.target))), t.weight);
  });
  return { loss: tf.addN(terms) as tf.Scalar, zStd: zStd([...z.values()].slice(0, 2)) };
}

/**
 * One SGD step on both optimizers; every intermediate is freed before it resolves. Its
 * one read is asynchronous: a GPU backend in Node can only read that way.
 */
export async function trainStep(ctx: StepContext, views: tf.Tensor4D[], targets?: Targets): Promise<StepResult> {
  const { net } = ctx;
  const vars = [...net.encoderVars, ...net.predictorVars];
  let std: tf.Scalar | null = null;
  const loss = tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => {
      const out = objective(ctx.cfg, net, views, targets);
      std = tf.keep(out.zStd);
      return out.loss;
    }, vars);
    ctx.encoderOpt.step(grads, ctx.encoderLr);
    ctx.predictorOpt.step(grads, ctx.predictorLr);
    return value;
  });
  // One read for both, after the update has been queued.
  const both = tf.tidy(() => tf.stack([loss, std!]));
  tf.dispose([loss, std!]);
  const [l, s] = await both.data();
  both.dispose();
  return { loss: l, zStd: s };
}
