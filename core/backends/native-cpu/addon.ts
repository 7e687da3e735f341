import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { FUSED_BN_GRAD_KERNEL, FUSED_BN_KERNEL, type FusedBnAttrs } from '../../nets/batch-norm.ts';
import { FUSED_SGD_KERNEL, type FusedSgdAttrs } from '../../optimizer.ts';
import { ADDON_BINARY, ADDON_SOURCE_STAMP, sourceHash } from './addon-source.ts';
import type { WasmBackend } from './wasm-heap.ts';

/**
 * native-cpu's addon (addon/*.c, built at install by bin/build-addon.mjs): batch
 * norm's training forward (statistics, normalise, affine, ReLU and the running statistics
 * in two passes) and backward (dγ, dβ and dx in two passes over the saved input), the SGD
 * update in one pass per variable, and the convolutions (forward, dX and dW, which
 * kernels.ts takes where they measured faster than onnxruntime's). Each reads and writes the
 * wasm heap in place, as onnxruntime does. Without it tfjs's elementwise kernels do the
 * same work, in about ten passes each way for batch norm and six kernels per variable.
 */

export interface Addon {
  /** The clone of the kernels this CPU runs: "x86-64-v4" (AVX-512), "x86-64-v3" (AVX2, FMA) or "baseline". */
  isa: string;
  bnForward(x: Float32Array, c: number, gamma: Float32Array | null, beta: Float32Array | null, runMean: Float32Array, runVar: Float32Array,
    momentum: number, eps: number, relu: boolean, y: Float32Array, mean: Float32Array, rstd: Float32Array, runMeanOut: Float32Array, runVarOut: Float32Array): void;
  bnBackward(dy: Float32Array, x: Float32Array, y: Float32Array | null, c: number, mean: Float32Array, rstd: Float32Array, gamma: Float32Array | null,
    dx: Float32Array, dgamma: Float32Array | null, dbeta: Float32Array | null): void;
  sgd(w: Float32Array, g: Float32Array, accum: Float32Array, lr: number, momentum: number, weightDecay: number, wOut: Float32Array, accumOut: Float32Array): void;
  /** The forward conv (NHWC, HWIO filter, dilation 1), output channels a multiple of 16; dims [n, h, w, ci, oh, ow, co, kh, kw, sh, sw, top, left]. */
  convForward(x: Float32Array, w: Float32Array, y: Float32Array, dims: Float32Array, threads: number): void;
  /** dX of that conv, input channels a multiple of 16. */
  convDx(dy: Float32Array, w: Float32Array, dx: Float32Array, dims: Float32Array, threads: number): void;
  /** dW of that conv, output channels a multiple of 16. */
  convDw(x: Float32Array, dy: Float32Array, dw: Float32Array, dims: Float32Array, threads: number): void;
}

/** A loaded addon and what identifies its kernels in a run's record: its sources' hash and the CPU clone. */
export interface LoadedAddon {
  addon: Addon;
  /** "addon 3f2a1b9c0d1e x86-64-v4": recorded in the device column, so that a verdict never mixes builds. */
  label: string;
}

type Info = tf.TensorInfo;

const FUNCTIONS = ['bnForward', 'bnBackward', 'sgd', 'convForward', 'convDx', 'convDw'] as const;

/**
 * The addon, or why it is not used: turned off, not built, built from other sources than
 * these (stale), or failing to load. The reason is for the log, not for the record: every
 * run without the addon computes the same way.
 */
export function loadAddon(): LoadedAddon | { why: string } {
  if (process.env.SIMSIAM_ADDON === 'off') return { why: 'off (SIMSIAM_ADDON=off)' };
  if (!existsSync(ADDON_BINARY)) return { why: 'not built (`npm run build:addon`)' };
  const stamp = existsSync(ADDON_SOURCE_STAMP) ? readFileSync(ADDON_SOURCE_STAMP, 'utf8').trim() : '';
  const hash = sourceHash();
  if (stamp !== hash) return { why: 'stale: built from other sources (`npm run build:addon`)' };
  try {
    const addon = createRequire(import.meta.url)(ADDON_BINARY) as Addon;
    const missing = FUNCTIONS.filter((f) => typeof addon[f] !== 'function');
    if (missing.length) return { why: `lacks ${missing.join(', ')} (\`npm run build:addon\`)` };
    return { addon, label: `addon ${hash.slice(0, 12)} ${addon.isa}` };
  } catch (err) {
    return { why: `does not load (${String((err as Error).message).split('\n')[0]})` };
  }
}

let registered = false;

/** Registers the fused batch norm and SGD on the wasm engine, which native-cpu computes with. */
export function registerFusedKernels(addon: Addon): void {
  if (registered) return;
  registered = true;
  // Outputs first: allocating one may grow the wasm heap, which detaches earlier views.
  const views = (b: WasmBackend, infos: (Info | undefined)[]) => infos.map((i) => (i ? b.typedArrayFromHeap(i) : null));

  tf.registerKernel({
    kernelName: FUSED_BN_KERNEL, backendName: 'wasm',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { x, runMean, runVar, gamma, beta } = inputs as Record<string, Info | undefined>;
      const a = attrs as unknown as FusedBnAttrs;
      const b = backend as unknown as WasmBackend;
      const c = runMean!.shape[0];
      const outs = [b.makeOutput(x!.shape, 'float32'), ...[0, 1, 2, 3].map(() => b.makeOutput([c], 'float32'))];
      const [xv, rm, rv, gv, bv] = views(b, [x, runMean, runVar, gamma, beta]);
      const [y, mean, rstd, rmo, rvo] = views(b, outs);
      addon.bnForward(xv!, c, gv, bv, rm!, rv!, a.momentum, a.eps, a.relu, y!, mean!, rstd!, rmo!, rvo!);
      return outs;
    },
  });

  tf.registerKernel({
    kernelName: FUSED_BN_GRAD_KERNEL, backendName: 'wasm',
    kernelFunc: ({ inputs, backend }) => {
      const { dy, x, y, mean, rstd, gamma } = inputs as Record<string, Info | undefined>;
      const b = backend as unknown as WasmBackend;
      const c = mean!.shape[0];
      const outs = [b.makeOutput(x!.shape, 'float32'), ...(gamma ? [b.makeOutput([c], 'float32'), b.makeOutput([c], 'float32')] : [])];
      const [dyv, xv, yv, mv, rv, gv] = views(b, [dy, x, y, mean, rstd, gamma]);
      const [dx, dgamma, dbeta] = views(b, outs);
      addon.bnBackward(dyv!, xv!, yv, c, mv!, rv!, gv, dx!, dgamma ?? null, dbeta ?? null);
      return outs;
    },
  });

  tf.registerKernel({
    kernelName: FUSED_SGD_KERNEL, backendName: 'wasm',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { w, g, accum } = inputs as Record<string, Info>;
      const a = attrs as unknown as FusedSgdAttrs;
      const b = backend as unknown as WasmBackend;
      const outs = [b.makeOutput(w.shape, 'float32'), b.makeOutput(w.shape, 'float32')];
      const [wv, gv, av] = views(b, [w, g, accum]);
      const [wo, ao] = views(b, outs);
      addon.sgd(wv!, gv!, av!, a.lr, a.momentum, a.weightDecay, wo!, ao!);
      return outs;
    },
  });
}
