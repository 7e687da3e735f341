import { createHash } from 'node:crypto';
import { alternationCacheBytes } from '../core/components/target.ts';
import type { DataSpec, TrainConfig } from '../core/config.ts';
import { imageValues, trainSize } from '../core/data/sizes.ts';
import { PRESETS, type PresetName } from '../experiments/presets.ts';
import type { ExperimentSpec } from '../experiments/spec.ts';
import { applyOverrides, isValidConfig, mergeConfig, parseOverride, setOverride, SpecError, validateConfig, type Override } from '../experiments/validate.ts';

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

function product(axes: [string, readonly unknown[]][]): Record<string, unknown>[] {
  return axes.reduce<Record<string, unknown>[]>(
    (acc, [path, values]) => acc.flatMap((combo) => values.map((v) => ({ ...combo, [path]: v }))),
    [{}],
  );
}

/** The preset with every override that applies to it: what a row defined as a function sees. */
function overriddenPreset(preset: TrainConfig, overrides: Override[]): TrainConfig {
  const out = structuredClone(preset) as unknown as Record<string, unknown>;
  for (const o of overrides) {
    const trial = structuredClone(out);
    if (setOverride(trial, o, false) && isValidConfig(trial)) Object.assign(out, trial);
  }
  return out as unknown as TrainConfig;
}

/**
 * Expand an experiment into cells: rows x axes x seeds, each configuration resolved
 * (preset, then row, then axes, then the --set overrides) and validated up front, so
 * that a bad spec fails before anything runs. Pure.
 */
export function expandGrid(spec: ExperimentSpec, opts: GridOptions = {}): Grid {
  const preset = opts.preset ?? spec.preset;
  if (!(preset in PRESETS)) throw new SpecError(`unknown preset '${preset}'; allowed: ${Object.keys(PRESETS).join(', ')}`);
  const base: TrainConfig = PRESETS[preset];
  const overrides = (opts.sets ?? []).map(parseOverride);
  // A row written as a function of the preset (e.g. warmup = epochs / 10) sees the overrides.
  const fnBase = overrides.length ? overriddenPreset(base, overrides) : base;
  const seeds = opts.seeds ?? spec.seeds;
  const cells: Cell[] = [];
  const skipped: Grid['skipped'] = [];
  const missed = new Map<string, Set<string>>(overrides.map((o) => [o.raw, new Set()]));
  const applied = new Set<string>();
  for (const row of spec.rows) {
    const partial = typeof row.set === 'function' ? row.set(fnBase) : row.set;
    const rowConfig = mergeConfig(base, partial, `${spec.name}, row "${row.label}"`);
    for (const combo of product(Object.entries(spec.axes ?? {}))) {
      const sets = Object.entries(combo).map(([p, v]) => `${p}=${JSON.stringify(v)}`);
      const where = `${spec.name}, row "${row.label}"${sets.length ? ` (${sets.join(', ')})` : ''}`;
      let cfg: TrainConfig;
      try {
        cfg = applyOverrides(rowConfig, sets);
      } catch (err) {
        throw new SpecError(`${where}: ${(err as Error).message}`);
      }
      if (overrides.length) {
        const raw = structuredClone(cfg) as unknown as Record<string, unknown>;
        for (const o of overrides) {
          if (setOverride(raw, o, false)) applied.add(o.raw);
          else missed.get(o.raw)!.add(row.label);
        }
        cfg = validateConfig(raw, `${where} with --set ${overrides.map((o) => o.raw).join(' ')}`);
      }
      const n = trainSize(cfg.data);
      const cache = alternationCacheBytes(cfg, n, imageValues(cfg.data));
      if (cache != null && cfg.target.kind === 'alternation' && cache > cfg.target.maxCacheMB * 2 ** 20) {
        throw new SpecError(`${where}: target.every=${JSON.stringify(cfg.target.every)} would cache ${(cache / 2 ** 20).toFixed(0)} MiB ` +
          `of views and targets, over target.maxCacheMB=${cfg.target.maxCacheMB}; use a smaller k or raise maxCacheMB`);
      }
      if (cfg.batchSize > n) {
        skipped.push({ rowLabel: row.label, reason: `batch ${cfg.batchSize} exceeds the ${n} training images of preset '${preset}'` });
        continue;
      }
      for (const seed of seeds) {
        const config = { ...cfg, seed };
        cells.push({ experiment: spec.name, rowLabel: row.label, axes: combo, seed, preset, config, hash: cellHash(config) });
      }
    }
  }
  for (const o of overrides) {
    // Strict once more against the preset, for the message naming the fields that exist.
    if (!applied.has(o.raw)) setOverride(structuredClone(base) as unknown as Record<string, unknown>, o, true);
    if (!applied.has(o.raw)) throw new SpecError(`--set ${o.raw}: no row of ${spec.name} has the field ${o.path.join('.')}`);
  }
  const seen = new Map<string, Cell>();
  for (const c of cells) {
    const other = seen.get(c.hash);
    if (other && other.rowLabel !== c.rowLabel) {
      throw new SpecError(`${spec.name}: rows "${other.rowLabel}" and "${c.rowLabel}" resolve to the same configuration` +
        `${overrides.length ? ` with --set ${overrides.map((o) => o.raw).join(' ')}` : ''}; a table needs its rows to differ`);
    }
    seen.set(c.hash, c);
  }
  const partialOverrides = [...missed].filter(([raw, rows]) => rows.size && applied.has(raw))
    .map(([set, rows]) => ({ set, skippedRows: [...rows] }));
  return { preset, cells, skipped, partialOverrides };
}

