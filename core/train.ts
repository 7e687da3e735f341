import * as tf from '@tensorflow/tfjs';
import { lossLayout } from './components/loss.ts';
import { alternationCacheBytes, targetStrategy, type TargetBatch } from './components/target.ts';
import type { TrainConfig } from './config.ts';
import type { ViewFormat } from './data/augment.ts';
import type { Dataset } from './data/dataset.ts';
import { ViewPipeline } from './data/views.ts';
import { zStdReference } from './eval/collapse.ts';
import { extractFeatures } from './eval/features.ts';
import { knnAccuracy } from './eval/knn.ts';
import { linearProbeAccuracy } from './eval/linear.ts';
import type { SiameseNet } from './nets/siamese.ts';
import { Rng } from './rng.ts';
import { cosineLr, scaledLr } from './schedule.ts';
import { trainStep } from './train-step.ts';
import { buildTrainee } from './trainee.ts';
import type { StateArrays, TrainSnapshot } from './checkpoint/snapshot.ts';
import { loadVariables, variableArrays } from './checkpoint/variables.ts';
import type { Targets } from './train-step.ts';
import type { EpochMetrics } from './epoch-metrics.ts';

export type { EpochMetrics } from './epoch-metrics.ts';

export interface StepInfo {
  epoch: number;
  step: number;
  stepsPerEpoch: number;
  loss: number;
}

export interface TrainHooks {
  onStep?(s: StepInfo): void;
  onEpoch?(m: EpochMetrics): void;
}

/** Where a run's checkpoints go: written at every epoch's end, and mid-epoch every `everyMs`. */
export interface CheckpointSink {
  /** Least wall time between two mid-epoch checkpoints (at a step boundary); null: at epoch ends only. */
  everyMs: number | null;
  /** Store the snapshot; the loop waits for it (its arrays may be the backend's own buffers). */
  write(s: TrainSnapshot): Promise<void>;
}

export interface TrainOptions {
  hooks?: TrainHooks;
  /** Augment on the training thread instead of a worker. */
  inlineViews?: boolean;
  checkpoint?: CheckpointSink;
  /** Go on from this snapshot of the same configuration (and backend) instead of from step 0. */
  resume?: TrainSnapshot;
  /** Called with the trained network of a finished run, after its last monitor, before it is freed (to keep it). */
  onFinished?(net: SiameseNet): Promise<void>;
}

export interface TrainResult {
  /** `diverged`: the loss became NaN or infinite, which ends the run (a result, not a crash). */
  status: 'finished' | 'diverged';
  epochs: EpochMetrics[];
  zStdReference: number;
  linearAcc: number | null;
  seconds: number;
}

/** Deterministic per-batch augmentation seed, independent of where the views are computed. */
function batchSeed(seed: number, epoch: number, step: number): number {
  return (Math.imul(seed + 1, 0x9e3779b1) ^ Math.imul(epoch + 1, 0x85ebca77) ^ Math.imul(step + 1, 0xc2b2ae3d)) >>> 0;
}

