import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../core/backend.ts';
import { negativeCosine } from '../../core/components/similarity.ts';
import { stopGradient } from '../../core/ops.ts';
import { objective } from '../../core/train-step.ts';
import { maxAbsDiff, randomViews, stepContext, tinyConfig } from '../helpers/tiny.ts';

test.before(async () => {
  await useBackend('cpu');
});

test('sg passes values through and stops the gradient', (t) => {
  const z = tf.tensor2d([[1, 2], [3, -1]]);
  t.deepEqual(Array.from(stopGradient(z).dataSync()), [1, 2, 3, -1]);
  const p = tf.tensor2d([[0.5, 1], [2, 2]]);
  const [gp, gz] = tf.grads((a: tf.Tensor, b: tf.Tensor) => negativeCosine(a as tf.Tensor2D, stopGradient(b) as tf.Tensor2D))([p, z]);
  t.true(tf.max(tf.abs(gz)).dataSync()[0] === 0, 'no gradient reaches the target');
  t.true(tf.max(tf.abs(gp)).dataSync()[0] > 1e-3, 'the online branch still gets one');
});

test('without sg the target gets the full gradient, equal to the analytic one', (t) => {
  const p = tf.tensor2d([[0.5, 1], [2, 2]]);
  const z = tf.tensor2d([[1, 2], [3, -1]]);
  const gz = tf.grad((b: tf.Tensor) => negativeCosine(p, b as tf.Tensor2D))(z);
  // d/dz of -mean(cos) = -(1/N) (p/|p||z| - (p.z) z/(|p||z|^3))
  const analytic = tf.tidy(() => {
    const np = tf.norm(p, 2, 1, true), nz = tf.norm(z, 2, 1, true);
    const dot = tf.sum(tf.mul(p, z), 1, true);
    return tf.mul(-0.5, tf.sub(tf.div(p, tf.mul(np, nz)), tf.div(tf.mul(dot, z), tf.mul(np, tf.pow(nz, 3)))));
  });
  t.true(maxAbsDiff(gz, analytic) < 1e-6);
});

test('with stop-gradient the target branch of the network gets no gradient; without, it does', (t) => {
  // Asymmetric loss D(p1, sg z2): the only path from view 2 to the loss is through z2.
  const input = randomViews(1, 4, 16, 1)[0];
  for (const stop of [true, false]) {
    const cfg = tinyConfig({ loss: { kind: 'asymmetric' }, stopGradient: stop });
    const ctx = stepContext(cfg);
    const x1 = randomViews(1, 4, 16, 7)[0];
    const g = tf.grad((x2: tf.Tensor) => objective(cfg, ctx.net, [x1, x2 as tf.Tensor4D]).loss)(input);
    const size = tf.max(tf.abs(g)).dataSync()[0];
    t.log(`stopGradient=${stop}: max |dL/dx2| = ${size.toExponential(2)}`);
    if (stop) t.is(size, 0);
    else t.true(size > 1e-6);
    ctx.dispose();
  }
});
