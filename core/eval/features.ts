import * as tf from '@tensorflow/tfjs';
import { normalizeInto, type ViewFormat } from '../data/augment.ts';
import type { ImageSet } from '../data/dataset.ts';
import type { SiameseNet } from '../nets/siamese.ts';

/**
 * Backbone pooled features (pool5, not z: docs/method.md#knn-monitor) of every image in a set,
 * un-augmented, BN in eval mode, in batches; [n, featureDim] on the backend.
 */
export function extractFeatures(net: SiameseNet, set: ImageSet, fmt: ViewFormat, batch = 256): tf.Tensor2D {
  const chunks: tf.Tensor2D[] = [];
  const per = fmt.size * fmt.size * fmt.channels;
  const buf = new Float32Array(batch * per);
  for (let start = 0; start < set.n; start += batch) {
    const n = Math.min(batch, set.n - start);
    const idx = Int32Array.from({ length: n }, (_, i) => start + i);
    normalizeInto(set, idx, fmt, buf);
    chunks.push(tf.tidy(() => {
      const x = tf.tensor4d(buf.subarray(0, n * per), [n, fmt.size, fmt.size, fmt.channels]);
      return net.backbone.apply(x, 'eval') as tf.Tensor2D;
    }));
  }
  const out = tf.concat(chunks);
  tf.dispose(chunks);
  return out;
}