/** Train one configuration on one dataset: the single loop every variant runs through. */
export async function train(cfg: TrainConfig, data: Dataset, opts: TrainOptions = {}): Promise<TrainResult> {
  const t0 = performance.now();
  const set = data.train;
  const fmt: ViewFormat = { size: set.height, channels: set.channels, mean: data.mean, std: data.std };
  const B = cfg.batchSize;
  const stepsPerEpoch = Math.floor(set.n / B); // drop_last, as the official implementation's loader
  if (stepsPerEpoch < 1) throw new Error(`batchSize ${B} is larger than the training set (${set.n} images)`);
  const trainee = buildTrainee(cfg, set.channels);
  const { net, encoderOpt, predictorOpt } = trainee;
  const peak = scaledLr(cfg.optimizer, B);
  const total = stepsPerEpoch * cfg.epochs;
  const warmup = Math.round(cfg.optimizer.warmupEpochs * stepsPerEpoch);
  const views = lossLayout(cfg.loss).views;
  const cache = alternationCacheBytes(cfg, set.n, set.height * set.width * set.channels);
  if (cache != null && cache > (cfg.target as { maxCacheMB: number }).maxCacheMB * 2 ** 20) {
    throw new Error(`target.every=${JSON.stringify((cfg.target as { every: unknown }).every)} caches ${(cache / 2 ** 20).toFixed(0)} MiB of views and targets, ` +
      `over target.maxCacheMB=${(cfg.target as { maxCacheMB: number }).maxCacheMB}; use a smaller k or raise the limit`);
  }
  const strategy = targetStrategy(cfg, set.n);
  const pipeline = new ViewPipeline(set, cfg.augment, fmt, opts.inlineViews ?? false);
  const r0 = opts.resume;
  let order = r0 ? Rng.at(r0.orderRng) : new Rng(cfg.seed).fork(7);
  // Each epoch's data order reshuffles the previous one's, drawn in epoch order: a block of
  // k steps may reach into the next epoch.
  const orders = new Map<number, Int32Array>();
  let drawn = 0;
  let perm: Int32Array = Int32Array.from({ length: set.n }, (_, i) => i);
  const orderOf = (epoch: number) => {
    for (; drawn < epoch; drawn++) orders.set(drawn + 1, (perm = order.shuffle(Int32Array.from(perm)) as Int32Array));
    return orders.get(epoch)!;
  };
  const batchIndices = (g: number) => {
    const s = g % stepsPerEpoch;
    return orderOf(Math.floor(g / stepsPerEpoch) + 1).slice(s * B, (s + 1) * B);
  };
  const request = (g: number) => pipeline.request({
    indices: batchIndices(g), views, seed: batchSeed(cfg.seed, Math.floor(g / stepsPerEpoch) + 1, g % stepsPerEpoch),
  });
  let epochs: EpochMetrics[] = [];
  let status: TrainResult['status'] = 'finished';
  let acc = newEpoch();
  let g = 0;
  // The targets of a block that a checkpoint cut, given back on resume (alternation).
  let carried: (Targets | undefined)[] | null = null;
  /** Everything after `g` steps; `rest`: the targets of the current block's steps still to run. */
  const snapshot = async (rest: (Targets | undefined)[]): Promise<TrainSnapshot> => {
    const arrays: StateArrays = await variableArrays(net.allVars);
    (await encoderOpt.slots()).forEach((a, i) => (arrays[`momentum/encoder/${i}`] = a));
    (await predictorOpt.slots()).forEach((a, i) => (arrays[`momentum/predictor/${i}`] = a));
    Object.assign(arrays, strategy.save());
    arrays['order/perm'] = perm;
    for (const [e, o] of orders) arrays[`order/epoch/${e}`] = o;
    for (const [j, t] of rest.entries()) {
      for (const [v, x] of (t ?? []).entries()) if (x) arrays[`block/${j}/${v}`] = (await x.data()) as Float32Array;
    }
    const { started, ...sums } = acc;
    return {
      step: g, epochs: structuredClone(epochs), partial: { ...sums, elapsedMs: performance.now() - started },
      orderRng: order.position(), drawn, block: rest.length ? { steps: rest.length, views: rest.map((t) => (t ? t.map((x) => x != null) : null)) } : null, arrays,
    };
  };
  let lastSave = performance.now();
  const save = async (rest: (Targets | undefined)[]) => {
    if (!opts.checkpoint) return;
    await opts.checkpoint.write(await snapshot(rest));
    lastSave = performance.now();
  };
  try {
    if (r0) {
      loadVariables(net.allVars, r0.arrays);
      await encoderOpt.restore(numbered(r0.arrays, 'momentum/encoder', net.encoderVars.length));
      await predictorOpt.restore(numbered(r0.arrays, 'momentum/predictor', net.predictorVars.length));
      strategy.restore(r0.arrays);
      drawn = r0.drawn;
      perm = r0.arrays['order/perm'] as Int32Array;
      for (const [k, a] of Object.entries(r0.arrays)) if (k.startsWith('order/epoch/')) orders.set(Number(k.slice(12)), a as Int32Array);
      epochs = structuredClone(r0.epochs);
      const { elapsedMs, ...sums } = r0.partial;
      acc = { ...sums, started: performance.now() - elapsedMs };
      g = r0.step;
      carried = r0.block?.views.map((vs, j) => vs?.map((has, v) => (has ? tf.tensor2d(r0.arrays[`block/${j}/${v}`] as Float32Array, [B, net.dim]) : null))) ?? null;
    } else {
      const knn0 = await timed(async () => (cfg.monitor.knn.everyEpochs > 0 ? evaluateKnn(cfg, net, data, fmt) : null));
      // The probe draws from its own Rng, so measuring it at init leaves training's stream as it was.
      const linear0 = cfg.monitor.linear ? await evaluateLinear(cfg, net, data, fmt) : null;
      epochs.push({
        epoch: 0, loss: NaN, lossStd: NaN, lossMax: NaN, zStd: NaN, knnAcc: knn0.value, linearAcc: linear0, lr: 0, seconds: 0, dataWaitShare: 0, knnSeconds: knn0.seconds,
      });
      opts.hooks?.onEpoch?.(epochs[0]);
    }
    const endEpoch = async (epoch: number) => {
      orders.delete(epoch);
      const due = status === 'finished' && cfg.monitor.knn.everyEpochs > 0 &&
        (epoch % cfg.monitor.knn.everyEpochs === 0 || epoch === cfg.epochs);
      const seconds = (performance.now() - acc.started) / 1000;
      const knn = await timed(async () => (due ? evaluateKnn(cfg, net, data, fmt) : null));
      const m: EpochMetrics = {
        epoch, loss: acc.lossSum / acc.done, zStd: acc.stdSum / acc.stdCount, knnAcc: knn.value,
        lossStd: Math.sqrt(Math.max(0, acc.lossSq / acc.done - (acc.lossSum / acc.done) ** 2)), lossMax: acc.lossMax,
        lr: acc.lr, seconds, dataWaitShare: acc.waitMs / 1000 / seconds, knnSeconds: knn.seconds,
      };
      epochs.push(m);
      opts.hooks?.onEpoch?.(m);
      acc = newEpoch();
    };
    let next = g < total ? request(g) : null;
    while (g < total && status === 'finished') {
      // A block of k mini-batches (k = 1 but for alternation): fetched, given targets, then
      // stepped through; a block a checkpoint cut goes on with the targets it saved.
      const k = carried?.length ?? strategy.blockSize(total - g, stepsPerEpoch);
      const block: TargetBatch[] = [];
      for (let j = 0; j < k; j++) {
        const tw = performance.now();
        const arrays = await next!;
        acc.waitMs += performance.now() - tw;
        if (g + j + 1 < total) next = request(g + j + 1);
        block.push({ views: arrays.map((a) => tf.tensor4d(a, [B, fmt.size, fmt.size, fmt.channels])), indices: batchIndices(g + j) });
      }
      const targets = carried ?? await strategy.prepare(net, block);
      for (let j = 0; j < k; j++) {
        const epoch = Math.floor(g / stepsPerEpoch) + 1, s = g % stepsPerEpoch;
        if (status === 'finished') {
          acc.lr = cosineLr(peak, g, total, warmup);
          const predictorLr = cfg.predictor.kind === 'mlp' && cfg.predictor.lr === 'constant' ? peak : acc.lr;
          const r = await trainStep({ cfg, net, encoderOpt, predictorOpt, encoderLr: acc.lr, predictorLr }, block[j].views, targets[j]);
          acc.lossSum += r.loss;
          acc.lossSq += r.loss * r.loss;
          acc.lossMax = Math.max(acc.lossMax, r.loss);
          acc.done++;
          if (Number.isFinite(r.loss)) {
            acc.stdSum += r.zStd;
            acc.stdCount++;
            opts.hooks?.onStep?.({ epoch, step: s + 1, stepsPerEpoch, loss: r.loss });
          } else {
            status = 'diverged';
            await endEpoch(epoch); // the diverged epoch, up to its last step
          }
        }
        tf.dispose(block[j].views);
        g++;
        if (status !== 'finished') continue;
        if (s === stepsPerEpoch - 1) {
          await endEpoch(epoch);
          await save(targets.slice(j + 1));
        } else if (opts.checkpoint?.everyMs != null && performance.now() - lastSave >= opts.checkpoint.everyMs) {
          await save(targets.slice(j + 1));
        }
      }
      strategy.release();
      if (carried) carried.forEach((t) => tf.dispose((t ?? []).filter((x): x is tf.Tensor2D => x != null)));
      carried = null;
    }
    if (status === 'diverged') await next?.catch(() => undefined);
    const linearAcc = status === 'finished' && cfg.monitor.linear ? await evaluateLinear(cfg, net, data, fmt) : null;
    if (status === 'finished') await opts.onFinished?.(net);
    return { status, epochs, zStdReference: zStdReference(net.dim), linearAcc, seconds: (performance.now() - t0) / 1000 };
  } finally {
    if (carried) carried.forEach((t) => tf.dispose((t ?? []).filter((x): x is tf.Tensor2D => x != null)));
    strategy.release();
    await pipeline.close();
    trainee.dispose();
  }
}

