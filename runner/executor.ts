import type { BackendChoice } from '../core/backend.ts';
import type { CheckpointPolicy } from './cell-protocol.ts';
import type { Cell } from './grid.ts';
import { runCellProcess, type CellHandlers, type CellOutcome } from './local-executor.ts';

/** A cell being run somewhere: its end, a way to stop it, and (remote) a way to release its stored result. */
export interface CellHandle {
  done: Promise<CellOutcome>;
  kill(): void;
  /** A remote result leaves its queue only once the coordinator has stored it. */
  acknowledge?(): Promise<void>;
}

/** Where a sweep's cells run: local processes, or BullMQ workers. */
export interface Executor {
  /** How the sweep announces where its pending cells run. */
  describe(slots: number): string;
  /** How many cells run at once, given the pending cells and the --workers asked for. */
  slots(pending: number, workers: number): number;
  /** `checkpoints`: the sweep's policy; `dir` null where the executor's workers choose their own. */
  run(cell: Cell, backend: BackendChoice, h: CellHandlers, threads: number, checkpoints: CheckpointPolicy & { dir: string | null }): CellHandle;
}

/** Each cell in a child process of this machine. */
export const localExecutor: Executor = {
  describe: (slots) => `on ${slots} worker(s)`,
  slots: (pending, workers) => Math.min(workers, pending),
  run: (cell, backend, h, threads, ck) => runCellProcess(cell.config, backend, h, threads, ck.dir ? { ...ck, dir: ck.dir, cell: cell.hash } : null),
};
