import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../core/backend.ts';
import { crossEntropy, negativeCosine } from '../../core/components/similarity.ts';
import { lossLayout } from '../../core/components/loss.ts';

test.before(async () => {
  await useBackend('cpu');
});

const p = () => tf.tensor2d([[3, 4], [1, 0]]);
const z = () => tf.tensor2d([[4, 3], [0, 2]]);

test('negative cosine matches the hand-computed value (eq. 1)', (t) => {
  // rows: cos = (12+12)/(5*5) = 0.96 and 0; D = -(0.96 + 0)/2
  t.true(Math.abs(negativeCosine(p(), z()).dataSync()[0] - -0.48) < 1e-6);
});

test('negative cosine of a vector with itself is -1, its minimum', (t) => {
  t.true(Math.abs(negativeCosine(p(), p()).dataSync()[0] + 1) < 1e-6);
});

test('cross-entropy matches the hand-computed value (Sec. 4.5)', (t) => {
  const soft = (v: number[]) => v.map((x) => Math.exp(x) / v.reduce((s, y) => s + Math.exp(y), 0));
  const rows = [[[3, 4], [4, 3]], [[1, 0], [0, 2]]];
  const expected = rows.map(([pp, zz]) => {
    const q = soft(zz), lp = soft(pp).map(Math.log);
    return -(q[0] * lp[0] + q[1] * lp[1]);
  });
  const want = (expected[0] + expected[1]) / 2;
  t.true(Math.abs(crossEntropy(p(), z()).dataSync()[0] - want) < 1e-5);
});

test('cross-entropy is minimised at p = z, where it equals the entropy of softmax(z)', (t) => {
  const zz = tf.tensor2d([[0.3, -1, 2]]);
  const q = tf.softmax(zz);
  const entropy = -tf.sum(tf.mul(q, tf.log(q))).dataSync()[0];
  t.true(Math.abs(crossEntropy(zz, zz).dataSync()[0] - entropy) < 1e-5);
  t.true(crossEntropy(tf.tensor2d([[2, 0.3, -1]]), zz).dataSync()[0] > entropy);
});

test('symmetric loss is the mean of the two asymmetric terms; 2x uses two independent pairs', (t) => {
  const p1 = tf.randomNormal([5, 4], 0, 1, 'float32', 1) as tf.Tensor2D;
  const p2 = tf.randomNormal([5, 4], 0, 1, 'float32', 2) as tf.Tensor2D;
  const z1 = tf.randomNormal([5, 4], 0, 1, 'float32', 3) as tf.Tensor2D;
  const z2 = tf.randomNormal([5, 4], 0, 1, 'float32', 4) as tf.Tensor2D;
  const ps = [p1, p2], zs = [z1, z2];
  const value = (kind: 'symmetric' | 'asymmetric') =>
    lossLayout({ kind }).terms.reduce((s, term) => s + term.weight * negativeCosine(ps[term.online], zs[term.target]).dataSync()[0], 0);
  const a12 = negativeCosine(p1, z2).dataSync()[0];
  const a21 = negativeCosine(p2, z1).dataSync()[0];
  t.true(Math.abs(value('symmetric') - (a12 + a21) / 2) < 1e-6);
  t.true(Math.abs(value('asymmetric') - a12) < 1e-6);
  const twice = lossLayout({ kind: 'asymmetric-2x' });
  t.is(twice.views, 4);
  t.deepEqual(twice.terms.map((x) => [x.online, x.target, x.weight]), [[0, 1, 0.5], [2, 3, 0.5]]);
});
