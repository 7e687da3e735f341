import { zStdReference } from '../core/eval/z-reference.ts';
import { randomBytes } from 'node:crypto';
import type { BackendChoice } from '../core/backend.ts';
import type { ExperimentSpec, MetricName } from '../experiments/spec.ts';
import { PRESETS } from '../experiments/presets.ts';
import type { EpochMetrics } from '../core/train.ts';
import type { CellMessage } from './cell-protocol.ts';
import { runEnvironment, threadsPerCell } from './environment.ts';
import { epochLine, pct } from './format.ts';
import { expandGrid, type Cell, type GridOptions } from './grid.ts';
import type { RemoteExecutor } from './bullmq/remote-executor.ts';
import { runCellProcess, type CellOutcome } from './local-executor.ts';
import { SweepProgress } from './progress.ts';
import { isStopping, onShutdown } from './shutdown.ts';
import { DONE_STATUSES, type Claimant, type ClaimRule, type MetricPoint, type Run, type RunStore } from './store/run-store.ts';

/** A running cell whose heartbeat is older than this was left by a process that died. */
export const STALE_MS = 30_000;
const HEARTBEAT_MS = 5_000;
/** How often a sweep waiting for another process's cells looks again. */
const WAIT_POLL_MS = 1_000;

export interface SweepOptions extends GridOptions {
  workers: number;
  backend: BackendChoice;
  force?: boolean;
  /** Print every cell's monitors per epoch (always on when a single cell runs). */
  verbose?: boolean;
  /** Run cells on BullMQ workers instead of local processes; all unfinished cells are enqueued at once. */
  remote?: RemoteExecutor;
  out?: NodeJS.WriteStream;
}

export interface SweepSummary {
  total: number;
  skippedDone: number;
  /** Cells this process ran. */
  ran: number;
  /** Cells another process ran while this one waited for them. */
  ranElsewhere: number;
  /** Cells whose result came from another experiment's run of the same configuration. */
  reused: number;
  /** How the cells that ended during the sweep ended (here or elsewhere). */
  byStatus: Record<string, number>;
}

/** This process as a claimant of cells. */
export function claimant(): Claimant {
  const env = runEnvironment();
  return { ...env, owner: `${env.host}:${env.pid}:${randomBytes(4).toString('hex')}` };
}

/** Whether a process of this host is alive (signal 0 probes without killing). */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The spec as stored: rows resolved against the preset, so that it is plain JSON. */
function storedSpec(spec: ExperimentSpec, preset: keyof typeof PRESETS): unknown {
  return {
    ...spec,
    rows: spec.rows.map((r) => ({ ...r, set: typeof r.set === 'function' ? r.set(PRESETS[preset]) : r.set })),
  };
}

export function cellLabel(c: Pick<Cell, 'rowLabel' | 'axes' | 'seed'>): string {
  const axes = Object.entries(c.axes).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');
  return `${c.rowLabel}${axes ? ` ${axes}` : ''} seed ${c.seed}`;
}

function epochPoints(m: EpochMetrics, step: number): MetricPoint[] {
  const pts: MetricPoint[] = [];
  if (m.epoch > 0) {
    pts.push({ name: 'loss', epoch: m.epoch, step, value: m.loss }, { name: 'z_std', epoch: m.epoch, step, value: m.zStd },
      { name: 'lr', epoch: m.epoch, step, value: m.lr });
    // Older workers' results lack the per-step loss statistics.
    if (m.lossStd != null) pts.push({ name: 'loss_std', epoch: m.epoch, step, value: m.lossStd }, { name: 'loss_max', epoch: m.epoch, step, value: m.lossMax });
  }
  if (m.knnAcc != null) pts.push({ name: 'knn_acc', epoch: m.epoch, step, value: m.knnAcc });
  return pts;
}

/**
 * Run an experiment's grid: expand and validate every cell, record them, then claim and
 * run the unfinished ones `workers` at a time, each in its own process. Finished and
 * diverged cells are skipped unless `force`. A cell is claimed atomically before it runs,
 * so sweeps of the same experiment sharing a database never run a cell twice: cells
 * another live process holds are waited for, cells of a process that died are taken
 * over. A failing cell is recorded as failed and the sweep goes on.
 */
