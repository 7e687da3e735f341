import { type BackendChoice } from '../core/backend.ts';
import { BACKEND_BY_NAME } from '../core/backends/index.ts';
import { BackendError } from '../core/user-error.ts';
import { missingDataFiles } from '../core/data/load.ts';
import type { ExperimentSpec } from '../experiments/spec.ts';
import { SpecError } from '../experiments/validate.ts';
import { checkRedis } from '../runner/bullmq/connection.ts';
import { RemoteExecutor } from '../runner/bullmq/remote-executor.ts';
import { expandGrid, type Grid, type GridOptions } from '../runner/grid.ts';
import { isStopping } from '../runner/shutdown.ts';
import { openStore } from '../runner/store/open.ts';
import { runSweep } from '../runner/sweep.ts';
import { buildTable, type PaperTable } from '../results/tables.ts';
import type { KeepPolicy } from '../runner/checkpoint/cell-files.ts';

export interface RunExperimentsOptions extends GridOptions {
  workers: number;
  db: string;
  backend: BackendChoice;
  force?: boolean;
  verbose?: boolean;
  executor: 'local' | 'bullmq';
  redis?: string;
  queue: string;
  /** Per experiment, only these rows (a plan's); default every row. */
  rowsOf?: (spec: ExperimentSpec) => string[] | undefined;
  /** The registered plan being run, recorded on each run. */
  planHash?: string | null;
  checkpointDir?: string;
  checkpointEvery?: number;
  keep?: KeepPolicy;
}

/**
 * Expand and check every experiment's grid before anything runs: configurations, and
 * (with the local executor) that the data files exist.
 */
export function prepareGrids(specs: ExperimentSpec[], opts: RunExperimentsOptions): Grid[] {
  const grids = specs.map((s) => expandGrid(s, { ...opts, rows: opts.rowsOf?.(s) ?? opts.rows }));
  if (opts.executor === 'local') {
    // Workers elsewhere may keep their data in other places; here the files must exist.
    const data = new Map(grids.flatMap((g) => g.cells).map((c) => [JSON.stringify(c.config.data), c.config.data]));
    for (const d of data.values()) {
      const why = missingDataFiles(d);
      if (why) throw new SpecError(why);
    }
  }
  return grids;
}

/**
 * The backend line of a sweep, without loading a backend here: each cell process loads its
 * own, so the coordinator only checks that a named one can load (one line if not).
 */
async function announceBackend(choice: BackendChoice): Promise<string> {
  if (choice === 'auto') return 'backend auto (each cell loads the fastest that loads there; its runs record which)';
  const b = BACKEND_BY_NAME[choice];
  const why = await b.probe();
  if (why) throw new BackendError(`backend '${choice}' could not be loaded: ${why}. ${b.hint}`);
  return `backend ${choice} (each cell loads its own)`;
}

/**
 * Sweep experiments one after another into one database (a cell that an earlier one ran
 * with the same configuration is reused), then return their tables at the preset run.
 */
export async function runExperiments(specs: ExperimentSpec[], opts: RunExperimentsOptions): Promise<{ tables: PaperTable[]; failed: number }> {
  const grids = prepareGrids(specs, opts);
  const store = openStore(opts.db);
  let remote: RemoteExecutor | undefined;
  try {
    if (opts.executor === 'bullmq') {
      if (!opts.redis) throw new SpecError('--executor bullmq needs --redis URL (e.g. redis://127.0.0.1:6379)');
      await checkRedis(opts.redis);
      remote = new RemoteExecutor(opts.redis, opts.queue);
    } else {
      process.stdout.write(`${await announceBackend(opts.backend)}\n`);
    }
    let failed = 0;
    for (const spec of specs) {
      if (isStopping()) break;
      const summary = await runSweep(spec, store, { ...opts, rows: opts.rowsOf?.(spec) ?? opts.rows, remote });
      failed += summary.byStatus.failed ?? 0;
    }
    return { tables: specs.map((s, i) => buildTable(store, s, grids[i].preset)), failed };
  } finally {
    await remote?.close();
    store.close();
  }
}
