import type { TrainConfig } from '../core/config.ts';
import type { Finding } from './findings.ts';
import type { PresetName } from './presets.ts';

/** Partial configuration, recursively: what a table row changes on top of the preset. */
export type DeepPartial<T> = T extends readonly unknown[] ? T : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

export { METRICS, type MetricName } from './metrics.ts';
import type { MetricName } from './metrics.ts';

/** One row of the paper's table: a named variant and the paper's reported number for it. */
export interface TableRow {
  label: string;
  /**
   * Changes to the preset's configuration, merged into it; switching a `kind` drops the
   * fields the new variant lacks. A function of the preset's configuration (with the
   * `--set` overrides that apply to it) in .ts specs, for rows that scale with it, e.g.
   * a warmup of a tenth of the epochs.
   */
  set: DeepPartial<TrainConfig> | ((base: TrainConfig) => DeepPartial<TrainConfig>);
  /** The paper's number (ImageNet linear top-1, %), a word such as 'unstable', or null where it reports none. */
  paper: number | string | null;
}

/** Grid axes crossed with every row: a dotted config path and the values it takes. */
export type Axes = Record<string, readonly unknown[]>;

/**
 * An ablation experiment: rows of a paper table (each a variant of the preset's
 * configuration), optional extra axes crossed with them, seeds, and how the results
 * render. Cells are rows x axes x seeds.
 */
export interface ExperimentSpec {
  name: string;
  title: string;
  /** Where in the paper, e.g. 'Table 1' or 'Sec. 4.5'; `custom` for a user's own. */
  source: string;
  /** The scale preset when --preset is not given. */
  preset: PresetName;
  rows: TableRow[];
  axes?: Axes;
  seeds: number[];
  /** The metric the table reports (as %). */
  metric: MetricName;
  /** What the paper's column means, for the table header. */
  paperMetric?: string;
  notes?: string;
  /** The paper's claims this experiment tests, each judged from the rows' results (results/verdicts.ts). */
  findings?: Finding[];
}

/** A spec as written: only `name` and `rows` (each `label` and `set`) are required. */
export type ExperimentSpecInput =
  & Pick<ExperimentSpec, 'name' | 'axes' | 'paperMetric' | 'notes' | 'findings'>
  & Partial<Pick<ExperimentSpec, 'title' | 'source' | 'preset' | 'seeds' | 'metric'>>
  & { rows: (Omit<TableRow, 'paper'> & { paper?: TableRow['paper'] })[] };

/** The values of the optional spec fields (the title defaults to the name). */
export const SPEC_DEFAULTS = { source: 'custom', preset: 'small', seeds: [0], metric: 'knn_acc' } as const satisfies Partial<ExperimentSpec>;

/** Fill in the optional fields of a spec. */
export function withDefaults(spec: ExperimentSpecInput): ExperimentSpec {
  return {
    ...spec,
    title: spec.title ?? spec.name,
    source: spec.source ?? SPEC_DEFAULTS.source,
    preset: spec.preset ?? SPEC_DEFAULTS.preset,
    seeds: spec.seeds ?? [...SPEC_DEFAULTS.seeds],
    metric: spec.metric ?? SPEC_DEFAULTS.metric,
    rows: spec.rows.map((r) => ({ ...r, paper: r.paper ?? null })),
  };
}

/** Types an experiment spec (catching typos in `set` at compile time) and fills in its defaults. */
export function defineExperiment(spec: ExperimentSpecInput): ExperimentSpec {
  return withDefaults(spec);
}