export async function runSweep(spec: ExperimentSpec, store: RunStore, opts: SweepOptions): Promise<SweepSummary> {
  const grid = expandGrid(spec, opts);
  const out = opts.out ?? process.stdout;
  const me = claimant();
  const rule: ClaimRule = { staleMs: STALE_MS, endedBefore: new Date(), force: opts.force };
  store.saveExperiment(spec.name, spec.title, storedSpec(spec, grid.preset));
  for (const s of new Map(grid.skipped.map((x) => [x.rowLabel, x])).values()) out.write(`skipping row "${s.rowLabel}": ${s.reason}\n`);
  for (const p of grid.partialOverrides) out.write(`--set ${p.set} applies only where the field exists; not to: ${p.skippedRows.map((r) => `"${r}"`).join(', ')}\n`);
  const runs = grid.cells.map((c) => ({ cell: c, run: store.enqueue({ ...c, cellHash: c.hash }, me) }));
  const pending = runs.filter(({ run }) => opts.force || !DONE_STATUSES.includes(run.status));
  const elsewhere = pending.filter(({ run }) => run.status === 'running' && ownerAlive(run, me)).length;
  const summary: SweepSummary = { total: runs.length, skippedDone: runs.length - pending.length, ran: 0, ranElsewhere: 0, reused: 0, byStatus: {} };
  const slots = opts.remote ? pending.length : Math.min(opts.workers, pending.length);
  const threads = threadsPerCell(slots);
  out.write(`${spec.name} (${spec.source}) at preset '${grid.preset}': ${runs.length} cells, ${summary.skippedDone} already done, ` +
    `${pending.length} to run ${opts.remote ? `as jobs on queue '${opts.remote.queue.name}'` : `on ${slots} worker(s)`}` +
    `${elsewhere ? ` (${elsewhere} running in another process: waiting for those)` : ''}\n`);
  if (pending.length === 0) return summary;

  const progress = new SweepProgress(pending.length, out);
  const active = new Map<number, { kill(): void; lost: boolean }>();
  const tally = (status: string) => (summary.byStatus[status] = (summary.byStatus[status] ?? 0) + 1);
  const beat = setInterval(() => {
    // A process that lost a cell (it looked dead to another, which took it) stops it at once.
    for (const id of store.heartbeat([...active.keys()], me.owner)) {
      const h = active.get(id);
      if (h) (h.lost = true), h.kill();
    }
  }, HEARTBEAT_MS);
  const unregister = onShutdown((signal) => {
    for (const [id, h] of active) {
      h.kill();
      store.finish(id, me.owner, 'interrupted', `the sweep was stopped (${signal})`);
    }
    progress.stop();
  });

  const queue = [...pending];
  let waitingShown = false;
  /** The next cell this process wins a claim on; waits while other live processes hold the rest; null when none is left. */
  const nextCell = async (): Promise<{ cell: Cell; run: Run } | null> => {
    while (!isStopping()) {
      let waiting = 0;
      for (const item of [...queue]) {
        if (store.claim(item.run.id, me, rule)) {
          queue.splice(queue.indexOf(item), 1);
          // The same configuration and seed already ran for another experiment: its result serves this one too.
          const earlier = opts.force ? null : store.findResult(item.cell.hash, spec.name);
          if (earlier && store.reuse(item.run.id, me.owner, earlier)) {
            summary.reused++;
            tally(earlier.status);
            progress.finished(item.run.id, `${earlier.status} ${cellLabel(item.cell)}: the result of the same cell in ${earlier.experiment} (run ${earlier.id})`);
            continue;
          }
          return item;
        }
        const now = store.getRun(item.run.id);
        if (now.status === 'running' && now.host === me.host && !pidAlive(now.pid)) {
          // Its owner on this host is gone: release it for the next round of claims.
          store.finish(now.id, now.owner ?? '', 'interrupted', `process ${now.pid} that ran it is gone`);
          waiting++;
        } else if (now.status === 'running') {
          waiting++;
        } else {
          // Ended by another process since this sweep began: a result, not work for us.
          queue.splice(queue.indexOf(item), 1);
          summary.ranElsewhere++;
          tally(now.status);
          progress.finished(now.id, `${now.status} ${cellLabel(item.cell)} (run by another process)`);
        }
      }
      if (queue.length === 0) return null;
      if (!waitingShown && waiting) {
        waitingShown = true;
        progress.log(`waiting for ${waiting} cell(s) held by another process; they are taken over if it dies`);
      }
      await new Promise((r) => setTimeout(r, WAIT_POLL_MS));
    }
    return null;
  };

  const runOne = async ({ cell, run }: { cell: Cell; run: Run }) => {
    const label = cellLabel(cell);
    const started = Date.now();
    let lastStep = 0;
    let stepsPerEpoch = 0;
    let lastLoss: number | null = null;
    let lastKnn: number | null = null;
    let status: 'finished' | 'diverged' | 'failed' = 'failed';
    const owned = (ok: boolean) => {
      if (!ok && !handle.lost) (handle.lost = true), handle.kill();
    };
    const onMessage = (m: CellMessage) => {
      if (handle.lost || isStopping()) return;
      switch (m.type) {
        case 'started':
          owned(store.setBackend(run.id, me.owner, m.backend, m.device));
          break;
        case 'step':
          lastStep = (m.epoch - 1) * m.stepsPerEpoch + m.step;
          stepsPerEpoch = m.stepsPerEpoch;
          lastLoss = m.loss;
          progress.update(run.id, { label, epoch: m.epoch, epochs: cell.config.epochs, step: m.step, stepsPerEpoch: m.stepsPerEpoch, loss: m.loss, startedMs: started });
          break;
        case 'epoch':
          owned(store.logMetrics(run.id, me.owner, epochPoints(m.metrics, lastStep)));
          if (opts.verbose || pending.length === 1) progress.log(`${label}: ${epochLine(m.metrics, zStdReference(cell.config.projector.dim))}`);
          if (m.metrics.knnAcc != null) lastKnn = m.metrics.knnAcc;
          break;
        case 'epochs':
          owned(store.replaceMetrics(run.id, me.owner, m.all.flatMap((e) => epochPoints(e, e.epoch * stepsPerEpoch))));
          lastKnn = [...m.all].reverse().find((e) => e.knnAcc != null)?.knnAcc ?? lastKnn;
          break;
        case 'done':
          if (m.linearAcc != null) owned(store.logMetrics(run.id, me.owner, [{ name: 'linear_acc' as MetricName, epoch: cell.config.epochs, step: lastStep, value: m.linearAcc }]));
          status = m.status;
          owned(store.finish(run.id, me.owner, m.status));
          break;
        case 'error':
          break;
      }
    };
    const exec = opts.remote
      ? opts.remote.run(cell, opts.backend, { onMessage })
      : runCellProcess(cell.config, opts.backend, { onMessage }, threads);
    const handle: { done: Promise<CellOutcome>; kill(): void; acknowledge?(): Promise<void>; lost: boolean } = { ...exec, lost: false };
    active.set(run.id, handle);
    const outcome = await handle.done;
    active.delete(run.id);
    if (isStopping()) return;
    if (handle.lost) {
      progress.finished(run.id, `lost ${label}: another process took it over (this one looked dead to it)`);
      return;
    }
    if (outcome.ended !== 'done') store.finish(run.id, me.owner, 'failed', outcome.detail);
    // A remote result leaves Redis only once it is stored.
    if (outcome.ended !== 'crashed') await handle.acknowledge?.();
    summary.ran++;
    tally(status);
    const secs = ((Date.now() - started) / 1000).toFixed(0);
    progress.finished(run.id, outcome.ended === 'done'
      ? `${status} ${label}: loss ${(lastLoss as number | null)?.toFixed(4) ?? '-'}, kNN ${pct(lastKnn)} (${secs}s)`
      : `failed ${label}: ${outcome.detail}`);
  };

  try {
    await Promise.all(Array.from({ length: slots }, async () => {
      for (let next = await nextCell(); next; next = await nextCell()) await runOne(next);
    }));
  } finally {
    clearInterval(beat);
    unregister();
    progress.stop();
  }
  return summary;
}

/** Whether the process holding a running cell is alive: by pid on this host, by heartbeat elsewhere. */
function ownerAlive(r: Run, me: Claimant): boolean {
  if (r.host === me.host) return pidAlive(r.pid);
  return r.heartbeatAt != null && Date.now() - r.heartbeatAt.getTime() < STALE_MS;
}
