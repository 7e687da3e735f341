import type { GpuAdapter } from './webgpu/dawn.ts';

/** The backends, in the order `auto` tries them (the list in core/backends/index.ts). */
export type BackendName = 'tensorflow-gpu' | 'webgpu' | 'tensorflow' | 'native-cpu' | 'wasm' | 'cpu';

/** What a loaded backend is. */
export interface LoadedBackend {
  name: BackendName;
  /** What tfjs calls it (`tensorflow` for both native packages). */
  tfName: string;
  threads: number;
  simd: boolean;
  /** The native library under native-cpu, with its version. */
  library?: string;
  /** The adapter under webgpu. */
  adapter?: GpuAdapter;
  /** Printed beside the backend at start, never recorded: why an optional part did not load. */
  note?: string;
}

/**
 * One compute backend: a folder of core/backends and a line in its list. `load` makes it
 * tfjs's backend or throws why not; `probe` says without loading it whether it can load
 * here (null) or why not, with what to install; `hint` is what to do when a user named it
 * and it did not load.
 */
export interface Backend {
  name: BackendName;
  probe(): Promise<string | null>;
  /** `auto`: chosen by `--backend auto`, which refuses what would be slower than the next (a software GPU adapter). */
  load(threads: number, auto: boolean): Promise<LoadedBackend>;
  hint: string;
  /** Let the process exit (a GPU device otherwise holds it open). */
  release?(): void;
}
