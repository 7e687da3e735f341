import * as tf from '@tensorflow/tfjs';
import type { OptimizerSpec } from './config.ts';

/**
 * A backend may register this kernel to do one variable's whole update at once: inputs
 * {w, g, accum}, outputs [w', accum'] with accum' = m·accum + (g + wd·w), w' = w − lr·accum'
 * (the webgpu backend does: core/backends/webgpu/kernels/sgd-momentum.ts).
 */
export const FUSED_SGD_KERNEL = 'SimsiamSgdMomentum';
export interface FusedSgdAttrs {
  lr: number;
  momentum: number;
  weightDecay: number;
}

/**
 * SGD with momentum (no dampening, no Nesterov) and weight decay added to the gradient
 * of every parameter, as PyTorch's SGD. tf.train.momentum's update matches PyTorch's:
 * accum <- m accum + g; w <- w - lr accum.
 */
export class Sgd {
  private readonly opt: tf.MomentumOptimizer | null;
  /**
   * The momentum buffers of the fused path, or null for tfjs's optimizer: chosen once, on
   * the backend in use when the optimizer is made, so that its state lives in one place.
   */
  private readonly accums: tf.Variable[] | null;

  constructor(private readonly spec: OptimizerSpec, private readonly vars: tf.Variable[]) {
    const fused = tf.getKernel(FUSED_SGD_KERNEL, tf.getBackend()) !== undefined;
    this.accums = fused ? vars.map((v) => tf.tidy(() => tf.variable(tf.zerosLike(v), false))) : null;
    this.opt = fused ? null : tf.train.momentum(0, spec.momentum);
  }

  /** Apply one update to this optimizer's variables, from a gradient map keyed by variable name. */
  step(grads: tf.NamedTensorMap, lr: number): void {
    if (this.vars.length === 0) return;
    const gradOf = (v: tf.Variable) => {
      const g = grads[v.name];
      if (!g) throw new Error(`no gradient for ${v.name}`);
      return g;
    };
    if (this.accums) return this.fusedStep(this.accums, gradOf, lr);
    const opt = this.opt!;
    opt.setLearningRate(lr);
    tf.tidy(() => {
      const wd = this.spec.weightDecay;
      const named = this.vars.map((v) => {
        const g = gradOf(v);
        return { name: v.name, tensor: wd ? tf.add(g, tf.mul(v, wd)) : g };
      });
      opt.applyGradients(named);
    });
  }

  private fusedStep(accums: tf.Variable[], gradOf: (v: tf.Variable) => tf.Tensor, lr: number): void {
    const attrs: FusedSgdAttrs = { lr, momentum: this.spec.momentum, weightDecay: this.spec.weightDecay };
    tf.tidy(() => {
      this.vars.forEach((v, i) => {
        const accum = accums[i];
        const [w, a] = tf.engine().runKernel(FUSED_SGD_KERNEL, { w: v, g: gradOf(v), accum }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
        v.assign(w);
        accum.assign(a);
      });
    });
  }

  /**
   * The momentum buffers, one per variable in order (zeros before the first step): what a
   * checkpoint keeps of the optimizer. Read asynchronously (a GPU backend reads no other way).
   */
  async slots(): Promise<Float32Array[]> {
    const held = this.accums ?? (await this.tfjsBuffers());
    if (held.length === 0) return this.vars.map((v) => new Float32Array(v.size));
    return Promise.all(held.map(async (t) => (await t.data()) as Float32Array));
  }

  /** Set the momentum buffers from {@link slots}' values. */
  async restore(slots: Float32Array[]): Promise<void> {
    if (slots.length !== this.vars.length) throw new Error(`a checkpoint holds ${slots.length} momentum buffers where the optimizer has ${this.vars.length}`);
    const ts = slots.map((s, i) => tf.tensor(s, this.vars[i].shape));
    try {
      if (this.accums) this.accums.forEach((a, i) => a.assign(ts[i]));
      else if (this.vars.length) {
        const old = await this.tfjsBuffers();
        const iter = tf.scalar(0, 'int32');
        // tfjs keys its buffers by position; the names are only labels.
        await this.opt!.setWeights([{ name: 'iter', tensor: iter }, ...ts.map((t, i) => ({ name: `${this.vars[i].name}/momentum`, tensor: t }))]);
        iter.dispose();
        tf.dispose(old);
      }
    } finally {
      tf.dispose(ts);
    }
  }

  /** tfjs's momentum buffers (none before its first step). */
  private async tfjsBuffers(): Promise<tf.Tensor[]> {
    const [iter, ...buffers] = await this.opt!.getWeights();
    iter.tensor.dispose(); // a fresh scalar each call
    return buffers.map((w) => w.tensor);
  }

  dispose(): void {
    // tfjs's MomentumOptimizer.dispose skips its parent's, which frees the -lr scalar `c`.
    (this.opt as unknown as { c?: tf.Tensor } | null)?.c?.dispose();
    this.opt?.dispose();
    this.accums?.forEach((a) => a.dispose());
  }
}
