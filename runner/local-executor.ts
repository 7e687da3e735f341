import { fork } from 'node:child_process';
import type { BackendChoice } from '../core/backend.ts';
import type { TrainConfig } from '../core/config.ts';
import type { Calibration, CellJob, CellMessage, CheckpointJob } from './cell-protocol.ts';

const WORKER = new URL('./cell-worker.mjs', import.meta.url);

/** What a running cell reports, and how it ended. */
export interface CellHandlers {
  onMessage(m: CellMessage): void;
}

export interface CellOutcome {
  /** The last message was `done` or `error`; otherwise the process died without a word. */
  ended: 'done' | 'error' | 'crashed';
  detail: string;
}

/**
 * Runs one cell in a child process and resolves when it exits. A crash, an OOM kill
 * or a signal becomes a `crashed` outcome with the exit code; it never rejects.
 */
export function runCellProcess(
  config: TrainConfig, backend: BackendChoice, h: CellHandlers, threads = 1, checkpoint: CheckpointJob | null = null,
): { done: Promise<CellOutcome>; kill(): void } {
  return forkCell({ type: 'run', config, backend, checkpoint }, h, threads);
}

/** Time the start of a cell's training in a child process (see cell-worker's calibrate); rejects with why it failed. */
export function calibrateCellProcess(
  config: TrainConfig, backend: BackendChoice, threads: number, budgetMs: number,
): { done: Promise<Calibration>; kill(): void } {
  let got: Calibration | null = null;
  const child = forkCell({ type: 'calibrate', config, backend, budgetMs }, {
    onMessage: (m) => {
      if (m.type === 'calibration') got = m;
    },
  }, threads);
  return {
    // The last report counts, also from a calibration the deadline cut off.
    done: child.done.then((o) => {
      if (!got || (got as Calibration).stepSeconds.length === 0) throw new Error(o.detail || 'the calibration ended without a result');
      return got;
    }),
    kill: child.kill,
  };
}

function forkCell(job: CellJob, h: CellHandlers, threads: number): { done: Promise<CellOutcome>; kill(): void } {
  // The user's SIMSIAM_THREADS wins; otherwise the sweep's share of the cores.
  const env = { ...process.env, SIMSIAM_THREADS: process.env.SIMSIAM_THREADS || String(threads) };
  // Structured clone, not JSON: a NaN or infinite loss arrives as itself (JSON would make it null).
  const child = fork(WORKER, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], env, serialization: 'advanced' });
  let stderr = '';
  let last: CellMessage | null = null;
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  child.on('message', (m: CellMessage) => {
    last = m;
    h.onMessage(m);
  });
  const done = new Promise<CellOutcome>((resolve) => {
    // 'close', not 'exit': it comes after the last message has been delivered, so a cell
    // that said `done` and exited is never taken for a crash.
    child.on('close', (code, signal) => {
      const end = last as CellMessage | null;
      if (end?.type === 'done' || end?.type === 'calibration') resolve({ ended: 'done', detail: '' });
      else if (end?.type === 'error') resolve({ ended: 'error', detail: end.message });
      else {
        const tail = stderr.trim().split('\n').slice(-3).join(' | ').slice(0, 500);
        resolve({ ended: 'crashed', detail: `cell process exited (${signal ?? `code ${code}`})${tail ? `: ${tail}` : ''}` });
      }
    });
  });
  child.send(job);
  return { done, kill: () => child.kill('SIGKILL') };
}
