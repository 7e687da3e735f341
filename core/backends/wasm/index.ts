import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Backend } from '../types.ts';
import { registerWasmKernels } from './kernels/register.ts';
import { startThreadedWasm } from './threads.ts';

const require = createRequire(import.meta.url);
let configured = false;
/** Set by native-cpu, whose kernels replace wasm's in this process. */
let claimedBy: string | null = null;

/** Load tfjs's wasm backend once per process with the project's kernels; `threads` > 1 takes the threaded binary. */
export async function startWasm(threads: number): Promise<typeof import('@tensorflow/tfjs-backend-wasm')> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  if (!configured) {
    const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
    wasm.setWasmPaths(dist + path.sep);
    wasm.setThreadsCount(threads);
    registerWasmKernels();
    configured = true;
    // One thread: the single-threaded SIMD binary, tfjs's own choice in Node.
    if (threads > 1) await startThreadedWasm(dist, threads);
  }
  if (!(await tf.setBackend('wasm'))) throw new Error('wasm backend failed to initialise');
  return wasm;
}

/** Mark this process's wasm backend as carrying another backend's kernels. */
export function claimWasm(by: string): void {
  claimedBy = by;
}

/** tfjs's WebAssembly backend (XNNPACK), with the project's kernels for what it lacks or runs slowly. */
export const wasm: Backend = {
  name: 'wasm',
  probe: async () => null,
  async load(threads) {
    if (claimedBy) throw new Error(`this process already runs ${claimedBy}, whose kernels replace wasm's`);
    const w = await startWasm(threads);
    return {
      name: 'wasm', tfName: 'wasm',
      threads: tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT') ? w.getThreadsCount() : 1,
      simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT') as boolean,
    };
  },
  hint: 'Run `npm ci` to install the project dependencies.',
};
