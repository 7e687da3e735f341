import type { BackendChoice } from '../core/backend.ts';
import type { ExperimentSpec } from '../experiments/spec.ts';
import { PRESETS } from '../experiments/presets.ts';
import { failer, runCell, type CellRunContext } from './cell-run.ts';
import { CellClaims } from './claims.ts';
import { claimant, ownerAlive, STALE_MS } from './claimant.ts';
import { threadsPerCell } from './environment.ts';
import { localExecutor, type Executor } from './executor.ts';
import { expandGrid, type Grid, type GridOptions } from './grid.ts';
import { SweepProgress } from './progress.ts';
import { onShutdown } from './shutdown.ts';
import { DONE_STATUSES, type Claimant, type RunStore } from './store/run-store.ts';
import type { SweepSummary } from './sweep-summary.ts';
import { defaultCheckpointDir, type KeepPolicy } from './checkpoint/cell-files.ts';
import type { CheckpointPolicy } from './cell-protocol.ts';

/** The sweep's checkpoint policy; no directory for an in-memory store or where remote workers choose. */
export function checkpointPolicy(opts: SweepOptions): CheckpointPolicy & { dir: string | null } {
  const local = opts.checkpointDir ?? (opts.db && opts.db !== ':memory:' ? defaultCheckpointDir(opts.db) : null);
  return {
    dir: opts.remote ? null : local, everyMs: opts.checkpointEvery != null ? opts.checkpointEvery * 60_000 : null,
    keep: opts.keep ?? 'encoder', resume: !opts.force,
  };
}

const HEARTBEAT_MS = 5_000;

export interface SweepOptions extends GridOptions {
  workers: number;
  backend: BackendChoice;
  force?: boolean;
  /** Print every cell's monitors per epoch (always on when a single cell runs). */
  verbose?: boolean;
  /** Where cells run: local processes (default), or BullMQ workers, to which all unfinished cells go at once. */
  remote?: Executor;
  /** The database as the user named it, for messages. */
  db?: string;
  /** Where checkpoints go (default beside the database; a remote worker uses its own). */
  checkpointDir?: string;
  /** Mid-epoch checkpoints at most this often (minutes); default at epoch ends only. */
  checkpointEvery?: number;
  /** What a finished cell keeps of its network (default its encoder). */
  keep?: KeepPolicy;
  /** The registered plan the sweep runs, recorded on each run it claims. */
  planHash?: string | null;
  out?: NodeJS.WriteStream;
}

/** The spec as stored: rows resolved against the preset, so that it is plain JSON. */
function storedSpec(spec: ExperimentSpec, preset: keyof typeof PRESETS): unknown {
  return {
    ...spec,
    rows: spec.rows.map((r) => ({ ...r, set: typeof r.set === 'function' ? r.set(PRESETS[preset]) : r.set })),
  };
}

/** Say which rows and overrides do not apply at this preset. */
function announceSkips(grid: Grid, out: NodeJS.WriteStream): void {
  for (const s of new Map(grid.skipped.map((x) => [x.rowLabel, x])).values()) out.write(`skipping row "${s.rowLabel}": ${s.reason}\n`);
  for (const p of grid.partialOverrides) out.write(`--set ${p.set} applies only where the field exists; not to: ${p.skippedRows.map((r) => `"${r}"`).join(', ')}\n`);
}

/**
 * The running cells' heartbeat (a cell another process took over is stopped at once) and
 * their end on shutdown (recorded as interrupted, to be claimed again). Returns its stop.
 */
function keepAlive(ctx: CellRunContext, me: Claimant): () => void {
  const beat = setInterval(() => {
    try {
      for (const id of ctx.store.heartbeat([...ctx.active.keys()], me.owner)) {
        const h = ctx.active.get(id);
        if (h) (h.lost = true), h.kill();
      }
    } catch (err) {
      ctx.fail(err);
    }
  }, HEARTBEAT_MS);
  const unregister = onShutdown((signal) => {
    for (const [id, h] of ctx.active) {
      h.kill();
      ctx.store.finish(id, me.owner, 'interrupted', `the sweep was stopped (${signal})`);
    }
    ctx.progress.stop();
  });
  return () => {
    clearInterval(beat);
    unregister();
  };
}

/**
 * Run an experiment's grid: expand and validate every cell, record them, then claim and
 * run the unfinished ones `workers` at a time, each in its own process (or as BullMQ
 * jobs). Finished and diverged cells are skipped unless `force`. A cell is claimed
 * atomically before it runs (CellClaims), so sweeps sharing a database never run a cell
 * twice; its messages are stored as they arrive (runCell). A failing cell is recorded as
 * failed and the sweep goes on.
 */
export async function runSweep(spec: ExperimentSpec, store: RunStore, opts: SweepOptions): Promise<SweepSummary> {
  const grid = expandGrid(spec, opts);
  const out = opts.out ?? process.stdout;
  const me = { ...claimant(), planHash: opts.planHash ?? null };
  store.saveExperiment(spec.name, spec.title, storedSpec(spec, grid.preset));
  announceSkips(grid, out);
  const runs = grid.cells.map((c) => ({ cell: c, run: store.enqueue({ ...c, cellHash: c.hash }, me) }));
  const pending = runs.filter(({ run }) => opts.force || !DONE_STATUSES.includes(run.status));
  const elsewhere = pending.filter(({ run }) => run.status === 'running' && ownerAlive(run, me)).length;
  const summary: SweepSummary = { total: runs.length, skippedDone: runs.length - pending.length, ran: 0, ranElsewhere: 0, reused: 0, byStatus: {} };
  const executor = opts.remote ?? localExecutor;
  const slots = executor.slots(pending.length, opts.workers);
  out.write(`${spec.name} (${spec.source}) at preset '${grid.preset}': ${runs.length} cells, ${summary.skippedDone} already done, ` +
    `${pending.length} to run ${executor.describe(slots)}${elsewhere ? ` (${elsewhere} running in another process: waiting for those)` : ''}\n`);
  if (pending.length === 0) return summary;
  const progress = new SweepProgress(pending.length, out);
  const ctx: CellRunContext = {
    store, owner: me.owner, executor, backend: opts.backend, checkpoints: checkpointPolicy(opts), threads: threadsPerCell(slots), progress, summary,
    verbose: !!opts.verbose || pending.length === 1, active: new Map(), halted: null, fail: () => {},
  };
  ctx.fail = failer(ctx, opts.db ?? 'the results database');
  const claims = new CellClaims(pending, store, me, { staleMs: STALE_MS, endedBefore: new Date(), force: opts.force }, spec.name, summary, progress, ctx);
  const stop = keepAlive(ctx, me);
  try {
    await Promise.all(Array.from({ length: slots }, async () => {
      for (let next = await claims.next(); next; next = await claims.next()) await runCell(ctx, next);
    }));
  } finally {
    stop();
    progress.stop();
  }
  if (ctx.halted) throw ctx.halted;
  return summary;
}
