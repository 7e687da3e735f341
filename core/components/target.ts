import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../config.ts';
import { assertNever } from '../config.ts';
import { l2normalize } from '../ops.ts';
import { Rng } from '../rng.ts';
import { encode, type SiameseNet } from '../nets/siamese.ts';
import type { Targets } from '../train-step.ts';
import type { StateArrays } from '../checkpoint/snapshot.ts';
import { lossLayout } from './loss.ts';

/** One mini-batch as the loop hands it over: its views and which training images they are. */
export interface TargetBatch {
  views: tf.Tensor4D[];
  indices: Int32Array;
}

/**
 * Where targets come from, as a strategy of the one training loop: how many mini-batches
 * it wants at once, and the targets of each before their SGD steps.
 */
export interface TargetStrategy {
  /**
   * Mini-batches per block, given how many steps the run has left and the steps of one
   * epoch. A block of k steps runs across epoch boundaries (k counts SGD steps, as in
   * Sec. 5.2); only "1-epoch" blocks line up with epochs.
   */
  blockSize(remaining: number, stepsPerEpoch: number): number;
  /** Targets per batch of the block (undefined: sg(z) of the step itself). Tensors live until release(). */
  prepare(net: SiameseNet, block: TargetBatch[]): Promise<(Targets | undefined)[]>;
  release(): void;
  /** The strategy's own state for a checkpoint (the moving average's bank), named `target/...`. */
  save(): StateArrays;
  /** Take back what {@link save} gave. */
  restore(arrays: StateArrays): void;
}

/** eta = F(view) with theta fixed: no gradient, batch-statistics BN that leaves the running averages alone. */
function targetEncode(net: SiameseNet, x: tf.Tensor4D): tf.Tensor2D {
  return tf.tidy(() => encode(net, x, 'target'));
}

/** The view indices some loss term uses as its target. */
function targetViews(cfg: TrainConfig): number[] {
  return [...new Set(lossLayout(cfg.loss).terms.map((t) => t.target))];
}

/** Nothing to keep: the loop itself checkpoints a block's cached targets (core/train.ts). */
const stateless = { save: () => ({}), restore: () => {} };

const simsiam: TargetStrategy = { blockSize: () => 1, prepare: async (_, block) => block.map(() => undefined), release: () => {}, ...stateless };

/**
 * Sec. 5.2 multi-step alternation: eta for all k mini-batches of a block, computed with
 * the current theta, then k SGD steps against them. The steps reuse the block's cached
 * views (the paper leaves this open; it keeps k = 1 exactly SimSiam).
 */
function alternation(cfg: TrainConfig, every: number | 'epoch'): TargetStrategy {
  const uses = targetViews(cfg);
  let held: tf.Tensor[] = [];
  return {
    blockSize: (remaining, stepsPerEpoch) => Math.min(every === 'epoch' ? stepsPerEpoch : every, remaining),
    async prepare(net, block) {
      return block.map((b) => {
        const t: Targets = b.views.map((v, i) => (uses.includes(i) ? targetEncode(net, v) : null));
        held.push(...t.filter((x): x is tf.Tensor2D => x != null));
        return t;
      });
    },
    release() {
      tf.dispose(held);
      held = [];
    },
    ...stateless,
  };
}

/**
 * The state of the moving-average target: one row of d values per training image, kept
 * in JS memory so that a step reads and writes only its batch's rows.
 */
export class TargetBank {
  readonly rows: Float32Array;
  readonly seen: Uint8Array;

  constructor(readonly n: number, readonly d: number, readonly momentum: number, init: 'first' | 'random', seed: number) {
    this.rows = new Float32Array(n * d);
    this.seen = new Uint8Array(n);
    if (init === 'random') {
      const rng = new Rng(seed);
      for (let i = 0; i < this.rows.length; i++) this.rows[i] = rng.normal();
      this.seen.fill(1);
    }
  }

