import { createHash } from 'node:crypto';
import type { TrainConfig } from '../core/config.ts';
import type { PresetName } from '../experiments/presets.ts';
import { resolveRows } from '../experiments/resolve.ts';
import type { ExperimentSpec } from '../experiments/spec.ts';
import { SpecError } from '../experiments/validate.ts';

/** One grid cell: a table row, a value per extra axis, a seed, and the configuration they resolve to. */
export interface Cell {
  experiment: string;
  rowLabel: string;
  axes: Record<string, unknown>;
  seed: number;
  preset: PresetName;
  config: TrainConfig;
  /** Identity: a hash of the fully resolved configuration (seed included). */
  hash: string;
}

export interface GridOptions {
  preset?: PresetName;
  /** --set overrides, applied to each cell's resolved configuration, after its row and axes. */
  sets?: string[];
  seeds?: number[];
  /** Only these rows' cells (a plan runs the rows its findings judge); default every row. */
  rows?: string[];
}

export interface Grid {
  preset: PresetName;
  cells: Cell[];
  /** Rows that cannot run at this preset, with why. */
  skipped: { rowLabel: string; reason: string }[];
  /** Overrides that some rows lack the field of: applied elsewhere, skipped there. */
  partialOverrides: { set: string; skippedRows: string[] }[];
}

/** JSON with object keys sorted, so equal configurations hash equally. */
export function canonicalJson(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(canonicalJson).join(',')}]`;
  if (x && typeof x === 'object') {
    return `{${Object.keys(x).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((x as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(x);
}

export function cellHash(config: TrainConfig): string {
  return createHash('sha256').update(canonicalJson(config)).digest('hex').slice(0, 16);
}

/**
 * Expand an experiment into cells: its resolved rows (experiments/resolve.ts) crossed
 * with the seeds, each hashed. Pure.
 */
export function expandGrid(spec: ExperimentSpec, opts: GridOptions = {}): Grid {
  const { preset, rows, skipped, partialOverrides } = resolveRows(spec, opts);
  const seeds = opts.seeds ?? spec.seeds;
  const cells: Cell[] = rows.filter((r) => !opts.rows || opts.rows.includes(r.rowLabel)).flatMap((r) => seeds.map((seed) => {
    const config = { ...r.config, seed };
    return { experiment: spec.name, rowLabel: r.rowLabel, axes: r.axes, seed, preset, config, hash: cellHash(config) };
  }));
  const seen = new Map<string, Cell>();
  for (const c of cells) {
    const other = seen.get(c.hash);
    if (other && other.rowLabel !== c.rowLabel) {
      throw new SpecError(`${spec.name}: rows "${other.rowLabel}" and "${c.rowLabel}" resolve to the same configuration` +
        `${opts.sets?.length ? ` with --set ${opts.sets.join(' ')}` : ''}; a table needs its rows to differ`);
    }
    seen.set(c.hash, c);
  }
  return { preset, cells, skipped, partialOverrides };
}
