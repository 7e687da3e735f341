import * as tf from '@tensorflow/tfjs';
import { l2normalize } from '../ops.ts';

/**
 * The collapse monitor of Sec. 4.1: per-channel std over the batch of z/|z|, averaged
 * over channels. About 1/sqrt(d) when healthy, 0 when collapsed. Population std, as
 * the paper's formula; an average over the given views, as solo-learn.
 */
export function zStd(zs: tf.Tensor2D[]): tf.Scalar {
  return tf.tidy(() => {
    const per = zs.map((z) => tf.mean(tf.sqrt(tf.moments(l2normalize(z), 0).variance)));
    return tf.div(tf.addN(per), per.length) as tf.Scalar;
  });
}

export { zStdReference } from './z-reference.ts';
