import * as tf from '@tensorflow/tfjs';
import { Rng } from '../rng.ts';

/**
 * Linear probe on frozen features: softmax regression trained with SGD (momentum 0.9,
 * wd 0, cosine lr) on standardised, un-augmented features; test top-1 as a fraction.
 * The paper's CIFAR probe also augments the training images (docs/method.md#linear-probe); on
 * precomputed features this is a cheaper, slightly weaker estimate.
 */
export async function linearProbeAccuracy(
  train: tf.Tensor2D, trainLabels: Uint8Array, test: tf.Tensor2D, testLabels: Uint8Array,
  classes: number, epochs: number, lr: number, seed: number, batch = 256,
): Promise<number> {
  const d = train.shape[1];
  const { mean, variance } = tf.moments(train, 0);
  const std = tf.sqrt(tf.add(variance, 1e-6));
  const xs = tf.tidy(() => tf.div(tf.sub(train, mean), std));
  const xt = tf.tidy(() => tf.div(tf.sub(test, mean), std));
  const ys = tf.oneHot(tf.tensor1d(Int32Array.from(trainLabels), 'int32'), classes);
  const w = tf.variable(tf.zeros([d, classes]));
  const b = tf.variable(tf.zeros([classes]));
  const opt = tf.train.momentum(lr, 0.9);
  const rng = new Rng(seed);
  const n = train.shape[0];
  const steps = Math.max(1, Math.floor(n / batch));
  const order = Array.from({ length: n }, (_, i) => i);
  for (let e = 0; e < epochs; e++) {
    rng.shuffle(order);
    for (let s = 0; s < steps; s++) {
      opt.setLearningRate(lr * 0.5 * (1 + Math.cos((Math.PI * (e * steps + s)) / (epochs * steps))));
      tf.tidy(() => {
        const idx = tf.tensor1d(order.slice(s * batch, (s + 1) * batch), 'int32');
        const x = tf.gather(xs, idx), y = tf.gather(ys, idx);
        opt.minimize(() => tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(x, w), b)) as tf.Scalar, false, [w, b]);
      });
    }
  }
  const pred = tf.tidy(() => tf.argMax(tf.add(tf.matMul(xt, w), b), 1));
  const p = await pred.data();
  let correct = 0;
  for (let i = 0; i < p.length; i++) if (p[i] === testLabels[i]) correct++;
  tf.dispose([mean, variance, std, xs, xt, ys, w, b, pred]);
  opt.dispose();
  return correct / p.length;
}
