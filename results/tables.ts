import { zStdReference } from '../core/eval/z-reference.ts';
import type { Finding } from '../experiments/findings.ts';
import { EXPERIMENTS } from '../experiments/registry.ts';
import type { ExperimentSpec, MetricName, TableRow } from '../experiments/spec.ts';
import type { RunStore } from '../runner/store/run-store.ts';
import { learnedOn, outcomeCounts, outcomeOf } from './outcome.ts';
import { metricFor, readRuns, shown } from './runs.ts';
import { type JudgeOptions, findingVerdicts, type FindingVerdict } from './verdicts.ts';

export interface TableLine {
  variant: string;
  axes: Record<string, unknown>;
  paper: number | string | null;
  /** Mean and std of the table's metric over finished seeds (% for accuracies); null when none finished. */
  mean: number | null;
  std: number | null;
  n: number;
  /** Runs that crashed or were killed: no result, but not to be hidden. */
  failed: number;
  /** Runs of this row whose stored rows are damaged (left out). */
  damaged: number;
  /** What the collapse rule made of the runs, with counts ("z collapsed 3/5, representation lost 3/5"), or missing / failed. */
  outcome: string;
  /** Mean final kNN accuracy (%), shown beside the metric when the metric is another. */
  knn: number | null;
  zStd: number | null;
  zStdReference: number | null;
  loss: number | null;
}

export interface PaperTable {
  experiment: string;
  title: string;
  source: string;
  /** The metric of the table's main column (linear_acc falls back to knn_acc where no probe was trained). */
  metric: MetricName;
  metricNote: string | null;
  preset: string | null;
  lines: TableLine[];
  /** The experiment's findings, each with its verdict and evidence. */
  findings: FindingVerdict[];
  /** Runs left out because their stored rows are damaged, each named with why. */
  damaged: string[];
}

/**
 * An experiment's findings: those stored with its spec; for a built-in stored before it
 * declared any (an older database), the built-in's.
 */
export function findingsOf(spec: Pick<ExperimentSpec, 'name' | 'findings'>): Finding[] | undefined {
  return spec.findings ?? EXPERIMENTS[spec.name]?.findings;
}

/** Mean and sample std (0 for one value; null for none). */
export function meanStd(xs: number[]): { mean: number | null; std: number | null } {
  if (xs.length === 0) return { mean: null, std: null };
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean, std };
}

const finite = (xs: (number | null)[]) => xs.filter((v): v is number => v != null && Number.isFinite(v));

/** The paper's table for one experiment (at one preset, or all), from the store's runs only. Cells not yet run show as missing. */
export function buildTable(
  store: RunStore, spec: Pick<ExperimentSpec, 'name' | 'title' | 'source' | 'metric' | 'findings'> & { rows: Pick<TableRow, 'label' | 'paper'>[] },
  preset?: string,
  judge?: JudgeOptions,
): PaperTable {
  const all = store.runSummaries(spec.name).filter((r) => !preset || r.preset === preset);
  const findings = findingsOf(spec) ?? [];
  const metrics = [...new Set<MetricName>([spec.metric, 'knn_acc', 'linear_acc', ...findings.flatMap((f) => (f.metric ? [f.metric] : []))])];
  const { rows, failed, damaged } = readRuns(store, spec.name, metrics, preset);
  const runs = [...rows.values()].flat();
  const { metric, note } = metricFor(spec.metric, runs);
  const { on } = learnedOn(metric, runs);
  const key = (axes: Record<string, unknown>) => JSON.stringify(axes);
  const combos = [...new Map(all.filter((r) => !r.damaged).map((r) => [key(r.axes), r.axes])).values()];
  const lines: TableLine[] = [];
  for (const row of spec.rows) {
    for (const axes of combos.length ? combos : [{}]) {
      const cells = (rows.get(row.label) ?? []).filter((r) => key(r.axes) === key(axes));
      const nFailed = (failed.get(row.label) ?? []).filter((r) => key(r.axes) === key(axes)).length;
      // A damaged run's axes cannot be read: it is counted on its row's first line.
      const nDamaged = axes === (combos[0] ?? axes) ? damaged.filter((r) => r.rowLabel === row.label).length : 0;
      const values = finite(cells.map((c) => shown(metric, c.values[metric])));
      const outcome = cells.length ? outcomeCounts(cells.map((c) => outcomeOf(c, on))) : nFailed ? 'failed' : 'missing';
      lines.push({
        variant: row.label, axes, paper: row.paper, ...meanStd(values), n: values.length, failed: nFailed, damaged: nDamaged, outcome,
        knn: meanStd(finite(cells.map((c) => shown('knn_acc', c.knn)))).mean,
        zStd: meanStd(finite(cells.map((c) => c.zStd))).mean,
        zStdReference: cells.length ? zStdReference(cells[0].dim) : null,
        loss: meanStd(finite(cells.map((c) => c.loss))).mean,
      });
    }
  }
  return {
    experiment: spec.name, title: spec.title, source: spec.source, metric, metricNote: note, preset: preset ?? all[0]?.preset ?? null, lines,
    findings: findingVerdicts({ name: spec.name, metric: spec.metric, findings }, rows, new Map([...failed].map(([l, rs]) => [l, rs.map((r) => r.seed)])), judge),
    damaged: damaged.map((r) => r.damaged!),
  };
}

/** An experiment's tables: one per preset it ran at (or only `preset`'s), so seeds of different presets are never averaged together. */
export function tablesByPreset(store: RunStore, spec: Parameters<typeof buildTable>[1], preset?: string): PaperTable[] {
  const ran = [...new Set(store.runSummaries(spec.name).map((r) => r.preset))];
  const presets = preset ? [preset] : ran.length ? ran : [undefined];
  return presets.map((p) => buildTable(store, spec, p));
}
