import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Start tfjs's wasm backend on its threaded SIMD binary in Node, with `threads` XNNPACK
 * threads. tfjs refuses threads in Node (tfjs#3830) because Emscripten's pthread workers
 * are handed Blob URLs, which Node's worker_threads cannot load. Here, for the duration of
 * the backend's start only:
 * - `Blob` writes the pthread worker script to a file (with a prelude, below) and stands
 *   for the main script by the package's own `wasm-out/...threaded-simd.js`;
 * - `URL.createObjectURL` returns that file's path;
 * - `os.cpus()` reports 2x `threads` cores, since the pool is capped at half the cores.
 * The worker prelude makes the worker's `URL.createObjectURL` return the same path.
 * Measured on 2 cores: a 3x3 conv 2x faster at 2 threads (`simsiam bench`).
 */
export async function startThreadedWasm(distDir: string, threads: number): Promise<void> {
  const mainScript = path.join(path.dirname(distDir), 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js');
  if (!fs.existsSync(mainScript)) throw new Error(`threaded wasm script not found at ${mainScript}`);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  const saved = { Blob: globalThis.Blob, createObjectURL: URL.createObjectURL, cpus: os.cpus };
  const g = globalThis as unknown as { Blob: unknown };
  g.Blob = class FileBlob {
    readonly file: string;
    constructor(parts: string[]) {
      const text = parts.join('');
      this.file = text.startsWith('var WasmBackendModuleThreadedSimd') ? mainScript : writeWorkerScript(text);
    }
  };
  URL.createObjectURL = ((b: { file: string }) => b.file) as unknown as typeof URL.createObjectURL;
  const cores = saved.cpus();
  (os as { cpus: typeof os.cpus }).cpus = () => Array.from({ length: 2 * threads }, (_, i) => cores[i % cores.length]);
  try {
    if (!(await tf.setBackend('wasm'))) throw new Error('threaded wasm backend failed to initialise');
    // XNNPACK's pool threads live as long as the backend, and Emscripten keeps a running
    // pthread's worker referenced: without this, a finished command would never exit.
    const pthreads = (tf.backend() as unknown as { wasm: { PThread?: { runningWorkers: { unref(): void }[] } } }).wasm.PThread;
    for (const w of pthreads?.runningWorkers ?? []) w.unref();
  } finally {
    g.Blob = saved.Blob;
    URL.createObjectURL = saved.createObjectURL;
    (os as { cpus: typeof os.cpus }).cpus = saved.cpus;
  }
}

/**
 * The pthread worker script as a file named by its content (so processes share it).
 * Its prelude defines what the bundled factory expects of a worker: the bundler's
 * `require$$n` names and a `URL.createObjectURL` that reads our stand-in Blob's path.
 */
function writeWorkerScript(text: string): string {
  const prelude =
    'var require$$0=require("fs"),require$$1=require("path"),require$$3=require("perf_hooks"),require$$4=require("os");' +
    'URL.createObjectURL=function(b){return b.file};URL.revokeObjectURL=function(){};\n';
  const body = prelude + text;
  const file = path.join(os.tmpdir(), `simsiam-wasm-worker-${createHash('sha1').update(body).digest('hex').slice(0, 12)}.js`);
  if (!fs.existsSync(file)) {
    const tmp = `${file}.${process.pid}`;
    fs.writeFileSync(tmp, body);
    fs.renameSync(tmp, file);
  }
  return file;
}
