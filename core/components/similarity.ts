import * as tf from '@tensorflow/tfjs';
import type { SimilaritySpec } from '../config.ts';
import { assertNever } from '../config.ts';
import { l2normalize } from '../ops.ts';

/** D(p, z), averaged over the batch; the caller decides whether z is sg(z). */
export type Distance = (p: tf.Tensor2D, z: tf.Tensor2D) => tf.Scalar;

/** eq. 1: D(p, z) = -<p/|p|, z/|z|>. Minimum -1. */
export const negativeCosine: Distance = (p, z) =>
  tf.neg(tf.mean(tf.sum(tf.mul(l2normalize(p), l2normalize(z)), 1)));

/** Sec. 4.5: D(p, z) = -softmax(z) . log softmax(p), over channels, no temperature. Minimum is H(softmax(z)) >= 0. */
export const crossEntropy: Distance = (p, z) =>
  tf.neg(tf.mean(tf.sum(tf.mul(tf.softmax(z), tf.logSoftmax(p)), 1)));

export function distance(spec: SimilaritySpec): Distance {
  switch (spec.kind) {
    case 'cosine': return negativeCosine;
    case 'cross-entropy': return crossEntropy;
    default: return assertNever(spec);
  }
}
