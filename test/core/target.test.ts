import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../core/backend.ts';
import { alternationCacheBytes, TargetBank, targetStrategy } from '../../core/components/target.ts';
import { encode } from '../../core/nets/siamese.ts';
import type { TargetSpec, TrainConfig } from '../../core/config.ts';
import { loadDataset } from '../../core/data/load.ts';
import { makeViews } from '../../core/data/views.ts';
import { zStdReference } from '../../core/eval/collapse.ts';
import { Rng } from '../../core/rng.ts';
import { train } from '../../core/train.ts';
import { trainStep } from '../../core/train-step.ts';
import { EXPERIMENTS } from '../../experiments/registry.ts';
import { expandGrid } from '../../runner/grid.ts';
import { stepContext, tinyConfig } from '../helpers/tiny.ts';

test.before(async () => {
  await useBackend('wasm');
});

async function stepLosses(cfg: TrainConfig): Promise<number[]> {
  const losses: number[] = [];
  await train(cfg, loadDataset(cfg.data), { inlineViews: true, hooks: { onStep: (s) => losses.push(s.loss) } });
  return losses;
}

test.serial('alternation with k = 1 is SimSiam: the same losses step by step', async (t) => {
  const base = tinyConfig({ epochs: 2, monitor: { knn: { k: 20, temperature: 0.1, everyEpochs: 0 }, linear: null } });
  const simsiam = await stepLosses(base);
  const k1 = await stepLosses({ ...base, target: { kind: 'alternation', every: 1, maxCacheMB: 64 } });
  t.is(k1.length, simsiam.length);
  const worst = Math.max(...k1.map((l, i) => Math.abs(l - simsiam[i])));
  t.log(`${k1.length} steps, max |loss difference| ${worst.toExponential(2)}`);
  t.true(worst < 1e-5);
  const k4 = await stepLosses({ ...base, target: { kind: 'alternation', every: 4, maxCacheMB: 64 } });
  t.is(k4.length, simsiam.length);
  t.is(k4[0], simsiam[0], 'the first step of a block is the same');
  t.true(k4.slice(1, 4).some((l, i) => Math.abs(l - simsiam[i + 1]) > 1e-4), 'later steps use stale targets');
});

test('the target bank updates only the batch rows, by eta <- m eta + (1 - m) f; a first sight copies f', (t) => {
  const bank = new TargetBank(4, 2, 0.8, 'first', 0);
  t.deepEqual(bank.update(Int32Array.of(1, 3), [Float32Array.of(1, 2, 3, 4)]).map((x) => Array.from(x)), [[1, 2, 3, 4]]);
  const [next] = bank.update(Int32Array.of(3), [Float32Array.of(-1, 9)]);
  t.deepEqual(Array.from(next, (x) => +x.toFixed(6)), [0.8 * 3 + 0.2 * -1, 0.8 * 4 + 0.2 * 9]);
  t.deepEqual(Array.from(bank.rows.subarray(0, 4)), [0, 0, 1, 2], 'rows 0 and 1 unchanged by the second update');
  t.deepEqual(Array.from(bank.seen), [0, 1, 0, 1]);
});

test('each target view gets its own eta: an online view is never compared with an average of its own output', (t) => {
  const bank = new TargetBank(2, 1, 0.8, 'first', 0);
  // First sight: each view's target is that view's f alone, and the bank keeps their mean.
  t.deepEqual(bank.update(Int32Array.of(0), [Float32Array.of(1), Float32Array.of(3)]).map((x) => x[0]), [1, 3]);
  t.is(bank.rows[0], 2);
  // Later: eta_j = m eta + (1 - m) f_j from the bank before the step, for each view j.
  const [a, b] = bank.update(Int32Array.of(0), [Float32Array.of(10), Float32Array.of(-10)]).map((x) => +x[0].toFixed(5));
  t.deepEqual([a, b], [3.6, -0.4]); // 0.8 * 2 + 0.2 * 10, 0.8 * 2 + 0.2 * -10
  t.is(+bank.rows[0].toFixed(5), 1.6);
});

test.serial('a block of k steps runs across epoch boundaries: k counts SGD steps, not steps within an epoch', async (t) => {
  // tiny: 256 images at batch 32 are 8 steps an epoch; k = 10 spans into the second epoch.
  const base = tinyConfig({ epochs: 2, monitor: { knn: { k: 20, temperature: 0.1, everyEpochs: 0 }, linear: null } });
  const spe = Math.floor(base.data.kind === 'patterns' ? base.data.train / base.batchSize : 0);
  t.is(spe, 8);
  const strategy = targetStrategy({ ...base, target: { kind: 'alternation', every: 100, maxCacheMB: 64 } }, 256);
  t.is(strategy.blockSize(500, 31), 100, 'a 100-step block at 31 steps an epoch is 100 steps');
  t.is(targetStrategy({ ...base, target: { kind: 'alternation', every: 'epoch', maxCacheMB: 64 } }, 256).blockSize(500, 31), 31);
  const k10 = await stepLosses({ ...base, target: { kind: 'alternation', every: 10, maxCacheMB: 64 } });
  const epoch = await stepLosses({ ...base, target: { kind: 'alternation', every: 'epoch', maxCacheMB: 64 } });
  t.is(k10.length, 16);
  t.deepEqual(k10.slice(0, spe), epoch.slice(0, spe), 'the first epoch is the same block in both');
  t.true(Math.abs(k10[spe] - epoch[spe]) > 1e-4, 'step 9 still uses the targets of step 1 under k = 10, fresh ones under 1-epoch');
});

