import { Queue } from 'bullmq';
import type { BackendChoice } from '../../core/backend.ts';
import type { Cell } from '../grid.ts';
import type { CheckpointPolicy } from '../cell-protocol.ts';
import type { CellHandle, Executor } from '../executor.ts';
import type { CellHandlers, CellOutcome } from '../local-executor.ts';
import { bullConnection } from './connection.ts';
import { fromJson, jobId, type CellPayload, type CellProgressUpdate, type CellReturn } from './payload.ts';

/** Retries of a failing cell, with exponential backoff from this delay. */
export const ATTEMPTS = 3;
const BACKOFF_MS = 2000;
const POLL_MS = 500;

/**
 * The coordinator's side of the BullMQ executor: enqueue a cell (its job id makes a
 * re-submission a no-op) and follow its job, turning progress and the return value into
 * the same messages a local cell process sends. The result stays in Redis until the
 * caller has stored it and calls `acknowledge`.
 */
export class RemoteExecutor implements Executor {
  readonly queue: Queue;

  constructor(redis: string, queueName: string) {
    this.queue = new Queue(queueName, { connection: bullConnection(redis) });
  }

  describe(): string {
    return `as jobs on queue '${this.queue.name}'`;
  }

  /** Every pending cell is a job at once; the workers take them as they can. */
  slots(pending: number): number {
    return pending;
  }

  run(cell: Cell, backend: BackendChoice, h: CellHandlers, _threads: number, ck: CheckpointPolicy): CellHandle & { acknowledge(): Promise<void> } {
    const id = jobId(cell.experiment, cell.hash);
    const payload: CellPayload = {
      experiment: cell.experiment, cellHash: cell.hash, config: cell.config, backend, checkpoint: { everyMs: ck.everyMs, keep: ck.keep, resume: ck.resume },
    };
    let stopped = false;
    const done = (async (): Promise<CellOutcome> => {
      await this.queue.add('cell', payload, {
        jobId: id, attempts: ATTEMPTS, backoff: { type: 'exponential', delay: BACKOFF_MS }, removeOnComplete: false, removeOnFail: false,
      });
      let started = false;
      let lastStep = '';
      let stored = 0; // epochs already handed on
      const epochsFrom = (all: CellReturn['epochs']) => {
        for (; stored < all.length; stored++) h.onMessage({ type: 'epoch', metrics: all[stored] });
      };
      while (!stopped) {
        // State first, then the job's hash: a job read before its state turned `completed`
        // would carry no return value (BullMQ sets both in one script, we read them in two).
        const state = await this.queue.getJobState(id);
        const job = await this.queue.getJob(id);
        if (!job || state === 'unknown') return { ended: 'crashed', detail: `job ${id} disappeared from the queue` };
        const p = fromJson(job.progress) as CellProgressUpdate | number;
        if (typeof p === 'object' && p) {
          if (!started && (p.type === 'started' || state === 'active')) {
            started = true;
            h.onMessage({ type: 'started', backend: p.backend || String(backend), device: p.device ?? null });
          }
          if (p.type === 'step' && JSON.stringify(p) !== lastStep) {
            lastStep = JSON.stringify(p);
            epochsFrom(p.epochs);
            if (p.stepsPerEpoch) h.onMessage({ type: 'step', epoch: p.epoch, step: p.step, stepsPerEpoch: p.stepsPerEpoch, loss: p.loss });
          }
        }
        const r = fromJson(job.returnvalue) as CellReturn | null;
        if (state === 'completed' && r) {
          if (!started) h.onMessage({ type: 'started', backend: r.backend, device: r.device ?? null });
          // The stored curve is the result's, whatever earlier attempts reported.
          h.onMessage({ type: 'epochs', all: r.epochs });
          h.onMessage({ type: 'done', status: r.status, linearAcc: r.linearAcc, seconds: r.seconds, kept: r.kept ?? null });
          return { ended: 'done', detail: '' };
        }
        if (state === 'failed') {
          const detail = `${job.failedReason} (after ${job.attemptsMade} attempt(s))`;
          h.onMessage({ type: 'error', message: detail });
          return { ended: 'error', detail };
        }
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
      return { ended: 'crashed', detail: 'the coordinator stopped following the job' };
    })();
    return {
      done,
      kill: () => { stopped = true; },
      acknowledge: async () => { await (await this.queue.getJob(id))?.remove(); },
    };
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}
