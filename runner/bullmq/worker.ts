import { UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import type { BackendChoice } from '../../core/backend.ts';
import type { EpochMetrics } from '../../core/train.ts';
import path from 'node:path';
import { threadsPerCell } from '../environment.ts';
import { runCellProcess } from '../local-executor.ts';
import { bullConnection } from './connection.ts';
import { parsePayload, toJson, type CellProgressUpdate, type CellReturn } from './payload.ts';

export interface WorkerOptions {
  redis: string;
  queue: string;
  concurrency: number;
  /** Overrides the backend a job asks for (this machine knows what it has). */
  backend?: BackendChoice;
  /** How long a job's lock lasts without renewal: a worker dead this long has its job taken up again. */
  lockMs: number;
  /** This machine's checkpoint directory: a job taken over from a stalled worker resumes where the checkpoint is readable here. */
  checkpointDir: string;
  log?: (line: string) => void;
}

/** How long a stopping worker waits for Redis (to hand its jobs back, to close) before it exits anyway. */
const STOP_WAIT_MS = 2500;

const within = <T>(p: Promise<T>, ms: number) => Promise.race([p.then(() => true, () => false), new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref())]);

export interface CellWorker {
  worker: Worker;
  /**
   * Stop now: kill the running cells' processes, put their jobs back in the queue (not
   * counted as an attempt), close. Bounded in time when Redis is unreachable: then the
   * jobs' locks lapse and BullMQ's stalled check puts them back.
   */
  stop(): Promise<void>;
}

/**
 * A worker on any machine: takes cells from the queue and runs each in its own process
 * with the same engine as the local executor. Progress goes to the job; the result is
 * the job's return value. A malformed payload fails the job at once, without retries.
 */
export function startWorker(opts: WorkerOptions): CellWorker {
  const log = opts.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  const running = new Map<string, { job: Job; token: string | undefined; kill(): void }>();
  let stopping = false;
  const processor = async (job: Job, token?: string): Promise<CellReturn> => {
    let payload;
    try {
      payload = parsePayload(job.data);
    } catch (err) {
      throw new UnrecoverableError((err as Error).message);
    }
    log(`job ${job.id} (attempt ${job.attemptsMade + 1}): ${payload.experiment} ${payload.cellHash}`);
    const epochs: EpochMetrics[] = [];
    let backend = '';
    let device: string | null = null;
    let result: Omit<CellReturn, 'epochs' | 'backend' | 'device'> | null = null;
    let lastProgress = 0;
    let last = { epoch: 0, step: 0, stepsPerEpoch: 0, loss: NaN };
    const progress = (p: CellProgressUpdate) => job.updateProgress(toJson(p)).catch(() => {});
    const handle = runCellProcess(payload.config, opts.backend ?? payload.backend, {
      onMessage: (m) => {
        if (m.type === 'started') {
          backend = m.backend;
          device = m.device;
          void progress({ type: 'started', backend, device });
        } else if (m.type === 'step') {
          last = { epoch: m.epoch, step: m.step, stepsPerEpoch: m.stepsPerEpoch, loss: m.loss };
          if (Date.now() - lastProgress > 500) {
            lastProgress = Date.now();
            void progress({ type: 'step', ...last, backend, device, epochs });
          }
        } else if (m.type === 'epoch') {
          epochs.push(m.metrics);
          void progress({ type: 'step', ...last, backend, device, epochs });
        } else if (m.type === 'resumed') {
          epochs.splice(0, epochs.length, ...m.epochs);
          log(`job ${job.id}: resuming ${payload.cellHash} from epoch ${m.epoch} (checkpoint in ${opts.checkpointDir})`);
        } else if (m.type === 'fresh') log(`job ${job.id}: ${m.reason}; starting from step 0`);
        else if (m.type === 'checkpoint-failed') log(`job ${job.id}: ${m.message}`);
        else if (m.type === 'done') result = { status: m.status, linearAcc: m.linearAcc, seconds: m.seconds, kept: m.kept ?? null };
      },
      // Cores go to cells first; what --concurrency leaves over becomes each cell's threads.
    }, threadsPerCell(opts.concurrency), { ...payload.checkpoint, dir: path.resolve(opts.checkpointDir), cell: payload.cellHash });
    running.set(job.id!, { job, token, kill: handle.kill });
    const outcome = await handle.done.finally(() => running.delete(job.id!));
    if (stopping) throw new WaitingError(); // stop() has moved the job back to the queue
    if (outcome.ended !== 'done' || !result) throw new Error(outcome.detail || 'the cell ended without a result');
    log(`job ${job.id}: ${(result as CellReturn).status}`);
    return toJson({ ...(result as Omit<CellReturn, 'epochs' | 'backend' | 'device'>), backend, device, epochs });
  };
  const worker = new Worker(opts.queue, processor, {
    connection: bullConnection(opts.redis),
    concurrency: opts.concurrency,
    lockDuration: opts.lockMs,
    stalledInterval: Math.max(1000, Math.floor(opts.lockMs / 2)),
    maxStalledCount: 3,
  });
  let lastError = '';
  worker.on('error', (err) => {
    // ioredis retries a lost connection every few hundred ms: say so once, not every time.
    if (err.message !== lastError) log(`worker: ${(lastError = err.message)}`);
  });
  const stop = async () => {
    stopping = true;
    await within(worker.pause(true), STOP_WAIT_MS); // no new job is fetched from here on
    const jobs = [...running.values()];
    for (const r of jobs) r.kill();
    const back = await within(Promise.all(jobs.map((r) => r.job.moveToWait(r.token))), STOP_WAIT_MS);
    if (jobs.length) log(back ? `${jobs.length} job(s) put back in the queue` : `Redis did not answer: ${jobs.length} job(s) go back when their lock lapses`);
    await within(worker.close(true), STOP_WAIT_MS);
  };
  return { worker, stop };
}