  /**
   * One step of the average for the batch's images, from F of each target view: for view
   * j, eta_j = m eta_x + (1 - m) f_j (a first sight: f_j). eta_j is the target of the loss
   * terms whose target is view j, so an online view is never compared with an average of
   * its own output (Sec. 5.2 updates eta from a view T' other than the one it is compared
   * with). The bank then keeps the mean of the eta_j: every view of the step enters it.
   */
  update(indices: Int32Array, fs: Float32Array[]): Float32Array[] {
    const { d, momentum: m } = this;
    const out = fs.map(() => new Float32Array(indices.length * d));
    for (let b = 0; b < indices.length; b++) {
      const row = indices[b] * d;
      const first = !this.seen[indices[b]];
      for (let k = 0; k < d; k++) {
        let sum = 0;
        for (let j = 0; j < fs.length; j++) {
          const v = first ? fs[j][b * d + k] : m * this.rows[row + k] + (1 - m) * fs[j][b * d + k];
          out[j][b * d + k] = v;
          sum += v;
        }
        this.rows[row + k] = sum / fs.length;
      }
      this.seen[indices[b]] = 1;
    }
    return out;
  }
}

/**
 * Sec. 5.2 moving-average targets: each step, F of every target view, l2-normalised if
 * asked (the paper's footnote 5), gives that view's eta (see TargetBank.update), which is
 * the target of the terms that take their target from that view.
 */
function movingAverage(cfg: TrainConfig, spec: { momentum: number; init: 'first' | 'random'; normalize: boolean }, n: number): TargetStrategy {
  const uses = targetViews(cfg);
  const bank = new TargetBank(n, cfg.projector.dim, spec.momentum, spec.init, cfg.seed);
  let held: tf.Tensor[] = [];
  return {
    blockSize: () => 1,
    async prepare(net, block) {
      const out: Targets[] = [];
      for (const b of block) {
        const fs = uses.map((i) => tf.tidy(() => {
          const z = targetEncode(net, b.views[i]);
          return spec.normalize ? l2normalize(z) : z;
        }));
        const values = (await Promise.all(fs.map((f) => f.data()))) as Float32Array[];
        tf.dispose(fs);
        const etas = bank.update(b.indices, values).map((rows) => tf.tidy(() => {
          const eta = tf.tensor2d(rows, [b.indices.length, bank.d]);
          return spec.normalize ? l2normalize(eta) : eta;
        }));
        held.push(...etas);
        out.push(b.views.map((_, i) => (uses.includes(i) ? etas[uses.indexOf(i)] : null)));
      }
      return out;
    },
    release() {
      tf.dispose(held);
      held = [];
    },
    save: () => ({ 'target/bank': bank.rows, 'target/seen': bank.seen }),
    restore(arrays) {
      const rows = arrays['target/bank'], seen = arrays['target/seen'];
      if (!(rows instanceof Float32Array) || rows.length !== bank.rows.length || !(seen instanceof Uint8Array) || seen.length !== bank.seen.length) {
        throw new Error('the checkpoint holds no moving-average bank of this size');
      }
      bank.rows.set(rows);
      bank.seen.set(seen);
    },
  };
}

/** The strategy a config asks for; `n` is the training-set size (the bank's rows). */
export function targetStrategy(cfg: TrainConfig, n: number): TargetStrategy {
  const t = cfg.target;
  switch (t.kind) {
    case 'simsiam': return simsiam;
    case 'alternation': return alternation(cfg, t.every);
    case 'moving-average': return movingAverage(cfg, t, n);
    default: return assertNever(t);
  }
}

/**
 * Bytes an alternation block caches: its views and their targets, k x batch x views x
 * (pixels + d) floats. `null` for other targets.
 */
export function alternationCacheBytes(cfg: TrainConfig, trainImages: number, pixelsPerImage: number): number | null {
  if (cfg.target.kind !== 'alternation') return null;
  const steps = Math.floor(trainImages / cfg.batchSize);
  // A k-step block runs across epochs: it is capped by the run's steps, not the epoch's.
  const k = cfg.target.every === 'epoch' ? steps : Math.min(cfg.target.every, steps * cfg.epochs);
  const views = lossLayout(cfg.loss).views;
  return 4 * k * cfg.batchSize * views * (pixelsPerImage + cfg.projector.dim);
}
