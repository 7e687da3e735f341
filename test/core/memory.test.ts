import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../core/backend.ts';
import { trainStep } from '../../core/train-step.ts';
import { randomViews, stepContext, tinyConfig } from '../helpers/tiny.ts';

test.before(async () => {
  await useBackend('wasm');
});

test.serial('the tensor count after N training steps equals the count after one', async (t) => {
  for (const cfg of [tinyConfig(), tinyConfig({ loss: { kind: 'asymmetric-2x' }, stopGradient: false })]) {
    const ctx = stepContext(cfg);
    const views = randomViews(cfg.loss.kind === 'asymmetric-2x' ? 4 : 2, 8, 16, 1);
    await trainStep(ctx, views);
    const afterOne = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) await trainStep(ctx, views);
    t.is(tf.memory().numTensors, afterOne, `${cfg.loss.kind}: no tensor leaks per step`);
    tf.dispose(views);
    ctx.dispose();
  }
});
