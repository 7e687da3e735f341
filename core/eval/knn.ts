import * as tf from '@tensorflow/tfjs';
import { l2normalize } from '../ops.ts';

/**
 * Weighted kNN (InstDisc; the MoCo CIFAR demo's monitor): cosine top-k neighbours in
 * the bank, each voting exp(s/t) for its class; top-1 accuracy as a fraction.
 */
export async function knnAccuracy(
  bank: tf.Tensor2D, bankLabels: Uint8Array, queries: tf.Tensor2D, queryLabels: Uint8Array,
  classes: number, k: number, temperature: number, chunk = 256,
): Promise<number> {
  const kk = Math.min(k, bank.shape[0]);
  let correct = 0;
  const bankT = tf.tidy(() => tf.transpose(l2normalize(bank))); // [D, N]
  const labels = tf.tensor1d(Int32Array.from(bankLabels), 'int32');
  for (let start = 0; start < queries.shape[0]; start += chunk) {
    const n = Math.min(chunk, queries.shape[0] - start);
    const pred = tf.tidy(() => {
      const q = l2normalize(tf.slice(queries, [start, 0], [n, -1]));
      const sim = tf.matMul(q, bankT); // [n, N]
      const { values, indices } = tf.topk(sim, kk);
      const w = tf.exp(tf.div(values, temperature)); // [n, k]
      const votes = tf.mul(tf.oneHot(tf.gather(labels, indices), classes), tf.expandDims(w, 2)); // [n, k, C]
      return tf.argMax(tf.sum(votes, 1), 1);
    });
    const p = await pred.data();
    pred.dispose();
    for (let i = 0; i < n; i++) if (p[i] === queryLabels[start + i]) correct++;
  }
  tf.dispose([bankT, labels]);
  return correct / queries.shape[0];
}
