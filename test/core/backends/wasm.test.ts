import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../../core/backend.ts';
import { backendContract } from '../../helpers/backend-contract.ts';

backendContract('wasm', null);

test.serial('wasm Identity shares the buffer: a clone (how the engine saves tensors for backward) copies nothing', async (t) => {
  await useBackend('wasm');
  const x = tf.tensor1d([1, 2, 3]);
  const y = tf.clone(x);
  t.is(y.dataId, x.dataId);
  x.dispose();
  t.deepEqual([...y.dataSync()], [1, 2, 3], 'and outlives its source');
  y.dispose();
});