test.serial('moving-average targets: the term whose target is view j gets eta from view j alone on first sight', async (t) => {
  const cfg = tinyConfig({ predictor: { kind: 'none' }, target: { kind: 'moving-average', momentum: 0.8, init: 'first', normalize: false } });
  const data = loadDataset(cfg.data);
  const ctx = stepContext(cfg, 3, 0.1);
  const fmt = { size: data.train.height, channels: 3, mean: data.mean, std: data.std };
  const indices = Int32Array.from({ length: cfg.batchSize }, (_, i) => i);
  const views = makeViews(data.train, cfg.augment, fmt, { indices, views: 2, seed: 3 }).map((a) => tf.tensor4d(a, [cfg.batchSize, fmt.size, fmt.size, 3]));
  const strategy = targetStrategy(cfg, data.train.n);
  const [targets] = await strategy.prepare(ctx.net, [{ views, indices }]);
  const own = views.map((v) => tf.tidy(() => encode(ctx.net, v, 'target')));
  const diff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
  t.true(diff(targets![0]!, own[0]) < 1e-6 && diff(targets![1]!, own[1]) < 1e-6, 'view j\'s target is F(view j)');
  t.true(diff(targets![0]!, targets![1]!) > 1e-3, 'the two views\' targets differ: neither is their mean');
  tf.dispose([...views, ...own]);
  strategy.release();
  ctx.dispose();
});

/** Steps at a constant lr on the embedded data, with the config's target strategy. */
async function runSteps(cfg: TrainConfig, steps: number, lr: number): Promise<{ loss: number; zStd: number }> {
  const data = loadDataset(cfg.data);
  const ctx = stepContext(cfg, 3, lr);
  const strategy = targetStrategy(cfg, data.train.n);
  const fmt = { size: data.train.height, channels: 3, mean: data.mean, std: data.std };
  const rng = new Rng(0);
  const order = Array.from({ length: data.train.n }, (_, i) => i);
  let last = { loss: 0, zStd: 0 };
  for (let s = 0; s < steps; s++) {
    const indices = Int32Array.from(rng.shuffle(order).slice(0, cfg.batchSize));
    const views = makeViews(data.train, cfg.augment, fmt, { indices, views: 2, seed: s })
      .map((a) => tf.tensor4d(a, [cfg.batchSize, fmt.size, fmt.size, 3]));
    const [targets] = await strategy.prepare(ctx.net, [{ views, indices }]);
    last = await trainStep(ctx, views, targets);
    strategy.release();
    tf.dispose(views);
  }
  ctx.dispose();
  return last;
}

test.serial('without a predictor SimSiam collapses; with moving-average targets it does not (Sec. 5.2)', async (t) => {
  const ref = zStdReference(tinyConfig().projector.dim);
  const ma: TargetSpec = { kind: 'moving-average', momentum: 0.8, init: 'first', normalize: true };
  const control = await runSteps(tinyConfig({ predictor: { kind: 'none' } }), 120, 0.5);
  const averaged = await runSteps(tinyConfig({ predictor: { kind: 'none' }, target: ma }), 120, 0.5);
  t.log(`1/sqrt(d) ${ref.toFixed(4)}; no average: loss ${control.loss.toFixed(4)}, z_std ${control.zStd.toFixed(4)}; moving average: loss ${averaged.loss.toFixed(4)}, z_std ${averaged.zStd.toFixed(4)}`);
  t.true(control.zStd < 0.15 * ref && control.loss < -0.99, 'the control collapses');
  t.true(averaged.zStd > 0.4 * ref, 'the moving average keeps z spread');
});

test('an alternation cache over the limit is refused before anything runs', (t) => {
  const tight = { ...EXPERIMENTS.alternation, rows: [{ label: '1-epoch', set: { target: { kind: 'alternation' as const, every: 'epoch' as const, maxCacheMB: 16 } }, paper: 67 }] };
  const err = t.throws(() => expandGrid(tight, { preset: 'small' }));
  t.regex(err!.message, /alternation, row "1-epoch": target\.every="epoch" would cache 50 MiB of views and targets, over target\.maxCacheMB=16/);
  for (const preset of ['tiny', 'small', 'fashion', 'paper'] as const) t.notThrows(() => expandGrid(EXPERIMENTS.alternation, { preset }), preset);
  t.deepEqual(expandGrid(EXPERIMENTS['moving-average'], { preset: 'small' }).cells.map((c) => c.config.predictor.kind), ['none', 'none']);
  // A 100-step block spans epochs at small (31 steps each): it caches 100 batches, not 31.
  const k100 = expandGrid(EXPERIMENTS.alternation, { preset: 'small' }).cells.find((c) => c.rowLabel === '100-step')!.config;
  t.is(alternationCacheBytes(k100, 2000, 32 * 32 * 3), 4 * 100 * 64 * 2 * (32 * 32 * 3 + 256));
});
