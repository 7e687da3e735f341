import test from 'ava';
import { useBackend } from '../../../core/backend.ts';
import { loadAddon, type LoadedAddon } from '../../../core/backends/native-cpu/addon.ts';
import { sourceHash } from '../../../core/backends/native-cpu/addon-source.ts';
import { nativeCpu } from '../../../core/backends/native-cpu/index.ts';
import { Rng } from '../../../core/rng.ts';
import { FUSED_BN_GRAD_KERNEL, FUSED_BN_KERNEL } from '../../../core/nets/batch-norm.ts';
import { FUSED_SGD_KERNEL } from '../../../core/optimizer.ts';
import { backendContract } from '../../helpers/backend-contract.ts';
import { addonSkip } from '../../helpers/addon.ts';

// onnxruntime-node is an optional dependency that `npm ci` installs, and the addon builds
// at `npm ci` wherever a C compiler is: CI must have both, unless told to do without the
// addon (SIMSIAM_ADDON=off). native-cpu-no-addon.test.ts runs without it.
const missing = await nativeCpu.probe();
const optedOut = process.env.SIMSIAM_ADDON === 'off';
const skip = missing ?? addonSkip();
backendContract('native-cpu', skip, {
  requiredInCi: missing !== null || !optedOut,
  fusedKernels: [FUSED_BN_KERNEL, FUSED_BN_GRAD_KERNEL, FUSED_SGD_KERNEL],
});

(skip ? test.skip : test.serial)(`native-cpu records its addon by the hash of its sources and the CPU clone that runs${skip ? ` [skipped: ${skip}]` : ''}`, async (t) => {
  const b = await useBackend('native-cpu');
  const { isa } = (loadAddon() as LoadedAddon).addon;
  t.regex(b.library ?? '', new RegExp(`^onnxruntime [\\d.]+, addon ${sourceHash().slice(0, 12)} ${isa}$`));
});

// Threads split outputs, never a sum: the same bits on any thread count, so that a cell's
// result does not depend on how many cells share the machine.
(skip ? test.skip : test)(`the addon's convolutions give the same bits on 1, 2 and 3 threads${skip ? ` [skipped: ${skip}]` : ''}`, (t) => {
  const { addon } = loadAddon() as LoadedAddon;
  const rng = new Rng(3);
  const fill = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
  // [n, h, w, ci, oh, ow, co, kh, kw, sh, sw, top, left]: 3x3 stride 2, 'same', 16 to 32 channels.
  const dims = Float32Array.from([3, 9, 9, 16, 5, 5, 32, 3, 3, 2, 2, 1, 1]);
  const x = fill(3 * 9 * 9 * 16), w = fill(9 * 16 * 32), dy = fill(3 * 5 * 5 * 32);
  const on = (threads: number) => {
    const y = new Float32Array(dy.length), dx = new Float32Array(x.length), dw = new Float32Array(w.length);
    addon.convForward(x, w, y, dims, threads);
    addon.convDx(dy, w, dx, dims, threads);
    addon.convDw(x, dy, dw, dims, threads);
    return [y, dx, dw].map((a) => Buffer.from(a.buffer).toString('hex'));
  };
  const one = on(1);
  t.deepEqual(on(2), one);
  t.deepEqual(on(3), one);
  t.throws(() => addon.convDw(x, dy, new Float32Array(5), dims, 1), { message: /convDw: array sizes do not match dims/ });
});
