import * as tf from '@tensorflow/tfjs';
import type { Backend } from '../types.ts';

/** tfjs's plain JavaScript backend: always there, the slowest, the reference the others are checked against. */
export const cpu: Backend = {
  name: 'cpu',
  probe: async () => null,
  async load() {
    if (!(await tf.setBackend('cpu'))) throw new Error('cpu backend failed to initialise');
    // Its first-use banner only advertises tfjs-node, which `auto` already tried.
    (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
    return { name: 'cpu', tfName: 'cpu', threads: 1, simd: false };
  },
  hint: 'Run `npm ci` to install the project dependencies.',
};
