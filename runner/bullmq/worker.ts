import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { BackendChoice } from '../../core/backend.ts';
import type { EpochMetrics } from '../../core/train.ts';
import { runCellProcess } from '../local-executor.ts';
import { bullConnection } from './connection.ts';
import { parsePayload, type CellProgressUpdate, type CellReturn } from './payload.ts';

export interface WorkerOptions {
  redis: string;
  queue: string;
  concurrency: number;
  /** Overrides the backend a job asks for (this machine knows what it has). */
  backend?: BackendChoice;
  /** How long a job's lock lasts without renewal: a worker dead this long has its job taken up again. */
  lockMs: number;
  log?: (line: string) => void;
}

/**
 * A worker on any machine: takes cells from the queue and runs each in its own process
 * with the same engine as the local executor. Progress goes to the job; the result is
 * the job's return value. A malformed payload fails the job at once, without retries.
 */
export function startWorker(opts: WorkerOptions): Worker {
  const log = opts.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  const processor = async (job: Job): Promise<CellReturn> => {
    let payload;
    try {
      payload = parsePayload(job.data);
    } catch (err) {
      throw new UnrecoverableError((err as Error).message);
    }
    log(`job ${job.id} (attempt ${job.attemptsMade + 1}): ${payload.experiment} ${payload.cellHash}`);
    const epochs: EpochMetrics[] = [];
    let backend = '';
    let result: Omit<CellReturn, 'epochs' | 'backend'> | null = null;
    let lastProgress = 0;
    let last = { epoch: 0, step: 0, stepsPerEpoch: 0, loss: NaN };
    const progress = (p: CellProgressUpdate) => job.updateProgress(p).catch(() => {});
    const handle = runCellProcess(payload.config, opts.backend ?? payload.backend, {
      onMessage: (m) => {
        if (m.type === 'started') {
          backend = m.backend;
          void progress({ type: 'started', backend });
        } else if (m.type === 'step') {
          last = { epoch: m.epoch, step: m.step, stepsPerEpoch: m.stepsPerEpoch, loss: m.loss };
          if (Date.now() - lastProgress > 500) {
            lastProgress = Date.now();
            void progress({ type: 'step', ...last, backend, epochs });
          }
        } else if (m.type === 'epoch') {
          epochs.push(m.metrics);
          void progress({ type: 'step', ...last, backend, epochs });
        }
        else if (m.type === 'done') result = { status: m.status, linearAcc: m.linearAcc, seconds: m.seconds };
      },
    });
    const outcome = await handle.done;
    if (outcome.ended !== 'done' || !result) throw new Error(outcome.detail || 'the cell ended without a result');
    log(`job ${job.id}: ${(result as CellReturn).status}`);
    return { ...(result as Omit<CellReturn, 'epochs' | 'backend'>), backend, epochs };
  };
  return new Worker(opts.queue, processor, {
    connection: bullConnection(opts.redis),
    concurrency: opts.concurrency,
    lockDuration: opts.lockMs,
    stalledInterval: Math.max(1000, Math.floor(opts.lockMs / 2)),
    maxStalledCount: 3,
  });
}