/** `prefix/0` … `prefix/(n-1)` of a snapshot, each required. */
function numbered(arrays: StateArrays, prefix: string, n: number): Float32Array[] {
  return Array.from({ length: n }, (_, i) => {
    const a = arrays[`${prefix}/${i}`];
    if (!(a instanceof Float32Array)) throw new Error(`the checkpoint lacks ${prefix}/${i}`);
    return a;
  });
}

/**
 * The linear probe of a configuration's random-init network, exactly as epoch 0 measures
 * it (the same initial weights for the same seed): for runs stored before it was measured.
 */
export async function randomInitLinear(cfg: TrainConfig, data: Dataset): Promise<number | null> {
  if (!cfg.monitor.linear) return null;
  const set = data.train;
  const trainee = buildTrainee(cfg, set.channels);
  try {
    return await evaluateLinear(cfg, trainee.net, data, { size: set.height, channels: set.channels, mean: data.mean, std: data.std });
  } finally {
    trainee.dispose();
  }
}

/** Running sums of one epoch's steps. */
function newEpoch() {
  return { started: performance.now(), lossSum: 0, lossSq: 0, lossMax: -Infinity, stdSum: 0, stdCount: 0, waitMs: 0, lr: 0, done: 0 };
}

async function timed<T>(f: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const t = performance.now();
  const value = await f();
  return { value, seconds: (performance.now() - t) / 1000 };
}

export async function evaluateKnn(cfg: TrainConfig, net: SiameseNet, data: Dataset, fmt: ViewFormat): Promise<number> {
  const bank = extractFeatures(net, data.train, fmt);
  const queries = extractFeatures(net, data.test, fmt);
  try {
    const { k, temperature } = cfg.monitor.knn;
    return await knnAccuracy(bank, data.train.labels, queries, data.test.labels, data.classes, k, temperature);
  } finally {
    tf.dispose([bank, queries]);
  }
}

export async function evaluateLinear(cfg: TrainConfig, net: SiameseNet, data: Dataset, fmt: ViewFormat): Promise<number> {
  const tr = extractFeatures(net, data.train, fmt);
  const te = extractFeatures(net, data.test, fmt);
  try {
    const { epochs, lr } = cfg.monitor.linear!;
    return await linearProbeAccuracy(tr, data.train.labels, te, data.test.labels, data.classes, epochs, lr, cfg.seed);
  } finally {
    tf.dispose([tr, te]);
  }
}
