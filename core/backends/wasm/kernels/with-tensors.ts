import * as tf from '@tensorflow/tfjs';

/**
 * Run tfjs ops over a kernel's raw inputs. Ops called inside a kernel are not taped,
 * and the tidy frees every intermediate before the kernel returns.
 */
export function withTensors<T extends tf.Tensor | null>(infos: tf.TensorInfo[], f: (ts: tf.Tensor[]) => T): T {
  const engine = tf.engine() as unknown as {
    backend: { incRef(id: tf.DataId): void };
    makeTensorFromTensorInfo(i: tf.TensorInfo): tf.Tensor;
  };
  // tidy keeps a returned null as it is; its types only admit tensors.
  return tf.tidy(() => f(infos.map((i) => {
    // The wrapper owns a reference of its own, so disposing it leaves the kernel input alive.
    engine.backend.incRef(i.dataId);
    return engine.makeTensorFromTensorInfo(i);
  })) as tf.Tensor) as T;
}
