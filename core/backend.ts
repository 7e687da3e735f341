import { BackendError } from './user-error.ts';
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { registerWasmKernels } from './kernels/register.ts';
import { registerNativeKernels } from './native/kernels.ts';
import { loadOrt, type Ort } from './native/ort.ts';
import { installLowMemoryGradients } from './kernels/low-memory-gradients.ts';
import { startThreadedWasm } from './wasm-threads.ts';
import { adapterHint, describeAdapter, probeAdapter, startDawn, stopDawn, type GpuAdapter } from './webgpu.ts';

/**
 * Backends in the order `auto` tries them: the fastest that loads wins. The GPUs first;
 * `auto` takes `webgpu` only on a hardware adapter.
 */
export const BACKENDS = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'native-cpu', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];
export type BackendChoice = BackendName | 'auto';

export interface BackendInfo {
  name: BackendName;
  /** What tfjs calls it (`tensorflow` for both native packages). */
  tfName: string;
  threads: number;
  simd: boolean;
  /** Why each faster backend was skipped, for the log. */
  skipped: string[];
  /** The native library under native-cpu, with its version. */
  library?: string;
  /** The adapter under webgpu. */
  adapter?: GpuAdapter;
}

const require = createRequire(import.meta.url);
let active: BackendInfo | null = null;
let wasmConfigured = false;
let ort: Ort | null = null;

async function startWasm(threads: number): Promise<typeof import('@tensorflow/tfjs-backend-wasm')> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  if (!wasmConfigured) {
    const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
    wasm.setWasmPaths(dist + path.sep);
    wasm.setThreadsCount(threads);
    registerWasmKernels();
    wasmConfigured = true;
    // One thread: the single-threaded SIMD binary, tfjs's own choice in Node.
    if (threads > 1) await startThreadedWasm(dist, threads);
  }
  if (!(await tf.setBackend('wasm'))) throw new Error('wasm backend failed to initialise');
  return wasm;
}

async function tryLoad(name: BackendName, threads: number, auto: boolean): Promise<Omit<BackendInfo, 'skipped'>> {
  switch (name) {
    case 'webgpu': {
      if (auto) {
        // Probed apart first: auto must not load a software adapter or a crashing driver.
        const probed = await probeAdapter();
        if (!probed) throw new Error('no WebGPU adapter');
        if (probed.software) throw new Error(`only a software adapter (${describeAdapter(probed)}), slower than the CPU backends; --backend webgpu takes it`);
      }
      const adapter = await startDawn();
      if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs\'s webgpu backend failed to initialise');
      return { name, tfName: 'webgpu', threads: 1, simd: false, adapter };
    }
    case 'native-cpu': {
      // The heavy kernels run in onnxruntime on `threads` threads; wasm keeps the light
      // ones on its single-threaded binary. Loaded first, so a missing library leaves
      // wasm untouched for `auto`'s next choice.
      ort ??= loadOrt(threads);
      await startWasm(1);
      registerNativeKernels(ort);
      return { name, tfName: 'wasm', threads: ort.threads, simd: true, library: `onnxruntime ${ort.version}` };
    }
    case 'tensorflow-gpu':
    case 'tensorflow': {
      // Optional dependencies: absent where libtensorflow could not be downloaded at install.
      await import(name === 'tensorflow-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node');
      if (!(await tf.setBackend('tensorflow'))) throw new Error('tfjs-node registered no backend');
      return { name, tfName: 'tensorflow', threads: os.cpus().length, simd: true };
    }
    case 'wasm': {
      if (ort) throw new Error('this process already runs native-cpu, whose kernels replace wasm\'s');
      const wasm = await startWasm(threads);
      return {
        name,
        tfName: 'wasm',
        threads: tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT') ? wasm.getThreadsCount() : 1,
        simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT') as boolean,
      };
    }
    case 'cpu':
      if (!(await tf.setBackend('cpu'))) throw new Error('cpu backend failed to initialise');
      // Its first-use banner only advertises tfjs-node, which `auto` already tried.
      (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
      return { name, tfName: 'cpu', threads: 1, simd: false };
  }
}

/**
 * Select the compute backend. `auto` takes the first of {@link BACKENDS} that loads;
 * a named backend that fails to load is an error that says why.
 */
export async function useBackend(choice: BackendChoice = 'auto', opts: { threads?: number } = {}): Promise<BackendInfo> {
  if (active && (choice === 'auto' || choice === active.name)) return active;
  const threads = opts.threads ?? envThreads();
  const order = choice === 'auto' ? BACKENDS : [choice];
  const skipped: string[] = [];
  for (const name of order) {
    try {
      const info = await tryLoad(name, threads, choice === 'auto');
      await tf.ready();
      installLowMemoryGradients();
      active = { ...info, skipped };
      return active;
    } catch (err) {
      const why = firstLine(err);
      if (choice !== 'auto') {
        // A user's choice that this machine cannot meet: the CLI prints it as one line.
        throw new BackendError(`backend '${name}' could not be loaded: ${why}. ${hint(name)}`);
      }
      skipped.push(`${name}: ${why}`);
    }
  }
  throw new Error(`no backend loaded:\n  ${skipped.join('\n  ')}`);
}

/** SIMSIAM_THREADS: wasm threads for any command (default 1; see README, Compute backends). */
export function envThreads(): number {
  const v = process.env.SIMSIAM_THREADS;
  if (v == null || v === '') return 1;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`SIMSIAM_THREADS must be an integer >= 1, not '${v}'`);
  return n;
}

/** What the backend computes on, where it says more than its name: the native library, the GPU adapter. */
export function backendDevice(b: BackendInfo): string | null {
  return b.adapter ? describeAdapter(b.adapter) : (b.library ?? null);
}

/** One line for logs: the backend, what it runs on, and why each faster one was not taken. */
export function describeBackend(b: BackendInfo): string {
  const device = backendDevice(b);
  return `backend ${b.name}${device ? ` (${device})` : ''}${b.skipped.length ? `; not loaded: ${b.skipped.join('; ')}` : ''}`;
}

/** Let the process exit: a loaded GPU backend otherwise holds it open. */
export function releaseBackend(): void {
  stopDawn();
}

/** The backend selected by the last {@link useBackend} call. */
export function activeBackend(): BackendInfo | null {
  return active;
}

function firstLine(err: unknown): string {
  const code = (err as { code?: string })?.code;
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return 'not installed';
  return String(err instanceof Error ? err.message : err).split('\n')[0];
}

function hint(name: BackendName): string {
  switch (name) {
    case 'tensorflow-gpu':
      return 'Install @tensorflow/tfjs-node-gpu (needs CUDA and network access at install), or use --backend auto.';
    case 'tensorflow':
      return 'Install @tensorflow/tfjs-node (downloads libtensorflow at install), or use --backend auto.';
    case 'webgpu':
      return `It needs the optional dependency webgpu (\`npm install webgpu\`) and a GPU adapter. ${adapterHint()} Or use --backend auto.`;
    case 'native-cpu':
      return 'It needs the optional dependency onnxruntime-node (`npm install onnxruntime-node`, no download); or use --backend auto.';
    default:
      return 'Run `npm ci` to install the project dependencies.';
  }
}
