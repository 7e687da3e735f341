import { zStdReference } from '../core/eval/z-reference.ts';
import { fmtBytes } from '../runner/format.ts';
import type { ExperimentSummary, Run, RunStatus, RunStore, RunSummary } from '../runner/store/run-store.ts';
import { ours, paper, zstd } from '../results/render-table.ts';
import { forestPlot, forestRows } from '../results/report/forest.ts';
import { meanStd, type PaperTable } from '../results/tables.ts';
import { verdictBadge, type FindingVerdict } from '../results/verdicts.ts';

/** Pure functions from domain objects to template data: formatting, filtering, sorting, paging, grouping. */

export const PAGE_SIZE = 50;
export const SORT_KEYS = ['id', 'row', 'seed', 'status', 'loss', 'z_std', 'knn_acc', 'linear_acc', 'duration'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

export const fmtPct = (x: number | null) => (x == null ? '–' : `${(100 * x).toFixed(1)}%`);
export const fmtNum = (x: number | null, digits = 4) => (x == null ? '–' : x.toFixed(digits));
export const fmtDate = (d: Date | null) => (d ? d.toISOString().replace('T', ' ').slice(0, 19) : '–');

export function fmtDuration(ms: number | null): string {
  if (ms == null || ms < 0) return '–';
  const s = Math.round(ms / 1000);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** The experiments with their verdicts at each preset they ran at, as badges. */
export function experimentsView(list: ExperimentSummary[], verdicts: (name: string) => { preset: string | null; findings: FindingVerdict[] }[] = () => []) {
  return list.map((e) => ({
    verdicts: verdicts(e.name).filter((v) => v.findings.length).map((v) => ({ preset: v.preset ?? '–', badges: v.findings.map(verdictBadge) })),
    name: e.name, title: e.title, lastActivity: fmtDate(e.lastActivity),
    total: Object.values(e.counts).reduce((a, b) => a + b, 0),
    finished: e.counts.finished, running: e.counts.running, failed: e.counts.failed, diverged: e.counts.diverged,
    pending: e.counts.queued + e.counts.interrupted,
  }));
}

/** Query of the experiment page, already validated. */
export interface GridQuery {
  status: RunStatus[];
  row: string | null;
  seed: number | null;
  axes: Record<string, string>;
  sort: SortKey;
  desc: boolean;
  page: number;
  group: string | null;
}

const axisValue = (r: RunSummary, path: string) => JSON.stringify(r.axes[path]);

function sortValue(r: RunSummary, k: SortKey): number | string {
  switch (k) {
    case 'id': return r.id;
    case 'row': return r.rowLabel;
    case 'seed': return r.seed;
    case 'status': return r.status;
    case 'loss': return r.finalLoss ?? Infinity;
    case 'z_std': return r.finalZStd ?? -Infinity;
    case 'knn_acc': return r.finalKnnAcc ?? -Infinity;
    case 'linear_acc': return r.finalLinearAcc ?? -Infinity;
    case 'duration': return r.startedAt && r.finishedAt ? r.finishedAt.getTime() - r.startedAt.getTime() : Infinity;
  }
}

export function filterRuns(runs: RunSummary[], q: GridQuery): RunSummary[] {
  return runs.filter((r) => (q.status.length === 0 || q.status.includes(r.status))
    && (q.row == null || r.rowLabel === q.row)
    && (q.seed == null || r.seed === q.seed)
    && Object.entries(q.axes).every(([p, v]) => axisValue(r, p) === v));
}

export function sortRuns(runs: RunSummary[], key: SortKey, desc: boolean): RunSummary[] {
  return [...runs].sort((a, b) => {
    const x = sortValue(a, key), y = sortValue(b, key);
    if (x === y) return a.id - b.id; // ties keep creation order either way
    const c = x < y ? -1 : 1;
    return desc ? -c : c;
  });
}

/** Fractions as a percentage, with ± std when there is more than one. */
function pctMeanStd(xs: number[]): string {
  const { mean, std } = meanStd(xs);
  if (mean == null) return '–';
  return xs.length === 1 ? `${(100 * mean).toFixed(1)}%` : `${(100 * mean).toFixed(1)} ± ${(100 * std!).toFixed(1)}%`;
}

/** Group by the row label or an axis: mean ± std of the final accuracies over the group's finished runs. */
export function groupRuns(runs: RunSummary[], by: string) {
  const key = (r: RunSummary) => (by === 'row' ? r.rowLabel : axisValue(r, by));
  const groups = new Map<string, RunSummary[]>();
  for (const r of runs) groups.set(key(r), [...(groups.get(key(r)) ?? []), r]);
  return [...groups.entries()].map(([value, rs]) => {
    const done = rs.filter((r) => r.status === 'finished');
    return {
      value, runs: rs.length, finished: done.length,
      knn: pctMeanStd(done.map((r) => r.finalKnnAcc).filter((v): v is number => v != null)),
      linear: pctMeanStd(done.map((r) => r.finalLinearAcc).filter((v): v is number => v != null)),
    };
  });
}

/** The run a shared cell copies, read when asked (a damaged or missing source reads as none). */
export function sourceOf(store: Pick<RunStore, 'getRun'>): (id: number) => Run | undefined {
  return (id) => {
    try {
      return store.getRun(id);
    } catch {
      return undefined;
    }
  };
}

/** A run's duration, or for a shared cell its source's, with the experiment it came from. */
function durationOf(r: { startedAt: Date | null; finishedAt: Date | null; reusedFrom: number | null }, source?: (id: number) => Run | undefined): string {
  const from = r.reusedFrom != null ? source?.(r.reusedFrom) : undefined;
  const t = from ?? r;
  const d = fmtDuration(t.startedAt && t.finishedAt ? t.finishedAt.getTime() - t.startedAt.getTime() : t.startedAt ? Date.now() - t.startedAt.getTime() : null);
  return r.reusedFrom == null ? d : from ? `${d} (shared: trained by ${from.experiment}, run ${from.id})` : `shared from run ${r.reusedFrom}`;
}

export function runRow(r: RunSummary, source?: (id: number) => Run | undefined) {
  return {
    id: r.id, row: r.rowLabel, seed: r.seed, status: r.status,
    axes: Object.values(r.axes).map((v) => JSON.stringify(v)),
    loss: fmtNum(r.finalLoss), zStd: fmtNum(r.finalZStd), zRef: r.dim ? fmtNum(zStdReference(r.dim)) : '–',
    knn: fmtPct(r.finalKnnAcc), linear: fmtPct(r.finalLinearAcc),
    duration: durationOf(r, source),
    checkpoint: r.checkpointEpoch != null && !['finished', 'diverged'].includes(r.status) ? `checkpoint: epoch ${r.checkpointEpoch}` : null,
    kept: r.kept ? (r.kept.kind === 'all' ? 'final state kept' : 'encoder kept') : null,
  };
}

/** The paths and values at which resolved configurations differ: what names each run in a comparison. */
export function configDiff(configs: unknown[]): string[][] {
  const flat = configs.map((c) => flatten(c));
  const keys = [...new Set(flat.flatMap((f) => Object.keys(f)))].sort();
  const differing = keys.filter((k) => new Set(flat.map((f) => JSON.stringify(f[k]))).size > 1);
  return flat.map((f) => differing.map((k) => `${k}=${f[k] === undefined ? '∅' : JSON.stringify(f[k])}`));
}

function flatten(x: unknown, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  if (x && typeof x === 'object' && !Array.isArray(x)) {
    for (const [k, v] of Object.entries(x)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else out[prefix] = x;
  return out;
}

/** A running (or interrupted) cell's checkpoint, and a finished cell's kept network with the command that exports it. */
function checkpointView(run: Run, db: string) {
  const epochs = (run.config as { epochs?: number }).epochs;
  const checkpoint = run.checkpointEpoch != null && !['finished', 'diverged'].includes(run.status)
    ? `epoch ${run.checkpointEpoch} of ${epochs ?? '?'}${run.status === 'running' ? '' : ' (the next run resumes from it)'}` : null;
  const kept = run.kept ? {
    what: run.kept.kind === 'all' ? 'whole final state (encoder, predictor, momenta)' : 'encoder (backbone + projector)',
    file: run.kept.file, size: fmtBytes(run.kept.bytes),
    exportCommand: `simsiam export ${run.id} --format onnx --out run-${run.id}.onnx --db ${db}`,
    evalCommand: `simsiam eval ${run.id} --probe linear --db ${db}`,
  } : null;
  return { checkpoint, kept };
}

export function runView(run: Run, source?: (id: number) => Run | undefined, db = 'results.db') {
  return {
    ...checkpointView(run, db),
    id: run.id, experiment: run.experiment, row: run.rowLabel, seed: run.seed, status: run.status, preset: run.preset,
    axes: JSON.stringify(run.axes), backend: run.backend ?? '–', device: run.device ?? '–', version: run.packageVersion, commit: run.gitCommit ?? '–',
    host: run.host, started: fmtDate(run.startedAt), finished: fmtDate(run.finishedAt),
    duration: durationOf(run, source),
    error: run.error, config: JSON.stringify(run.config, null, 2),
    zRef: zStdReference((run.config as { projector: { dim: number } }).projector.dim),
  };
}

/** The CSS class of a table cell's outcome: the gravest part its runs show. */
export function outcomeClass(outcome: string): string {
  return outcome === 'missing' || outcome === 'failed' ? outcome
    : outcome.includes('diverged') ? 'diverged' : outcome.includes('z collapsed') ? 'collapsed' : outcome.includes('representation lost') ? 'lost' : 'ok';
}

export function tableView(t: PaperTable) {
  const axisNames = [...new Set(t.lines.flatMap((l) => Object.keys(l.axes)))];
  return {
    experiment: t.experiment, title: t.title, source: t.source, preset: t.preset ?? '–', axisNames,
    metric: t.metric === 'linear_acc' ? 'linear acc.' : t.metric === 'knn_acc' ? 'kNN acc.' : t.metric, metricNote: t.metricNote, knnColumn: t.metric !== 'knn_acc',
    lines: t.lines.map((l) => ({
      variant: l.variant, axes: axisNames.map((a) => (a in l.axes ? JSON.stringify(l.axes[a]) : '')),
      ours: ours(l), knn: l.knn == null ? '–' : l.knn.toFixed(1), paper: paper(l), outcome: l.outcome, outcomeClass: outcomeClass(l.outcome), zStd: zstd(l),
      loss: fmtNum(l.loss), failed: l.failed,
    })),
    findings: t.findings.map((f) => ({
      ...f, verdictClass: f.verdict.replace(/ /g, '-'), seeds: f.seeds.join(', ') || 'none',
      forest: forestPlot(`${f.id}: ${f.verdict}`, forestRows(f, (label) => {
        const p = t.lines.find((l) => l.variant === label)?.paper;
        return typeof p === 'number' ? p : null;
      })),
    })),
  };
}
