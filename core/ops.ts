import * as tf from '@tensorflow/tfjs';

/**
 * sg(x): identity forward, zero gradient backward (paper eq. 3). tfjs has no public
 * stopGradient (tfjs#7438), so it is a customGrad whose gradient is zeros.
 */
export const stopGradient = tf.customGrad(((x: tf.Tensor) => ({
  value: x.clone(),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as unknown as Parameters<typeof tf.customGrad>[0]) as <T extends tf.Tensor>(x: T) => T;

/** x / max(||x||, eps) along the last axis; eps as PyTorch's F.normalize. */
export function l2normalize<T extends tf.Tensor>(x: T, eps = 1e-12): T {
  return tf.tidy(() => {
    const norm = tf.sqrt(tf.sum(tf.square(x), -1, true));
    return tf.div(x, tf.maximum(norm, eps)) as T;
  });
}

/** Sum over all but the last axis, as [1, C], via matMul (reductions over leading axes are slow on wasm). */
export function sumLeading(x: tf.Tensor): tf.Tensor2D {
  const c = x.shape[x.shape.length - 1];
  const m = x.size / c;
  return tf.matMul(tf.ones([1, m]), tf.reshape(x, [m, c]));
}
