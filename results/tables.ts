import type { Finding } from '../experiments/findings.ts';
import { EXPERIMENTS } from '../experiments/registry.ts';
import type { ExperimentSpec, MetricName, TableRow } from '../experiments/spec.ts';
import type { RunStore, RunSummary } from '../runner/store/run-store.ts';
import { findingVerdicts, type FindingVerdict } from './verdicts.ts';

/** What the metrics of a run say happened. */
export type Outcome = 'ok' | 'collapsed' | 'diverged' | 'unstable';

export interface CellResult {
  run: RunSummary;
  value: number | null;
  outcome: Outcome;
  finalLoss: number | null;
  finalZStd: number | null;
  zStdReference: number;
}

export interface TableLine {
  variant: string;
  axes: Record<string, unknown>;
  paper: number | string | null;
  /** Mean and std of the metric over finished seeds, as %; null when none finished. */
  mean: number | null;
  std: number | null;
  n: number;
  outcome: string;
  zStd: number | null;
  zStdReference: number | null;
  loss: number | null;
}

export interface PaperTable {
  experiment: string;
  title: string;
  source: string;
  metric: MetricName;
  preset: string | null;
  lines: TableLine[];
  /** The experiment's findings, each with its verdict and evidence. */
  findings: FindingVerdict[];
}

/** What classifying a run needs: its status, d, similarity, per-epoch loss and final z_std. */
export interface RunTrace {
  status: RunSummary['status'];
  dim: number;
  similarity: string;
  loss: number[];
  finalZStd: number | null;
}

/**
 * Classify a run from its metrics. `collapsed`: final z_std below a quarter of 1/sqrt(d)
 * and, for the cosine loss, the loss within 0.05 of its minimum -1 (the cross-entropy
 * minimum depends on z, so there z_std alone decides). `unstable`: after the first
 * epoch the per-epoch loss changes direction at least twice and its epoch-to-epoch
 * changes average more than 0.05. `diverged`: the run ended on a NaN or infinite loss.
 */
export function classify(r: RunTrace): Omit<CellResult, 'run' | 'value'> {
  const ref = 1 / Math.sqrt(r.dim);
  const finalLoss = r.loss.length ? r.loss[r.loss.length - 1] : null;
  const { finalZStd } = r;
  let outcome: Outcome = 'ok';
  if (r.status === 'diverged') outcome = 'diverged';
  else if (finalZStd != null && finalZStd < 0.25 * ref && (r.similarity !== 'cosine' || (finalLoss != null && finalLoss < -0.95))) outcome = 'collapsed';
  else {
    const tail = r.loss.slice(1);
    const d = tail.slice(1).map((v, i) => v - tail[i]);
    const turns = d.slice(1).filter((v, i) => Math.sign(v) !== Math.sign(d[i]) && v !== 0).length;
    const swing = d.length ? d.reduce((a, v) => a + Math.abs(v), 0) / d.length : 0;
    if (turns >= 2 && swing > 0.05) outcome = 'unstable';
  }
  return { outcome, finalLoss, finalZStd, zStdReference: ref };
}

/** A run's final value of the table's metric, from the columns kept on the run. */
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

/** The paper's table for one experiment (at one preset, or all), from the store's runs only. Cells not yet run show as missing. */
export function buildTable(
  store: RunStore, spec: Pick<ExperimentSpec, 'name' | 'title' | 'source' | 'metric' | 'findings'> & { rows: Pick<TableRow, 'label' | 'paper'>[] },
  preset?: string,
): PaperTable {
  const runs = store.runSummaries(spec.name).filter((r) => !preset || r.preset === preset);
  const losses = store.experimentSeries(spec.name, 'loss');
  const results: CellResult[] = runs.filter((r) => r.status === 'finished' || r.status === 'diverged').map((run) => {
    const value = run.status === 'finished' ? finalValue(store, run, spec.metric) : null;
    const loss = losses.get(run.id) ?? [];
    const trace = { status: run.status, dim: run.dim ?? 1, similarity: run.similarity ?? 'cosine', loss, finalZStd: run.finalZStd };
    return { run, value: value == null || !Number.isFinite(value) ? null : 100 * value, ...classify(trace) };
  });
  const key = (row: string, axes: Record<string, unknown>) => `${row}\u0000${JSON.stringify(axes)}`;
  const combos = [...new Map(runs.map((r) => [JSON.stringify(r.axes), r.axes])).values()];
  const byCell = new Map<string, CellResult[]>();
  for (const c of results) byCell.set(key(c.run.rowLabel, c.run.axes), [...(byCell.get(key(c.run.rowLabel, c.run.axes)) ?? []), c]);
  const failedCells = new Set(runs.filter((r) => r.status === 'failed').map((r) => key(r.rowLabel, r.axes)));
  const lines: TableLine[] = [];
  for (const row of spec.rows) {
    for (const axes of combos.length ? combos : [{}]) {
      const cells = byCell.get(key(row.label, axes)) ?? [];
      const values = cells.map((c) => c.value).filter((v): v is number => v != null);
      const outcomes = [...new Set(cells.map((c) => c.outcome))];
      const failed = failedCells.has(key(row.label, axes));
      const outcome = cells.length === 0 ? (failed ? 'failed' : 'missing')
        : outcomes.length === 1 ? outcomes[0]
          : outcomes.map((o) => `${o} ${cells.filter((c) => c.outcome === o).length}/${cells.length}`).join(', ');
      const z = meanStd(cells.map((c) => c.finalZStd).filter((v): v is number => v != null && Number.isFinite(v)));
      const l = meanStd(cells.map((c) => c.finalLoss).filter((v): v is number => v != null && Number.isFinite(v)));
      lines.push({
        variant: row.label, axes, paper: row.paper, ...meanStd(values), n: values.length, outcome,
        zStd: z.mean, zStdReference: cells[0]?.zStdReference ?? null, loss: l.mean,
      });
    }
  }
  return {
    experiment: spec.name, title: spec.title, source: spec.source, metric: spec.metric, preset: preset ?? runs[0]?.preset ?? null, lines,
    findings: findingVerdicts(store, { ...spec, findings: findingsOf(spec) }, preset),
  };
}

/** An experiment's tables: one per preset it ran at (or only `preset`'s), so seeds of different presets are never averaged together. */
export function tablesByPreset(store: RunStore, spec: Parameters<typeof buildTable>[1], preset?: string): PaperTable[] {
  const ran = [...new Set(store.runSummaries(spec.name).map((r) => r.preset))];
  const presets = preset ? [preset] : ran.length ? ran : [undefined];
  return presets.map((p) => buildTable(store, spec, p));
}
