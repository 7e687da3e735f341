import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { FUSED_BN_GRAD_KERNEL, FUSED_BN_KERNEL, type FusedBnAttrs } from '../../nets/batch-norm.ts';
import { FUSED_SGD_KERNEL, type FusedSgdAttrs } from '../../optimizer.ts';

/**
 * native-cpu's addon (addon/addon.c, built at install by bin/build-addon.mjs): batch
 * norm's training forward (statistics, normalise, affine, ReLU and the running statistics
 * in two passes) and backward (dγ, dβ and dx in two passes over the saved input), the SGD
 * update in one pass per variable, and the convolutions (forward, dX and dW, which
 * kernels.ts takes where they measured faster than onnxruntime's). Each reads and writes the
 * wasm heap in place, as onnxruntime does. Without it tfjs's elementwise kernels do the
 * same work, in about ten passes each way for batch norm and six kernels per variable.
 */

export interface Addon {
  version: number;
  /** dW of an NHWC conv with dilation 1 and a multiple of 16 output channels; dims [n, h, w, ci, oh, ow, co, kh, kw, sh, sw, top, left]. */
  convDw(x: Float32Array, dy: Float32Array, dw: Float32Array, dims: Float32Array): void;
  /** The forward conv (NHWC, HWIO filter, dilation 1), output channels a multiple of 16; dims as convDw's. */
  convForward(x: Float32Array, w: Float32Array, y: Float32Array, dims: Float32Array): void;
  /** dX of that conv, input channels a multiple of 16; dims as convDw's. */
  convDx(dy: Float32Array, w: Float32Array, dx: Float32Array, dims: Float32Array): void;
  bnForward(x: Float32Array, c: number, gamma: Float32Array | null, beta: Float32Array | null, runMean: Float32Array, runVar: Float32Array,
    momentum: number, eps: number, relu: boolean, y: Float32Array, mean: Float32Array, rstd: Float32Array, runMeanOut: Float32Array, runVarOut: Float32Array): void;
  bnBackward(dy: Float32Array, x: Float32Array, y: Float32Array | null, c: number, mean: Float32Array, rstd: Float32Array, gamma: Float32Array | null,
    dx: Float32Array, dgamma: Float32Array | null, dbeta: Float32Array | null): void;
  sgd(w: Float32Array, g: Float32Array, accum: Float32Array, lr: number, momentum: number, weightDecay: number, wOut: Float32Array, accumOut: Float32Array): void;
}

type Info = tf.TensorInfo;
interface WasmBackend {
  typedArrayFromHeap(t: Info): Float32Array;
  makeOutput(shape: number[], dtype: tf.DataType): Info;
}

const ADDON = fileURLToPath(new URL('./addon/build/Release/simsiam_addon.node', import.meta.url));

/** The addon, or why it is not used: not built, turned off, or failing to load. */
export function loadAddon(): { addon: Addon } | { why: string } {
  if (process.env.SIMSIAM_ADDON === 'off') return { why: 'off (SIMSIAM_ADDON=off)' };
  if (!existsSync(ADDON)) return { why: 'not built (`npm run build:addon`)' };
  try {
    return { addon: createRequire(import.meta.url)(ADDON) as Addon };
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
