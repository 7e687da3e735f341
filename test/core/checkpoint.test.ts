import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../core/backend.ts';
import { decodeSnapshot, encodeSnapshot, type CheckpointKey } from '../../core/checkpoint/codec.ts';
import type { TrainSnapshot } from '../../core/checkpoint/snapshot.ts';
import type { TrainConfig } from '../../core/config.ts';
import { loadDataset } from '../../core/data/load.ts';
import { train, type EpochMetrics, type TrainResult } from '../../core/train.ts';
import { tinyConfig } from '../helpers/tiny.ts';

test.before(async () => {
  await useBackend('wasm');
});

const KEY: CheckpointKey = { cell: '0123456789abcdef', backend: 'wasm', device: null, version: 'test', commit: null };

/** What a run stores of an epoch: everything but wall times, which no two runs share. */
const stored = (e: EpochMetrics) => ({ epoch: e.epoch, loss: e.loss, lossStd: e.lossStd, lossMax: e.lossMax, zStd: e.zStd, knnAcc: e.knnAcc, linearAcc: e.linearAcc, lr: e.lr });
const results = (r: TrainResult) => ({ status: r.status, epochs: r.epochs.map(stored), linearAcc: r.linearAcc });

/** Train once, keeping every checkpoint as it would be read back from disk. */
async function withCheckpoints(cfg: TrainConfig, everyMs: number | null): Promise<{ result: TrainResult; snapshots: TrainSnapshot[] }> {
  const snapshots: TrainSnapshot[] = [];
  const result = await train(cfg, loadDataset(cfg.data), {
    inlineViews: true,
    checkpoint: {
      everyMs,
      write: async (s) => {
        const { parts } = encodeSnapshot(s, KEY);
        snapshots.push(decodeSnapshot(Buffer.concat(parts)).snapshot);
      },
    },
  });
  return { result, snapshots };
}

const linear = { epochs: 5, lr: 0.5 };
const cases: [string, TrainConfig][] = [
  ['SimSiam', tinyConfig({ epochs: 4, monitor: { knn: { k: 20, temperature: 0.1, everyEpochs: 1 }, linear } })],
  ['the moving average', tinyConfig({ epochs: 4, target: { kind: 'moving-average', momentum: 0.8, init: 'first', normalize: true } })],
  // 8 steps an epoch: blocks of 3 cross every epoch's end, so checkpoints cut blocks.
  ['3-step alternation', tinyConfig({ epochs: 4, target: { kind: 'alternation', every: 3, maxCacheMB: 64 } })],
];

for (const [name, cfg] of cases) {
  test.serial(`${name}: a run resumed from any epoch's checkpoint ends bit-identical to the uninterrupted one`, async (t) => {
    const whole = await train(cfg, loadDataset(cfg.data), { inlineViews: true });
    const { result, snapshots } = await withCheckpoints(cfg, null);
    t.deepEqual(results(result), results(whole), 'checkpointing changes nothing');
    t.deepEqual(snapshots.map((s) => s.epochs.length - 1), [1, 2, 3, 4], 'one checkpoint at each epoch end');
    for (const from of [1, 3]) {
      const resumed = await train(cfg, loadDataset(cfg.data), { inlineViews: true, resume: snapshots[from - 1] });
      t.deepEqual(results(resumed), results(whole), `resumed from epoch ${from}`);
    }
    if (cfg.target.kind === 'alternation') t.truthy(snapshots[0].block, 'the first epoch ends inside a block');
  });
}

test.serial('mid-epoch checkpoints (at every step here) resume bit-identically, also inside an alternation block', async (t) => {
  for (const cfg of [cases[1][1], cases[2][1]].map((c) => ({ ...c, epochs: 2 }))) {
    const whole = await train(cfg, loadDataset(cfg.data), { inlineViews: true });
    const { snapshots } = await withCheckpoints(cfg, 0);
    t.is(snapshots.length, 16, 'a checkpoint after each of the 16 steps');
    for (const s of [snapshots[4], snapshots[9]]) {
      t.true(s.partial.done > 0, 'cut mid-epoch');
      const resumed = await train(cfg, loadDataset(cfg.data), { inlineViews: true, resume: s });
      t.deepEqual(results(resumed), results(whole), `${cfg.target.kind} resumed after step ${s.step}`);
    }
  }
});

test.serial('resuming leaks no tensor', async (t) => {
  const cfg = { ...cases[2][1], epochs: 2 };
  const { snapshots } = await withCheckpoints(cfg, null);
  const before = tf.memory().numTensors;
  await train(cfg, loadDataset(cfg.data), { inlineViews: true, resume: snapshots[0] });
  t.is(tf.memory().numTensors, before);
});
