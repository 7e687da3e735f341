import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import os from 'node:os';
import type { Backend } from '../types.ts';

const require = createRequire(import.meta.url);

/**
 * tfjs-node and tfjs-node-gpu: libtensorflow under tfjs. Optional dependencies, absent
 * where libtensorflow could not be downloaded at install.
 */
export function tensorflowBackend(name: 'tensorflow' | 'tensorflow-gpu', pkg: string, hint: string): Backend {
  return {
    name,
    async probe() {
      try {
        require.resolve(pkg);
        return null;
      } catch {
        return `${pkg} is not installed (its install downloads libtensorflow: \`npm install ${pkg}\`)`;
      }
    },
    async load() {
      await import(pkg);
      if (!(await tf.setBackend('tensorflow'))) throw new Error('tfjs-node registered no backend');
      return { name, tfName: 'tensorflow', threads: os.cpus().length, simd: true };
    },
    hint,
  };
}
