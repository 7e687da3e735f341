import fs from 'node:fs';
import { useBackend, type BackendChoice } from '../core/backend.ts';
import type { ExperimentSpec } from '../experiments/spec.ts';
import { threadsPerCell } from './environment.ts';
import { CALIBRATION_BUDGET_MS, estimateCells, makespan } from './estimate.ts';
import type { Grid } from './grid.ts';
import { fmtDuration } from './progress.ts';
import { openStore } from './store/open.ts';
import { DONE_STATUSES, type RunStatus } from './store/run-store.ts';
import { cellLabel } from './sweep.ts';

export interface DryRunOptions {
  db: string;
  backend: BackendChoice;
  workers: number;
  force?: boolean;
}

/**
 * `run --dry-run`: every cell with its hash, state, steps and estimated time, then the
 * sweep's estimated wall time at --workers on this machine. Times come from finished
 * cells of the same cost key in the database, else from a calibration of at most
 * CALIBRATION_BUDGET_MS. Trains nothing, writes nothing, creates no database.
 */
export async function dryRun(spec: ExperimentSpec, grid: Grid, opts: DryRunOptions, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  const store = fs.existsSync(opts.db) ? openStore(opts.db) : null;
  try {
    const state = new Map<string, string>(store?.findRuns({ experiment: spec.name }).map((r) => [r.cellHash, r.status]) ?? []);
    const unfinished = grid.cells.filter((c) => opts.force || !DONE_STATUSES.includes((state.get(c.hash) ?? 'queued') as RunStatus));
    // Cells another experiment already ran with the same configuration are reused, not trained.
    const reused = new Map(unfinished.map((c) => [c.hash, opts.force ? null : store?.findResult(c.hash, spec.name) ?? null]));
    for (const [hash, r] of reused) if (r) state.set(hash, `reuses ${r.experiment}`);
    const todo = unfinished.filter((c) => !reused.get(c.hash));
    const slots = Math.min(opts.workers, todo.length);
    const threads = threadsPerCell(slots);
    const backend = await useBackend(opts.backend, { threads });
    out.write(`${spec.name} (${spec.source}) at preset '${grid.preset}': ${grid.cells.length} cells, ${grid.cells.length - unfinished.length} done, ` +
      `${unfinished.length > todo.length ? `${unfinished.length - todo.length} reused from other experiments, ` : ''}` +
      `${todo.length} to run on ${slots} worker(s); backend ${backend.name}, ${threads} thread(s) per cell\n`);
    for (const s of new Map(grid.skipped.map((x) => [x.rowLabel, x])).values()) out.write(`skipping row "${s.rowLabel}": ${s.reason}\n`);
    for (const p of grid.partialOverrides) out.write(`--set ${p.set} applies only where the field exists; not to: ${p.skippedRows.map((r) => `"${r}"`).join(', ')}\n`);
    const t0 = Date.now();
    const est = await estimateCells(todo, store, opts.backend, backend.name, slots, threads,
      () => out.write(`timing the cells' first steps here (at most ${CALIBRATION_BUDGET_MS / 1000} s)...\n`));
    const cost = new Map(todo.map((c, i) => [c.hash, est.costs[i]]));
    out.write(`  ${'hash'.padEnd(16)}  ${'state'.padEnd(11)} ${'steps'.padStart(6)}  ${'estimate'.padStart(8)}  cell\n`);
    for (const c of grid.cells) {
      const k = cost.get(c.hash);
      const time = !k ? '-' : k.seconds == null ? '?' : fmtDuration(k.seconds);
      out.write(`  ${c.hash}  ${(state.get(c.hash) ?? 'new').padEnd(11)} ${String(k?.steps ?? '-').padStart(6)}  ${time.padStart(8)}  ${cellLabel(c)}\n`);
    }
    for (const n of est.notes) out.write(`note: ${n}\n`);
    if (todo.length === 0) return;
    const known = est.costs.filter((c) => c.seconds != null);
    const fromDb = est.costs.filter((c) => c.source === 'database').length;
    const how = [fromDb ? `${fromDb} from finished cells of the same shape in ${opts.db}` : '',
      est.calibrated ? `${todo.length - fromDb} from ${est.calibrated} calibration(s) just now (${((Date.now() - t0) / 1000).toFixed(0)} s)` : '']
      .filter(Boolean).join(', ');
    const total = makespan(known.map((c) => c.seconds!), slots);
    out.write(`estimated: ${fmtDuration(total)} for ${todo.length} cell(s) on ${slots} worker(s)` +
      `${known.length < todo.length ? ` (${todo.length - known.length} cell(s) unknown, not counted)` : ''}; per-cell times: ${how}\n`);
  } finally {
    store?.close();
  }
}
