import test from 'ava';
import { useBackend } from '../../core/backend.ts';
import { loadDataset } from '../../core/data/load.ts';
import { makeViews, ViewPipeline } from '../../core/data/views.ts';
import { train } from '../../core/train.ts';
import { tinyConfig } from '../helpers/tiny.ts';

test.before(async () => {
  await useBackend('wasm');
});

test.serial('a tiny run records the monitors of every epoch, starting from the random init', async (t) => {
  const cfg = tinyConfig({ epochs: 2 });
  const steps: number[] = [];
  const r = await train(cfg, loadDataset(cfg.data), { hooks: { onStep: (s) => steps.push(s.step) } });
  t.is(r.status, 'finished');
  t.deepEqual(r.epochs.map((e) => e.epoch), [0, 1, 2]);
  t.is(steps.length, 2 * Math.floor(256 / cfg.batchSize), 'tiny has 256 training images');
  for (const e of r.epochs) t.true(e.knnAcc! >= 0 && e.knnAcc! <= 1);
  for (const e of r.epochs.slice(1)) {
    t.true(Number.isFinite(e.loss) && e.loss > -1 && e.loss < 1);
    t.true(e.zStd > 0);
    t.true(e.dataWaitShare >= 0 && e.dataWaitShare <= 1);
    t.true(e.knnAcc == null ? e.knnSeconds === 0 : e.knnSeconds > 0, 'the kNN monitor is timed where it runs');
  }
  t.true(r.epochs[2].lr < r.epochs[1].lr, 'cosine decay');
  t.is(r.zStdReference, 1 / Math.sqrt(cfg.projector.dim));
});

test.serial('a NaN loss ends the run as diverged, not as a crash', async (t) => {
  const cfg = tinyConfig({ epochs: 3, optimizer: { ...tinyConfig().optimizer, baseLr: 1e30 } });
  const r = await train(cfg, loadDataset(cfg.data), { inlineViews: true });
  t.is(r.status, 'diverged');
  t.true(r.epochs.length < 4);
  t.true(Number.isNaN(r.epochs[r.epochs.length - 1].loss) || !Number.isFinite(r.epochs[r.epochs.length - 1].loss));
});

test.serial('the augmentation worker produces exactly the views computed inline', async (t) => {
  const cfg = tinyConfig();
  const data = loadDataset(cfg.data);
  const fmt = { size: data.train.height, channels: 3, mean: data.mean, std: data.std };
  const req = { indices: Int32Array.from([5, 1, 9, 3]), views: 2, seed: 77 };
  const pipeline = new ViewPipeline(data.train, cfg.augment, fmt, false);
  const fromWorker = await pipeline.request(req);
  await pipeline.close();
  t.deepEqual(fromWorker, makeViews(data.train, cfg.augment, fmt, req));
});
