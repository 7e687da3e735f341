import type { BackendChoice } from '../core/backend.ts';
import { zStdReference } from '../core/eval/z-reference.ts';
import type { EpochMetrics } from '../core/train.ts';
import type { MetricName } from '../experiments/spec.ts';
import type { CellMessage, CheckpointPolicy } from './cell-protocol.ts';
import { CheckpointWriteFailure } from './checkpoint/failure.ts';
import type { QueuedCell } from './claims.ts';
import type { CellHandle, Executor } from './executor.ts';
import { epochLine, fmtBytes, pct } from './format.ts';
import type { SweepProgress } from './progress.ts';
import { isStopping } from './shutdown.ts';
import type { MetricPoint, RunStore } from './store/run-store.ts';
import { storeWriteError, type StoreWriteError } from './store/failure.ts';
import { cellLabel, tally, type SweepSummary } from './sweep-summary.ts';

/** What running a cell needs from its sweep. */
export interface CellRunContext {
  store: RunStore;
  owner: string;
  executor: Executor;
  backend: BackendChoice;
  threads: number;
  progress: SweepProgress;
  summary: SweepSummary;
  /** Print the cell's monitors per epoch. */
  verbose: boolean;
  /** How cells checkpoint and what they keep. */
  checkpoints: CheckpointPolicy & { dir: string | null };
  /** The cells running now, by run id, for the heartbeat and shutdown. */
  active: Map<number, CellHandle & { lost: boolean }>;
  /** Stop the sweep on a failed write to the store (rethrows anything else); `halted` then holds why. */
  fail(err: unknown): void;
  halted: StoreWriteError | null;
}

/**
 * The sweep's reaction to a failed store write: the first one stops every running cell,
 * marks it interrupted where the store still takes a write, and is kept to be reported
 * once the sweep has wound down. Anything else is a bug and is thrown on.
 */
export function failer(ctx: Omit<CellRunContext, 'fail'>, db: string): (err: unknown) => void {
  return (err) => {
    const e = storeWriteError(err, db);
    if (!e) throw err;
    if (ctx.halted) return;
    ctx.halted = e;
    for (const [id, h] of ctx.active) {
      h.lost = true;
      h.kill();
      try {
        ctx.store.finish(id, ctx.owner, 'interrupted', e.message);
      } catch {
        // The store takes no write: the stale-heartbeat rule frees the cell for the next claim.
      }
    }
  };
}

export function epochPoints(m: EpochMetrics, step: number): MetricPoint[] {
  const pts: MetricPoint[] = [];
  if (m.epoch > 0) {
    pts.push({ name: 'loss', epoch: m.epoch, step, value: m.loss }, { name: 'z_std', epoch: m.epoch, step, value: m.zStd },
      { name: 'lr', epoch: m.epoch, step, value: m.lr });
    // Older workers' results lack the per-step loss statistics.
    if (m.lossStd != null) pts.push({ name: 'loss_std', epoch: m.epoch, step, value: m.lossStd }, { name: 'loss_max', epoch: m.epoch, step, value: m.lossMax });
  }
  if (m.knnAcc != null) pts.push({ name: 'knn_acc', epoch: m.epoch, step, value: m.knnAcc });
  if (m.epoch === 0 && m.linearAcc != null) pts.push({ name: 'linear_acc', epoch: 0, step, value: m.linearAcc });
  return pts;
}

/**
 * Where a cell's messages are stored: each epoch's monitors as they arrive, its end, all
 * through the store under this process's ownership. A write the store refuses (another
 * process took the cell over) stops the cell.
 */
class CellRecorder {
  private lastStep = 0;
  private stepsPerEpoch = 0;
  lastLoss: number | null = null;
  lastKnn: number | null = null;
  status: 'finished' | 'diverged' | 'failed' = 'failed';
  private resumedAtStep = 0;
  handle!: CellHandle & { lost: boolean };
  private readonly started = Date.now();

  constructor(private readonly ctx: CellRunContext, private readonly item: QueuedCell, private readonly label: string) {}

  private owned(ok: boolean): void {
    if (!ok && !this.handle.lost) (this.handle.lost = true), this.handle.kill();
  }

  onMessage(m: CellMessage): void {
    if (this.handle.lost || isStopping() || this.ctx.halted) return;
    try {
      this.record(m);
    } catch (err) {
      this.ctx.fail(err);
    }
  }

