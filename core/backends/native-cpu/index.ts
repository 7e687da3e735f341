import type { Backend } from '../types.ts';
import { claimWasm, startWasm } from '../wasm/index.ts';
import { loadAddon, registerFusedKernels } from './addon.ts';
import { registerNativeKernels } from './kernels.ts';
import { loadOrt, type Ort } from './ort.ts';

let ort: Ort | null = null;

/**
 * The heavy kernels (convolutions and their gradients, matMul) in onnxruntime's CPU
 * library on `threads` threads; wasm keeps the light ones on its single-threaded binary.
 */
export const nativeCpu: Backend = {
  name: 'native-cpu',
  async probe() {
    try {
      loadOrt(1).dispose();
      return null;
    } catch (err) {
      return `onnxruntime-node does not load (${String((err as Error).message).split('\n')[0]}); install with \`npm install onnxruntime-node\``;
    }
  },
  async load(threads) {
    // The library first, so that a missing one leaves wasm untouched for `auto`'s next choice.
    ort ??= loadOrt(threads);
    await startWasm(1);
    claimWasm('native-cpu');
    // The addon's label is recorded with every run (the device column): a cell's numbers
    // are those of the kernels that ran. Why it is absent goes to the log only.
    const loaded = loadAddon();
    const addon = 'addon' in loaded ? loaded.addon : null;
    registerNativeKernels(ort, addon);
    if (addon) registerFusedKernels(addon);
    return {
      name: 'native-cpu', tfName: 'wasm', threads: ort.threads, simd: true,
      library: `onnxruntime ${ort.version}${'label' in loaded ? `, ${loaded.label}` : ''}`,
      ...('why' in loaded ? { note: `addon ${loaded.why}` } : {}),
    };
  },
  hint: 'It needs the optional dependency onnxruntime-node (`npm install onnxruntime-node`, no download); or use --backend auto.',
};
