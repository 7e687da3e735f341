import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../core/backend.ts';
import { loadDataset } from '../../core/data/load.ts';
import { makeViews } from '../../core/data/views.ts';
import { zStdReference } from '../../core/eval/collapse.ts';
import { trainStep } from '../../core/train-step.ts';
import { Rng } from '../../core/rng.ts';
import { stepContext, tinyConfig } from '../helpers/tiny.ts';

test.before(async () => {
  await useBackend('wasm');
});

/** Train a few dozen steps on the embedded data; return the first and last few steps' monitors. */
async function run(stopGradient: boolean, steps = 80): Promise<{ first: { loss: number; zStd: number }; last: { loss: number; zStd: number } }> {
  const cfg = tinyConfig({ stopGradient });
  const data = loadDataset(cfg.data);
  const ctx = stepContext(cfg, 3, 0.5);
  const fmt = { size: data.train.height, channels: 3, mean: data.mean, std: data.std };
  const rng = new Rng(0);
  const hist: { loss: number; zStd: number }[] = [];
  for (let s = 0; s < steps; s++) {
    const indices = Int32Array.from({ length: cfg.batchSize }, () => rng.int(data.train.n));
    const arrays = makeViews(data.train, cfg.augment, fmt, { indices, views: 2, seed: s });
    const x = arrays.map((a) => tf.tensor4d(a, [cfg.batchSize, fmt.size, fmt.size, 3]));
    hist.push(await trainStep(ctx, x));
    tf.dispose(x);
  }
  ctx.dispose();
  const mean = (xs: typeof hist) => ({ loss: xs.reduce((a, b) => a + b.loss, 0) / xs.length, zStd: xs.reduce((a, b) => a + b.zStd, 0) / xs.length });
  return { first: mean(hist.slice(0, 3)), last: mean(hist.slice(-5)) };
}

test.serial('with stop-gradient z_std stays near 1/sqrt(d); without it, z collapses and the loss goes to -1 (Fig. 2)', async (t) => {
  const ref = zStdReference(tinyConfig().projector.dim);
  const sg = await run(true);
  const nosg = await run(false);
  t.log(`1/sqrt(d) = ${ref.toFixed(4)}`);
  t.log(`with sg:    loss ${sg.first.loss.toFixed(3)} -> ${sg.last.loss.toFixed(3)}, z_std ${sg.first.zStd.toFixed(4)} -> ${sg.last.zStd.toFixed(4)}`);
  t.log(`without sg: loss ${nosg.first.loss.toFixed(3)} -> ${nosg.last.loss.toFixed(3)}, z_std ${nosg.first.zStd.toFixed(4)} -> ${nosg.last.zStd.toFixed(4)}`);
  t.true(sg.last.zStd > 0.7 * ref, 'healthy std with stop-gradient');
  t.true(sg.last.loss > -0.95, 'no collapse to the minimum with stop-gradient');
  t.true(nosg.last.zStd < 0.25 * ref, 'collapsed std without stop-gradient');
  t.true(nosg.last.loss < -0.97, 'loss at its minimum -1 without stop-gradient');
});
