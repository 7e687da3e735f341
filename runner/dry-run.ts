import fs from 'node:fs';
import { useBackend, type BackendChoice } from '../core/backend.ts';
import type { ExperimentSpec } from '../experiments/spec.ts';
import { threadsPerCell } from './environment.ts';
import { estimateCells, makespan } from './estimate.ts';
import type { Grid } from './grid.ts';
import { fmtDuration } from './progress.ts';
import { openStore } from './store/open.ts';
import { DONE_STATUSES, type RunStatus } from './store/run-store.ts';
import { cellLabel } from './sweep-summary.ts';
import { checkpointBytes } from '../core/checkpoint/sizes.ts';
import { defaultCheckpointDir, type KeepPolicy } from './checkpoint/cell-files.ts';
import { fmtBytes } from './format.ts';
import type { Cell } from './grid.ts';

/**
 * What the cells to run will hold on disk: one checkpoint per running cell (removed as it
 * finishes), and what each finished cell keeps.
 */
function diskLine(todo: Cell[], slots: number, opts: DryRunOptions): string {
  const bySize = new Map<string, ReturnType<typeof checkpointBytes>>();
  const sizes = todo.map((c) => {
    const shape = JSON.stringify({ ...c.config, seed: 0 });
    if (!bySize.has(shape)) bySize.set(shape, checkpointBytes(c.config));
    return bySize.get(shape)!;
  });
  const running = sizes.map((s) => s.checkpoint).sort((a, b) => b - a).slice(0, slots).reduce((a, b) => a + b, 0);
  const keep = opts.keep ?? 'encoder';
  const kept = sizes.reduce((n, s) => n + (keep === 'encoder' ? s.encoder : keep === 'all' ? s.checkpoint : 0), 0);
  const dir = opts.checkpointDir ?? defaultCheckpointDir(opts.db);
  return `disk in ${dir}: checkpoints up to ${fmtBytes(running)} at once (one per running cell, ${fmtBytes(Math.max(...sizes.map((s) => s.checkpoint)))} the largest; ` +
    `written beside the old one, so twice that while writing), removed as cells finish; kept (--keep ${keep}): ${keep === 'none' ? 'nothing' : `${fmtBytes(kept)} for ${todo.length} cell(s)`}\n`;
}

export interface DryRunOptions {
  db: string;
  backend: BackendChoice;
  workers: number;
  force?: boolean;
  keep?: KeepPolicy;
  checkpointDir?: string;
}

/** One experiment of a dry run, with its expanded grid. */
export interface DryRunPlan {
  spec: ExperimentSpec;
  grid: Grid;
}

/**
 * `run --dry-run` and `reproduce --dry-run`: every cell with its hash, state, steps and
 * estimated time, then the estimated wall time at --workers on this machine. Experiments
 * run one after another, so their times add up; a cell that an earlier experiment runs
 * (or already ran) with the same configuration is reused, not trained. Times come from
 * finished cells of the same cost key in the database, else from one calibration of at
 * most calibrationBudgetMs per shape; a shape that finishes no step counts its time as a
 * lower bound, so no cell is ever left out of the total. Trains nothing, writes nothing,
 * creates no database.
 */
export async function dryRun(plans: DryRunPlan[], opts: DryRunOptions, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  const store = fs.existsSync(opts.db) ? openStore(opts.db) : null;
  try {
    const earlier = new Map<string, string>(); // cell hash -> the experiment of this plan that trains it
    const states = plans.map(({ spec, grid }) => {
      const state = new Map<string, string>(store?.findRuns({ experiment: spec.name }).map((r) => [r.cellHash, r.status]) ?? []);
      const unfinished = grid.cells.filter((c) => opts.force || !DONE_STATUSES.includes((state.get(c.hash) ?? 'queued') as RunStatus));
      const todo = unfinished.filter((c) => {
        const from = opts.force ? undefined : earlier.get(c.hash) ?? store?.findResult(c.hash, spec.name)?.experiment;
        if (from) state.set(c.hash, `reuses ${from}`);
        return !from;
      });
      for (const c of todo) earlier.set(c.hash, spec.name);
      return { state, unfinished, todo };
    });
    const allTodo = states.flatMap((s) => s.todo);
    const slots = Math.max(1, Math.min(opts.workers, Math.max(0, ...states.map((s) => s.todo.length))));
    const threads = threadsPerCell(slots);
    const backend = await useBackend(opts.backend, { threads });
    const t0 = Date.now();
    const est = await estimateCells(allTodo, store, opts.backend, backend.name, slots, threads,
      (shapes, seconds) => out.write(`timing the first steps of ${shapes} cell shape(s) here (about ${fmtDuration(seconds)})...\n`));
    const cost = new Map(allTodo.map((c, i) => [c.hash, est.costs[i]]));
    let total = 0;
    plans.forEach(({ spec, grid }, i) => {
      const { state, unfinished, todo } = states[i];
      const mine = Math.min(opts.workers, todo.length);
      out.write(`${spec.name} (${spec.source}) at preset '${grid.preset}': ${grid.cells.length} cells, ${grid.cells.length - unfinished.length} done, ` +
        `${unfinished.length > todo.length ? `${unfinished.length - todo.length} reused from other experiments, ` : ''}` +
        (todo.length ? `${todo.length} to run on ${mine} worker(s); backend ${backend.name}, ${threads} thread(s) per cell\n` : 'nothing to run\n'));
      for (const s of new Map(grid.skipped.map((x) => [x.rowLabel, x])).values()) out.write(`skipping row "${s.rowLabel}": ${s.reason}\n`);
      for (const p of grid.partialOverrides) out.write(`--set ${p.set} applies only where the field exists; not to: ${p.skippedRows.map((r) => `"${r}"`).join(', ')}\n`);
      out.write(`  ${'hash'.padEnd(16)}  ${'state'.padEnd(11)} ${'steps'.padStart(6)}  ${'estimate'.padStart(8)}  cell\n`);
      for (const c of grid.cells) {
        const k = todo.includes(c) ? cost.get(c.hash) : undefined;
        const time = !k ? '-' : `${k.source === 'lower bound' ? '≥' : ''}${fmtDuration(k.seconds)}`;
        out.write(`  ${c.hash}  ${(state.get(c.hash) ?? 'new').padEnd(11)} ${String(k?.steps ?? '-').padStart(6)}  ${time.padStart(8)}  ${cellLabel(c)}\n`);
      }
      total += makespan(todo.map((c) => cost.get(c.hash)!.seconds), Math.max(1, mine));
    });
    for (const n of est.notes) out.write(`note: ${n}\n`);
    if (allTodo.length === 0) return;
    const fromDb = est.costs.filter((c) => c.source === 'database').length;
    const bounded = est.costs.filter((c) => c.source === 'lower bound').length;
    const how = [fromDb ? `${fromDb} from finished cells of the same shape in ${opts.db}` : '',
      est.calibrated ? `${allTodo.length - fromDb - bounded} from ${est.calibrated} calibration(s) just now (${((Date.now() - t0) / 1000).toFixed(0)} s)` : '',
      bounded ? `${bounded} as a lower bound (no step finished in the calibration's time: the total is at least this)` : '']
      .filter(Boolean).join(', ');
    const across = plans.length > 1 ? ` across ${plans.length} experiments run one after another` : '';
    out.write(diskLine(allTodo, slots, opts));
    out.write(`estimated: ${bounded ? 'at least ' : ''}${fmtDuration(total)} for ${allTodo.length} cell(s) on ${slots} worker(s)${across}; per-cell times: ${how}\n`);
  } finally {
    store?.close();
  }
}
