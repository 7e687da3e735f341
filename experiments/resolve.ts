import { alternationCacheBytes } from '../core/components/target.ts';
import type { TrainConfig } from '../core/config.ts';
import { imageValues, trainSize } from '../core/data/sizes.ts';
import { PRESETS, type PresetName } from './presets.ts';
import type { ExperimentSpec } from './spec.ts';
import { applyOverrides, isValidConfig, mergeConfig, parseOverride, setOverride, SpecError, validateConfig, type Override } from './validate.ts';

/**
 * The one place a cell's configuration is resolved: preset, then row, then the axes, then
 * the --set overrides, each step validated, so that the grid, `plan` and `reproduce --plan`
 * resolve a row the same way and a bad spec fails, naming its field, before anything runs.
 */

/** A row at one combination of the axes, resolved (without its seed). */
export interface ResolvedRow {
  rowLabel: string;
  axes: Record<string, unknown>;
  /** The seed is the preset's; the grid sets each cell's. */
  config: TrainConfig;
}

export interface Resolution {
  preset: PresetName;
  rows: ResolvedRow[];
  /** Rows that cannot run at this preset, with why. */
  skipped: { rowLabel: string; reason: string }[];
  /** Overrides that some rows lack the field of: applied elsewhere, skipped there. */
  partialOverrides: { set: string; skippedRows: string[] }[];
}

export interface ResolveOptions {
  preset?: PresetName;
  /** --set overrides, applied after the row and the axes. */
  sets?: string[];
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

/** Resolve every row of an experiment at every combination of its axes. Pure. */
export function resolveRows(spec: ExperimentSpec, opts: ResolveOptions = {}): Resolution {
  const preset = opts.preset ?? spec.preset;
  if (!(preset in PRESETS)) throw new SpecError(`unknown preset '${preset}'; allowed: ${Object.keys(PRESETS).join(', ')}`);
  const base: TrainConfig = PRESETS[preset];
  const overrides = (opts.sets ?? []).map(parseOverride);
  // A row written as a function of the preset (e.g. warmup = epochs / 10) sees the overrides.
  const fnBase = overrides.length ? overriddenPreset(base, overrides) : base;
  const rows: ResolvedRow[] = [];
  const skipped: Resolution['skipped'] = [];
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
      rows.push({ rowLabel: row.label, axes: combo, config: cfg });
    }
  }
  for (const o of overrides) {
    // Strict once more against the preset, for the message naming the fields that exist.
    if (!applied.has(o.raw)) setOverride(structuredClone(base) as unknown as Record<string, unknown>, o, true);
    if (!applied.has(o.raw)) throw new SpecError(`--set ${o.raw}: no row of ${spec.name} has the field ${o.path.join('.')}`);
  }
  const partialOverrides = [...missed].filter(([raw, r]) => r.size && applied.has(raw)).map(([set, r]) => ({ set, skippedRows: [...r] }));
  return { preset, rows, skipped, partialOverrides };
}
