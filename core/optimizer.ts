import * as tf from '@tensorflow/tfjs';
import type { OptimizerSpec } from './config.ts';

/**
 * SGD with momentum (no dampening, no Nesterov) and weight decay added to the gradient
 * of every parameter, as PyTorch's SGD. tf.train.momentum's update matches PyTorch's:
 * accum <- m accum + g; w <- w - lr accum.
 */
export class Sgd {
  private readonly opt: tf.MomentumOptimizer;

  constructor(private readonly spec: OptimizerSpec, private readonly vars: tf.Variable[]) {
    this.opt = tf.train.momentum(0, spec.momentum);
  }

  /** Apply one update to this optimizer's variables, from a gradient map keyed by variable name. */
  step(grads: tf.NamedTensorMap, lr: number): void {
    if (this.vars.length === 0) return;
    this.opt.setLearningRate(lr);
    tf.tidy(() => {
      const wd = this.spec.weightDecay;
      const named = this.vars.map((v) => {
        const g = grads[v.name];
        if (!g) throw new Error(`no gradient for ${v.name}`);
        return { name: v.name, tensor: wd ? tf.add(g, tf.mul(v, wd)) : g };
      });
      this.opt.applyGradients(named);
    });
  }

  dispose(): void {
    this.opt.dispose();
  }
}
