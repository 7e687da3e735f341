import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../core/backend.ts';
import { knnAccuracy } from '../../core/eval/knn.ts';
import { zStd } from '../../core/eval/collapse.ts';

test.before(async () => {
  await useBackend('cpu');
});

test('weighted kNN classifies queries next to their class and votes by exp(s/t)', async (t) => {
  const bank = tf.tensor2d([[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9], [-1, 0]]);
  const labels = Uint8Array.from([0, 0, 1, 1, 2]);
  const queries = tf.tensor2d([[1, 0.05], [0.05, 1], [-1, -0.1]]);
  t.is(await knnAccuracy(bank, labels, queries, Uint8Array.from([0, 1, 2]), 3, 2, 0.1), 1);
  // With k = 5 every class votes; the weights exp(s/t) keep the nearest class on top.
  t.is(await knnAccuracy(bank, labels, queries, Uint8Array.from([0, 1, 2]), 3, 5, 0.1), 1);
  // Only the label of the single nearest neighbour counts at k = 1.
  t.is(await knnAccuracy(bank, labels, queries, Uint8Array.from([1, 1, 2]), 3, 1, 0.1), 2 / 3);
});

test('z_std is about 1/sqrt(d) for random z and 0 for collapsed z', (t) => {
  const d = 64;
  const random = zStd([tf.randomNormal([512, d], 0, 1, 'float32', 1) as tf.Tensor2D]).dataSync()[0];
  t.true(Math.abs(random - 1 / Math.sqrt(d)) < 0.01);
  const collapsed = zStd([tf.tile(tf.randomNormal([1, d], 0, 1, 'float32', 2), [512, 1]) as tf.Tensor2D]).dataSync()[0];
  t.true(collapsed < 1e-6);
});
