import os from 'node:os';
import type { BackendChoice } from '../core/backend.ts';
import type { ExperimentSpec, MetricName } from '../experiments/spec.ts';
import { PRESETS } from '../experiments/presets.ts';
import type { CellMessage } from './cell-protocol.ts';
import { runEnvironment } from './environment.ts';
import { epochLine, pct } from './format.ts';
import { expandGrid, type Cell, type GridOptions } from './grid.ts';
import type { RemoteExecutor } from './bullmq/remote-executor.ts';
import { runCellProcess, type CellOutcome } from './local-executor.ts';
import { SweepProgress } from './progress.ts';
import { DONE_STATUSES, type MetricPoint, type Run, type RunStore } from './store/run-store.ts';

/** A running cell whose heartbeat is older than this was left by a process that died. */
export const STALE_MS = 30_000;
const HEARTBEAT_MS = 5_000;

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
  ran: number;
  byStatus: Record<string, number>;
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

function cellLabel(c: Pick<Cell, 'rowLabel' | 'axes' | 'seed'>): string {
  const axes = Object.entries(c.axes).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');
  return `${c.rowLabel}${axes ? ` ${axes}` : ''} seed ${c.seed}`;
}

function epochPoints(m: { epoch: number; loss: number; zStd: number; knnAcc: number | null; lr: number }, step: number): MetricPoint[] {
  const pts: MetricPoint[] = [];
  if (m.epoch > 0) {
    pts.push({ name: 'loss', epoch: m.epoch, step, value: m.loss }, { name: 'z_std', epoch: m.epoch, step, value: m.zStd },
      { name: 'lr', epoch: m.epoch, step, value: m.lr });
  }
  if (m.knnAcc != null) pts.push({ name: 'knn_acc', epoch: m.epoch, step, value: m.knnAcc });
  return pts;
}

/**
 * Run an experiment's grid: expand and validate every cell, record them, then run the
 * unfinished ones `workers` at a time, each in its own process. Finished and diverged
 * cells are skipped unless `force`; cells left running by a dead process are rerun.
 * A failing cell is recorded as failed and the sweep goes on.
 */
