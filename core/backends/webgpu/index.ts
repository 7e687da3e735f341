import * as tf from '@tensorflow/tfjs';
import type { Backend } from '../types.ts';
import { registerWebgpuKernels } from './kernels/register.ts';
import { adapterHint, describeAdapter, probeAdapter, startDawn, stopDawn } from './dawn.ts';

const INSTALL = 'install a GPU driver, or a software adapter with `apt-get install -t bookworm-backports mesa-vulkan-drivers` (or `npm run setup:system`)';

/** tfjs's WebGPU backend on Dawn (the optional dependency webgpu): any GPU with Vulkan, Metal or D3D12. */
export const webgpu: Backend = {
  name: 'webgpu',
  async probe() {
    try {
      return (await probeAdapter()) ? null : `no WebGPU adapter; ${INSTALL}`;
    } catch (err) {
      return `webgpu does not load (${String((err as Error).message).split('\n')[0]}); \`npm install webgpu\`, then ${INSTALL}`;
    }
  },
  async load(_threads, auto) {
    if (auto) {
      // Probed apart first: auto must not load a software adapter or a crashing driver.
      const probed = await probeAdapter();
      if (!probed) throw new Error('no WebGPU adapter');
      if (probed.software) throw new Error(`only a software adapter (${describeAdapter(probed)}), slower than the CPU backends; --backend webgpu takes it`);
    }
    const adapter = await startDawn();
    if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs\'s webgpu backend failed to initialise');
    registerWebgpuKernels();
    return { name: 'webgpu', tfName: 'webgpu', threads: 1, simd: false, adapter };
  },
  hint: `It needs the optional dependency webgpu (\`npm install webgpu\`) and a GPU adapter. ${adapterHint()} Or use --backend auto.`,
  release: stopDawn,
};
