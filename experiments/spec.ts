import type { TrainConfig } from '../core/config.ts';
import type { PresetName } from './presets.ts';

/** Partial configuration, recursively: what a table row changes on top of the preset. */
export type DeepPartial<T> = T extends readonly unknown[] ? T : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

/** Metric names recorded per epoch (and once at the end for linear_acc). */
export const METRICS = ['loss', 'z_std', 'knn_acc', 'linear_acc', 'lr'] as const;
export type MetricName = (typeof METRICS)[number];

/** One row of the paper's table: a named variant and the paper's reported number for it. */
export interface TableRow {
  label: string;
  /**
   * Changes to the preset's configuration, merged into it; switching a `kind` drops the
   * fields the new variant lacks. A function of the preset's configuration (in .ts specs)
   * for rows that scale with it, e.g. a warmup of a tenth of the epochs.
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
  /** Where in the paper, e.g. 'Table 1' or 'Sec. 4.5'. */
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
}

/** Identity helper that types an experiment spec (and catches typos in `set` at compile time). */
export function defineExperiment(spec: ExperimentSpec): ExperimentSpec {
  return spec;
}
