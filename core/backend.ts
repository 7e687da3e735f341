import * as tf from '@tensorflow/tfjs';
import { BACKEND_BY_NAME, BACKEND_LIST } from './backends/index.ts';
import { installLowMemoryGradients } from './backends/engine-patch.ts';
import type { BackendName, LoadedBackend } from './backends/types.ts';
import { describeAdapter } from './backends/webgpu/dawn.ts';
import { BackendError } from './user-error.ts';

export type { BackendName } from './backends/types.ts';

/**
 * Choosing the compute backend. The backends themselves are folders of core/backends,
 * listed in core/backends/index.ts in the order `auto` tries them.
 */
export const BACKENDS = BACKEND_LIST.map((b) => b.name) as readonly BackendName[];
export type BackendChoice = BackendName | 'auto';

export interface BackendInfo extends LoadedBackend {
  /** Why each faster backend was skipped, for the log. */
  skipped: string[];
}

let active: BackendInfo | null = null;

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
      const info = await BACKEND_BY_NAME[name].load(threads, choice === 'auto');
      await tf.ready();
      installLowMemoryGradients();
      active = { ...info, skipped };
      return active;
    } catch (err) {
      const why = firstLine(err);
      if (choice !== 'auto') {
        // A user's choice that this machine cannot meet: the CLI prints it as one line.
        throw new BackendError(`backend '${name}' could not be loaded: ${why}. ${BACKEND_BY_NAME[name].hint}`);
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
  const about = [device, b.note].filter(Boolean).join('; ');
  return `backend ${b.name}${about ? ` (${about})` : ''}${b.skipped.length ? `; not loaded: ${b.skipped.join('; ')}` : ''}`;
}

/** Let the process exit: a loaded GPU backend otherwise holds it open. */
export function releaseBackend(): void {
  for (const b of BACKEND_LIST) b.release?.();
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
