import { createRequire } from 'node:module';
import { onnxModel, type OnnxGraph } from '../../onnx/model.ts';

/**
 * onnxruntime-node's CPU library (MLAS) as a synchronous kernel runner. The package's
 * public `InferenceSession.run` returns a promise, which a tfjs kernel cannot await; its
 * native binding runs synchronously (the package only wraps it in setImmediate), so the
 * binding is used directly. One session per graph and shape, built once and cached.
 */

interface OrtTensor { type: string; dims: readonly number[]; data: Float32Array }
interface BindingSession {
  loadModel(buffer: ArrayBuffer, byteOffset: number, byteLength: number, options: Record<string, unknown>): void;
  run(feeds: Record<string, OrtTensor>, fetches: Record<string, OrtTensor | null>, options: Record<string, unknown>): unknown;
  dispose(): void;
}
interface Binding { binding: { InferenceSession: new () => BindingSession }; initOrt(): void }
type TensorCtor = new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensor;

export interface Ort {
  version: string;
  threads: number;
  /** MLAS's NCHWc channel block on this CPU (16 with AVX-512, 8 with AVX2), or 0 where its blocked kernels are absent. */
  nchwcBlock: number;
  /** Runs `graph` (built by `build` on first use of `key`) on views that it reads and writes in place. */
  run(key: string, build: () => OnnxGraph, inputs: Float32Array[], outputs: Float32Array[]): void;
  dispose(): void;
}

const require = createRequire(import.meta.url);

/**
 * Load onnxruntime-node; throws (with the reason) where it is not installed or its
 * library does not load on this platform.
 */
export function loadOrt(threads: number): Ort {
  const { binding, initOrt } = require('onnxruntime-node/dist/binding.js') as Binding;
  const { Tensor, env } = require('onnxruntime-common') as { Tensor: TensorCtor; env: { logLevel?: string } };
  env.logLevel = 'error'; // its warnings (an unused initializer) are not the user's to act on
  const version = (require('onnxruntime-node/package.json') as { version: string }).version;
  initOrt();
  const cache = new Map<string, { session: BindingSession; inputs: OnnxGraph['inputs']; outputs: OnnxGraph['outputs'] }>();
  const options = {
    intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all',
    // Kernel-sized sessions: the arena would keep each session's peak buffers for good.
    enableCpuMemArena: false, enableMemPattern: false,
    // Idle pool threads would spin between kernels, taking the core the wasm ops run on.
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
  return {
    version, threads, nchwcBlock: nchwcBlock(binding, Tensor),
    run(key, build, inputs, outputs) {
      let s = cache.get(key);
      if (!s) {
        const g = build();
        const bytes = onnxModel(g);
        const session = new binding.InferenceSession();
        session.loadModel(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength, options);
        s = { session, inputs: g.inputs, outputs: g.outputs };
        cache.set(key, s);
      }
      // Tensors over the callers' views: onnxruntime reads the inputs and writes the
      // (pre-allocated) outputs in place, so nothing is copied on either side.
      const feeds: Record<string, OrtTensor> = {};
      const fetches: Record<string, OrtTensor> = {};
      s.inputs.forEach(([name, dims], i) => { feeds[name] = new Tensor('float32', inputs[i], dims as number[]); });
      s.outputs.forEach(([name, dims], i) => { fetches[name] = new Tensor('float32', outputs[i], dims as number[]); });
      s.session.run(feeds, fetches, {});
    },
    dispose() {
      for (const s of cache.values()) s.session.dispose();
      cache.clear();
    },
  };
}

/**
 * The NCHWc block size, read off the shape that ReorderInput gives 4 channels (it pads
 * them to one block): onnxruntime-node exposes no other way to ask. 0 where the op does not load.
 */
function nchwcBlock(binding: Binding['binding'], Tensor: TensorCtor): number {
  const bytes = onnxModel({
    nodes: [{ op: 'ReorderInput', domain: NCHWC_DOMAIN, inputs: ['x'], outputs: ['y'], attrs: { channels_last: 1 } }],
    inputs: [['x', [1, 1, 1, 4]]], outputs: [['y', [1, 4, 1, 1]]],
  });
  const session = new binding.InferenceSession();
  try {
    session.loadModel(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength, { graphOptimizationLevel: 'disabled' });
    const out = session.run({ x: new Tensor('float32', new Float32Array(4), [1, 1, 1, 4]) }, { y: null }, {}) as Record<string, OrtTensor>;
    const block = out.y.dims[1];
    return block > 1 ? block : 0;
  } catch {
    return 0;
  } finally {
    session.dispose();
  }
}

/** onnxruntime's domain of MLAS's blocked-layout kernels (ReorderInput, Conv, ReorderOutput). */
export const NCHWC_DOMAIN = 'com.microsoft.nchwc';