export async function runSweep(spec: ExperimentSpec, store: RunStore, opts: SweepOptions): Promise<SweepSummary> {
  const grid = expandGrid(spec, opts);
  const out = opts.out ?? process.stdout;
  const env = runEnvironment();
  store.saveExperiment(spec.name, spec.title, storedSpec(spec, grid.preset));
  for (const s of new Map(grid.skipped.map((x) => [x.rowLabel, x])).values()) out.write(`skipping row "${s.rowLabel}": ${s.reason}\n`);
  const dead = store.findRuns({ experiment: spec.name, status: ['running'] }).filter((r) => r.host === env.host && !pidAlive(r.pid));
  for (const r of dead) store.finish(r.id, 'interrupted', `process ${r.pid} that ran it is gone`);
  const stale = store.markStale(STALE_MS);
  if (dead.length + stale.length) out.write(`${dead.length + stale.length} cell(s) left running by a process that died: rerunning\n`);
  const runs = grid.cells.map((c) => ({ cell: c, run: store.enqueue({ ...c, cellHash: c.hash }, env) }));
  const fresh = (r: Run) => r.status === 'running' && r.heartbeatAt && Date.now() - r.heartbeatAt.getTime() < STALE_MS;
  const todo = runs.filter(({ run }) => opts.force || !(DONE_STATUSES.includes(run.status) || fresh(run)));
  const summary: SweepSummary = { total: runs.length, skippedDone: runs.length - todo.length, ran: 0, byStatus: {} };
  const slots = opts.remote ? todo.length : Math.min(opts.workers, todo.length);
  // Cores first go to cell processes (more cells per hour than threads: README, Compute
  // backends); cores left over when there are fewer cells than cores become wasm threads.
  const threads = Math.max(1, Math.floor(os.cpus().length / Math.max(slots, 1)));
  out.write(`${spec.name} (${spec.source}) at preset '${grid.preset}': ${runs.length} cells, ${summary.skippedDone} already done, ` +
    `${todo.length} to run ${opts.remote ? `as jobs on queue '${opts.remote.queue.name}'` : `on ${slots} worker(s)`}\n`);
  if (todo.length === 0) return summary;

  const progress = new SweepProgress(todo.length, out);
  const active = new Map<number, { kill(): void }>();
  const beat = setInterval(() => store.heartbeat([...active.keys()]), HEARTBEAT_MS);
  const interrupt = () => {
    for (const [id, h] of active) {
      h.kill();
      store.finish(id, 'interrupted', 'the sweep was interrupted');
    }
    progress.stop();
    process.exit(130);
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);

  const runOne = async ({ cell, run }: { cell: Cell; run: Run }) => {
    const label = cellLabel(cell);
    const started = Date.now();
    let lastStep = 0;
    let stepsPerEpoch = 0;
    let lastLoss: number | null = null;
    let lastKnn: number | null = null;
    let status: 'finished' | 'diverged' | 'failed' = 'failed';
    let begun = false;
    const onMessage = (m: CellMessage) => {
      switch (m.type) {
        case 'started':
          if (!begun) store.start(run.id, m.backend, env);
          begun = true;
          break;
        case 'step':
          lastStep = (m.epoch - 1) * m.stepsPerEpoch + m.step;
          stepsPerEpoch = m.stepsPerEpoch;
          lastLoss = m.loss;
          progress.update(run.id, { label, epoch: m.epoch, epochs: cell.config.epochs, step: m.step, stepsPerEpoch: m.stepsPerEpoch, loss: m.loss, startedMs: started });
          break;
        case 'epoch':
          store.logMetrics(run.id, epochPoints(m.metrics, lastStep));
          if (opts.verbose || todo.length === 1) progress.log(`${label}: ${epochLine(m.metrics, 1 / Math.sqrt(cell.config.projector.dim))}`);
          if (m.metrics.knnAcc != null) lastKnn = m.metrics.knnAcc;
          break;
        case 'epochs':
          store.replaceMetrics(run.id, m.all.flatMap((e) => epochPoints(e, e.epoch * stepsPerEpoch)));
          lastKnn = [...m.all].reverse().find((e) => e.knnAcc != null)?.knnAcc ?? lastKnn;
          break;
        case 'done':
          if (m.linearAcc != null) store.logMetrics(run.id, [{ name: 'linear_acc' as MetricName, epoch: cell.config.epochs, step: lastStep, value: m.linearAcc }]);
          status = m.status;
          store.finish(run.id, m.status);
          break;
        case 'error':
          break;
      }
    };
    const handle: { done: Promise<CellOutcome>; kill(): void; acknowledge?(): Promise<void> } = opts.remote
      ? opts.remote.run(cell, opts.backend, { onMessage })
      : runCellProcess(cell.config, opts.backend, { onMessage }, threads);
    active.set(run.id, handle);
    store.heartbeat([run.id]);
    const outcome = await handle.done;
    active.delete(run.id);
    if (outcome.ended !== 'done') store.finish(run.id, 'failed', outcome.detail);
    // A remote result leaves Redis only once it is stored.
    if (outcome.ended !== 'crashed') await handle.acknowledge?.();
    summary.ran++;
    summary.byStatus[status] = (summary.byStatus[status] ?? 0) + 1;
    const secs = ((Date.now() - started) / 1000).toFixed(0);
    progress.finished(run.id, outcome.ended === 'done'
      ? `${status} ${label}: loss ${(lastLoss as number | null)?.toFixed(4) ?? '-'}, kNN ${pct(lastKnn)} (${secs}s)`
      : `failed ${label}: ${outcome.detail}`);
  };

  try {
    const queue = [...todo];
    await Promise.all(Array.from({ length: slots }, async () => {
      for (let next = queue.shift(); next; next = queue.shift()) await runOne(next);
    }));
  } finally {
    clearInterval(beat);
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
    progress.stop();
  }
  return summary;
}
