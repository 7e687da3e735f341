import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../core/backend.ts';
import { Sgd } from '../../core/optimizer.ts';
import { cosineLr, scaledLr } from '../../core/schedule.ts';
import { simsiamCifar } from '../../experiments/simsiam.ts';

test.before(async () => {
  await useBackend('cpu');
});

test('lr = base x batch / 256 (Sec. 3), cosine to 0 with linear warmup', (t) => {
  t.is(scaledLr({ ...simsiamCifar.optimizer, baseLr: 0.05 }, 512), 0.1);
  t.is(cosineLr(1, 0, 100, 0), 1);
  t.true(Math.abs(cosineLr(1, 50, 100, 0) - 0.5) < 1e-12);
  t.true(cosineLr(1, 99, 100, 0) < 1e-3);
  t.is(cosineLr(1, 0, 100, 10), 0.1);
  t.is(cosineLr(1, 9, 100, 10), 1);
  t.true(cosineLr(1, 10, 100, 10) === 1 && cosineLr(1, 55, 100, 10) < 0.51);
});

test('SGD step matches PyTorch: g += wd w; buf = m buf + g; w -= lr buf', (t) => {
  const w = tf.variable(tf.tensor1d([1, -2]), true, 'optim-test-w');
  const opt = new Sgd({ ...simsiamCifar.optimizer, momentum: 0.9, weightDecay: 0.1 }, [w]);
  const g = { [w.name]: tf.tensor1d([0.5, 0.5]) };
  opt.step(g, 0.1);
  // g' = [0.6, 0.3]; buf = g'; w = [1 - 0.06, -2 - 0.03]
  t.deepEqual(Array.from(w.dataSync(), (x) => +x.toFixed(6)), [0.94, -2.03]);
  opt.step(g, 0.1);
  // g' = [0.5 + 0.094, 0.5 - 0.203] = [0.594, 0.297]; buf = 0.9 [0.6, 0.3] + g' = [1.134, 0.567]
  t.deepEqual(Array.from(w.dataSync(), (x) => +x.toFixed(5)), [+(0.94 - 0.1134).toFixed(5), +(-2.03 - 0.0567).toFixed(5)]);
  opt.dispose();
});