  private record(m: CellMessage): void {
    const { store, owner, progress } = this.ctx;
    const { run, cell } = this.item;
    switch (m.type) {
      case 'started':
        return this.owned(store.setBackend(run.id, owner, m.backend, m.device));
      case 'step':
        this.lastStep = (m.epoch - 1) * m.stepsPerEpoch + m.step;
        this.stepsPerEpoch = m.stepsPerEpoch;
        this.lastLoss = m.loss;
        return progress.update(run.id, {
          label: this.label, epoch: m.epoch, epochs: cell.config.epochs, step: m.step, stepsPerEpoch: m.stepsPerEpoch, loss: m.loss, startedMs: this.started, resumedAtStep: this.resumedAtStep,
        });
      case 'resumed':
        // Whatever an earlier process stored past the checkpoint is replaced: no epoch counts twice.
        this.stepsPerEpoch = m.stepsPerEpoch;
        this.lastStep = this.resumedAtStep = m.step;
        this.owned(store.replaceMetrics(run.id, owner, m.epochs.flatMap((e) => epochPoints(e, e.epoch * m.stepsPerEpoch))));
        this.owned(store.setCheckpoint(run.id, owner, m.epoch));
        this.lastKnn = [...m.epochs].reverse().find((e) => e.knnAcc != null)?.knnAcc ?? null;
        return progress.log(`resuming ${this.label} from epoch ${m.epoch}${m.step % m.stepsPerEpoch ? ` (step ${m.step % m.stepsPerEpoch} of epoch ${m.epoch + 1})` : ''}`);
      case 'fresh':
        return progress.log(`${this.label}: ${m.reason}; starting from step 0`);
      case 'checkpoint':
        this.owned(store.setCheckpoint(run.id, owner, m.epoch));
        if (this.ctx.verbose) progress.log(`${this.label}: checkpoint at step ${m.step} (${fmtBytes(m.bytes)} in ${m.seconds.toFixed(2)} s)`);
        return;
      case 'checkpoint-failed':
        return this.ctx.fail(new CheckpointWriteFailure(m.message));
      case 'epoch':
        this.owned(store.logMetrics(run.id, owner, epochPoints(m.metrics, this.lastStep)));
        if (this.ctx.verbose) progress.log(`${this.label}: ${epochLine(m.metrics, zStdReference(cell.config.projector.dim))}`);
        if (m.metrics.knnAcc != null) this.lastKnn = m.metrics.knnAcc;
        return;
      case 'epochs':
        this.owned(store.replaceMetrics(run.id, owner, m.all.flatMap((e) => epochPoints(e, e.epoch * this.stepsPerEpoch))));
        this.lastKnn = [...m.all].reverse().find((e) => e.knnAcc != null)?.knnAcc ?? this.lastKnn;
        return;
      case 'done':
        if (m.linearAcc != null) this.owned(store.logMetrics(run.id, owner, [{ name: 'linear_acc' as MetricName, epoch: cell.config.epochs, step: this.lastStep, value: m.linearAcc }]));
        this.status = m.status;
        if (m.kept) this.owned(store.setKept(run.id, owner, m.kept));
        return this.owned(store.finish(run.id, owner, m.status));
      case 'error':
        return;
    }
  }

  seconds(): string {
    return ((Date.now() - this.started) / 1000).toFixed(0);
  }
}

/** Where a claimed cell is run: on the sweep's executor, its messages recorded, its end counted and shown. */
export async function runCell(ctx: CellRunContext, item: QueuedCell): Promise<void> {
  const { store, owner, progress, summary } = ctx;
  const { cell, run } = item;
  const label = cellLabel(cell);
  const rec = new CellRecorder(ctx, item, label);
  rec.handle = { ...ctx.executor.run(cell, ctx.backend, { onMessage: (m) => rec.onMessage(m) }, ctx.threads, ctx.checkpoints), lost: false };
  ctx.active.set(run.id, rec.handle);
  const outcome = await rec.handle.done;
  ctx.active.delete(run.id);
  if (isStopping() || ctx.halted) return;
  if (rec.handle.lost) return progress.finished(run.id, `lost ${label}: another process took it over (this one looked dead to it)`);
  try {
    if (outcome.ended !== 'done') store.finish(run.id, owner, 'failed', outcome.detail);
  } catch (err) {
    return ctx.fail(err);
  }
  if (outcome.ended !== 'crashed') await rec.handle.acknowledge?.();
  summary.ran++;
  tally(summary, rec.status);
  progress.finished(run.id, outcome.ended === 'done'
    ? `${rec.status} ${label}: loss ${rec.lastLoss?.toFixed(4) ?? '-'}, kNN ${pct(rec.lastKnn)} (${rec.seconds()}s)`
    : `failed ${label}: ${outcome.detail}`);
}
