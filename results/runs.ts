import type { TrainConfig } from '../core/config.ts';
import type { MetricName } from '../experiments/spec.ts';
import { trainSteps } from '../core/data/sizes.ts';
import { cellHash } from '../runner/grid.ts';
import type { RunStore, RunSummary } from '../runner/store/run-store.ts';
import type { RunEvidence } from './outcome.ts';

/** A finished or diverged run as tables and verdicts see it. */
export interface SeedRun extends RunEvidence {
  runId: number;
  rowLabel: string;
  axes: Record<string, unknown>;
  /** Final values of the metrics asked for (raw: fractions for accuracies), null where absent. */
  values: Partial<Record<MetricName, number | null>>;
  /** The backend with what it ran on (native-cpu's libraries and addon, webgpu's adapter): a verdict rests on one. */
  backend: string | null;
  commit: string | null;
  /** The configuration without its seed: runs of one row and one configuration share it. */
  configKey: string;
  /** SGD steps the run's configuration takes. */
  steps: number;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** A run's final value of a metric, from the columns kept on the run or its last point. */
export function finalValue(store: RunStore, r: RunSummary, metric: MetricName): number | null {
  switch (metric) {
    case 'knn_acc': return r.finalKnnAcc;
    case 'linear_acc': return r.finalLinearAcc;
    case 'loss': return r.finalLoss;
    case 'z_std': return r.finalZStd;
    case 'lr': case 'loss_std': case 'loss_max': return store.metrics(r.id, metric).at(-1)?.value ?? null;
  }
}

/**
 * An experiment's finished and diverged runs at a preset (or all), each with the metrics
 * asked for, grouped by row label; the runs that failed per row (crashed or killed: no
 * result, counted apart); and the runs whose rows are damaged (left out, named).
 */
export function readRuns(store: RunStore, experiment: string, metrics: MetricName[], preset?: string): { rows: Map<string, SeedRun[]>; failed: Map<string, RunSummary[]>; damaged: RunSummary[] } {
  const all = store.runSummaries(experiment).filter((r) => !preset || r.preset === preset);
  const knn0 = store.initValues(experiment, 'knn_acc');
  const linear0 = store.initValues(experiment, 'linear_acc');
  const lossStd = store.experimentSeries(experiment, 'loss_std');
  const rows = new Map<string, SeedRun[]>();
  const failed = new Map<string, RunSummary[]>();
  const damaged: RunSummary[] = [];
  for (const r of all) {
    // A row whose JSON is damaged cannot be judged: left out, and reported.
    if (r.damaged) {
      damaged.push(r);
      continue;
    }
    if (r.status === 'failed') failed.set(r.rowLabel, [...(failed.get(r.rowLabel) ?? []), r]);
    if (r.status !== 'finished' && r.status !== 'diverged') continue;
    const cfg = r.config as TrainConfig;
    const stds = (lossStd.get(r.id) ?? []).slice(1).filter(Number.isFinite); // the first epoch holds the warm-up's fall
    const values = Object.fromEntries(metrics.map((m) => [m, r.status === 'finished' ? finalValue(store, r, m) : null]));
    const run: SeedRun = {
      runId: r.id, rowLabel: r.rowLabel, axes: r.axes, seed: r.seed, nonFinite: r.status === 'diverged',
      loss: r.finalLoss, zStd: r.finalZStd, dim: r.dim ?? 1, cosine: (r.similarity ?? 'cosine') === 'cosine',
      knn0: knn0.get(r.id) ?? null, knn: r.finalKnnAcc, linear: r.finalLinearAcc, linear0: linear0.get(r.id) ?? null, lossStd: stds.length ? mean(stds) : null,
      values, backend: r.backend && r.device ? `${r.backend} (${r.device})` : r.backend, commit: r.gitCommit,
      configKey: cellHash({ ...cfg, seed: 0 }), steps: cfg?.data ? trainSteps(cfg) : Infinity,
    };
    rows.set(r.rowLabel, [...(rows.get(r.rowLabel) ?? []), run]);
  }
  return { rows, failed, damaged };
}

/** A metric's value as tables and verdicts show it: accuracies in %, others as they are; null where absent or not finite. */
export function shown(metric: MetricName, v: number | null | undefined): number | null {
  if (v == null || !Number.isFinite(v)) return null;
  return metric.endsWith('_acc') ? 100 * v : v;
}

/**
 * The metric a table or verdict uses: the one asked for, except linear-probe accuracy
 * where some finished run trained no probe (a preset without one): kNN then, said so.
 */
export function metricFor(wanted: MetricName, runs: SeedRun[]): { metric: MetricName; note: string | null } {
  if (wanted === 'linear_acc' && runs.some((r) => !r.nonFinite && r.values.linear_acc == null)) {
    return { metric: 'knn_acc', note: 'kNN accuracy: the runs trained no linear probe' };
  }
  return { metric: wanted, note: null };
}
