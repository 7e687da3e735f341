import type { ExperimentSpec, MetricName, TableRow } from '../experiments/spec.ts';
import type { MetricPoint, Run, RunStore } from './store/run-store.ts';

/** What the metrics of a run say happened. */
export type Outcome = 'ok' | 'collapsed' | 'diverged' | 'unstable';

export interface CellResult {
  run: Run;
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
}

const last = (pts: MetricPoint[]) => (pts.length ? pts[pts.length - 1].value : null);

/**
 * Classify a run from its metrics. `collapsed`: final z_std below a quarter of 1/sqrt(d)
 * and, for the cosine loss, the loss within 0.05 of its minimum -1 (the cross-entropy
 * minimum depends on z, so there z_std alone decides). `unstable`: after the first
 * epoch the per-epoch loss changes direction at least twice and its epoch-to-epoch
 * changes average more than 0.05. `diverged`: the run ended on a NaN or infinite loss.
 */
export function classify(run: Run, points: MetricPoint[]): Omit<CellResult, 'run' | 'value'> {
  const cfg = run.config as { projector: { dim: number }; similarity: { kind: string } };
  const ref = 1 / Math.sqrt(cfg.projector.dim);
  const loss = points.filter((p) => p.name === 'loss').map((p) => p.value);
  const finalLoss = loss.length ? loss[loss.length - 1] : null;
  const finalZStd = last(points.filter((p) => p.name === 'z_std'));
  let outcome: Outcome = 'ok';
  if (run.status === 'diverged') outcome = 'diverged';
  else if (finalZStd != null && finalZStd < 0.25 * ref && (cfg.similarity.kind !== 'cosine' || (finalLoss != null && finalLoss < -0.95))) outcome = 'collapsed';
  else {
    const tail = loss.slice(1);
    const d = tail.slice(1).map((v, i) => v - tail[i]);
    const turns = d.slice(1).filter((v, i) => Math.sign(v) !== Math.sign(d[i]) && v !== 0).length;
    const swing = d.length ? d.reduce((a, v) => a + Math.abs(v), 0) / d.length : 0;
    if (turns >= 2 && swing > 0.05) outcome = 'unstable';
  }
  return { outcome, finalLoss, finalZStd, zStdReference: ref };
}

function meanStd(xs: number[]): { mean: number | null; std: number | null } {
  if (xs.length === 0) return { mean: null, std: null };
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean, std };
}

function sameAxes(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The paper's table for one experiment, from the store's runs only. Cells not yet run show as missing. */
export function buildTable(store: RunStore, spec: Pick<ExperimentSpec, 'name' | 'title' | 'source' | 'metric'> & { rows: Pick<TableRow, 'label' | 'paper'>[] }): PaperTable {
  const runs = store.findRuns({ experiment: spec.name });
  const results: CellResult[] = runs.filter((r) => r.status === 'finished' || r.status === 'diverged').map((run) => {
    const points = store.metrics(run.id);
    const metricPts = points.filter((p) => p.name === spec.metric && Number.isFinite(p.value));
    const value = run.status === 'finished' ? last(metricPts) : null;
    return { run, value: value == null ? null : 100 * value, ...classify(run, points) };
  });
  const combos = runs.reduce<Record<string, unknown>[]>((acc, r) => (acc.some((a) => sameAxes(a, r.axes)) ? acc : [...acc, r.axes]), []);
  const lines: TableLine[] = [];
  for (const row of spec.rows) {
    for (const axes of combos.length ? combos : [{}]) {
      const cells = results.filter((c) => c.run.rowLabel === row.label && sameAxes(c.run.axes, axes));
      const values = cells.map((c) => c.value).filter((v): v is number => v != null);
      const outcomes = [...new Set(cells.map((c) => c.outcome))];
      const failed = runs.some((r) => r.rowLabel === row.label && sameAxes(r.axes, axes) && r.status === 'failed');
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
  return { experiment: spec.name, title: spec.title, source: spec.source, metric: spec.metric, preset: runs[0]?.preset ?? null, lines };
}
