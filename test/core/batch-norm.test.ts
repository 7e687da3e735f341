import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../core/backend.ts';
import { BN_EPS, batchNorm } from '../../core/nets/batch-norm.ts';
import { maxAbsDiff } from '../helpers/tiny.ts';

test.before(async () => {
  await useBackend('cpu');
});

/** BN written with autodiff-able ops: the reference for the hand-written gradient. */
function reference(x: tf.Tensor, relu: boolean, g?: tf.Tensor, b?: tf.Tensor): tf.Tensor {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  let y = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, BN_EPS)));
  if (g && b) y = tf.add(tf.mul(y, g), b);
  return relu ? tf.relu(y) : y;
}

for (const [affine, relu] of [[true, true], [true, false], [false, false]] as const) {
  test(`hand-written BN gradient matches autodiff (affine=${affine}, relu=${relu})`, (t) => {
    const bn = batchNorm('t', 6, { affine, relu });
    if (affine) {
      bn.trainable[0].assign(tf.randomNormal([6], 1, 0.5, 'float32', 3));
      bn.trainable[1].assign(tf.randomNormal([6], 0, 0.5, 'float32', 4));
    }
    const x = tf.randomNormal([4, 3, 3, 6], 0.5, 2, 'float32', 1);
    const up = tf.randomNormal([4, 3, 3, 6], 0, 1, 'float32', 2);
    const y = bn.apply(x, 'train');
    t.true(maxAbsDiff(y, reference(x, relu, bn.trainable[0], bn.trainable[1])) < 1e-5, 'forward');
    const gx = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(bn.apply(xx, 'train'), up)))(x);
    const inputs = affine ? [x, bn.trainable[0], bn.trainable[1]] : [x];
    const ref = tf.grads((...a: tf.Tensor[]) => tf.sum(tf.mul(reference(a[0], relu, a[1], a[2]), up)))(inputs);
    const ex = maxAbsDiff(gx, ref[0]);
    t.log(`max |dx - ref| = ${ex.toExponential(2)}`);
    t.true(ex < 1e-5);
    if (affine) {
      const { grads } = tf.variableGrads(() => tf.sum(tf.mul(bn.apply(x, 'train'), up)) as tf.Scalar, bn.trainable);
      t.true(maxAbsDiff(grads[bn.trainable[0].name], ref[1]) < 1e-5, 'dgamma');
      t.true(maxAbsDiff(grads[bn.trainable[1].name], ref[2]) < 1e-5, 'dbeta');
    }
  });
}

test('running statistics follow PyTorch: r <- 0.9 r + 0.1 batch, unbiased variance; eval uses them', (t) => {
  const bn = batchNorm('t', 2, { affine: false, relu: false });
  const x = tf.tensor2d([[1, 10], [3, 14], [5, 12]]);
  bn.apply(x, 'train');
  const [mean, variance] = bn.state.map((v) => Array.from(v.dataSync()));
  t.deepEqual(mean.map((m) => +m.toFixed(5)), [0.3, 1.2]);
  // unbiased variances 4 and 4: 0.9 * 1 + 0.1 * 4
  t.deepEqual(variance.map((v) => +v.toFixed(5)), [1.3, 1.3]);
  const y = bn.apply(tf.tensor2d([[0.3, 1.2]]), 'eval');
  t.true(Math.abs(y.dataSync()[0]) < 1e-6 && Math.abs(y.dataSync()[1]) < 1e-6);
  const z = bn.apply(tf.tensor2d([[0.3 + Math.sqrt(1.3 + BN_EPS), 1.2]]), 'eval');
  t.true(Math.abs(z.dataSync()[0] - 1) < 1e-5);
});

test('zero-init residual BN starts with gamma = 0', (t) => {
  const bn = batchNorm('t', 3, { affine: true, relu: false, zeroGamma: true });
  t.deepEqual(Array.from(bn.trainable[0].dataSync()), [0, 0, 0]);
  t.deepEqual(Array.from(bn.trainable[1].dataSync()), [0, 0, 0]);
});
