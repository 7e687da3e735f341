import { zStdReference } from '../../core/eval/z-reference.ts';
import fs from 'node:fs';
import os from 'node:os';
import { testKinds, type Finding } from '../../experiments/findings.ts';
import type { ExperimentSpec } from '../../experiments/spec.ts';
import { SetupError } from '../../core/user-error.ts';
import { decideTogether, REPRODUCED, summaryRows, type FindingRow } from '../findings-summary.ts';
import type { RunStore, RunSummary } from '../../runner/store/run-store.ts';
import { describeSeeds } from '../seeds.ts';
import { git } from '../../runner/environment.ts';
import { provenance, type Git, type Provenance } from './provenance.ts';
import { buildTable, findingsOf, type PaperTable } from '../tables.ts';

/** Per-epoch curves of one row: the mean over its finished seeds. */
export interface RowCurves {
  label: string;
  seeds: number;
  loss: number[];
  zStd: number[];
  /** From epoch 0 (random init). */
  knn: number[];
}

export interface Report {
  preset: string;
  generatedAt: string;
  /** The reproduce command that makes these cells: this preset, the seeds found, and their backend where they share one. */
  command: string;
  /** The seeds and what each may serve (confirmation, calibration, development). */
  seeds: string;
  findings: FindingRow[];
  tables: PaperTable[];
  /** Fig. 2-style curves of the experiments with a collapse claim. */
  curves: { experiment: string; zStdReference: number; rows: RowCurves[] }[];
  environment: { label: string; value: string }[];
  /** The plan, the commits and whether the rules changed after the first cell: the head's sentences. */
  provenance: Provenance;
  compute: {
    cells: number; byStatus: Record<string, number>; reused: number; computeSeconds: number;
    /** Time during which some cell was training: the span of each part, without the pauses between parts. */
    wallSeconds: number;
    /** Spans of training separated by more than PART_GAP_S with none: the runs a resumed reproduction took. */
    parts: number;
  };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Element-wise mean of series of possibly different lengths (up to the shortest). */
function meanCurve(series: number[][]): number[] {
  if (!series.length) return [];
  const n = Math.min(...series.map((s) => s.length));
  return Array.from({ length: n }, (_, i) => mean(series.map((s) => s[i])));
}

/** A pause longer than this between cells separates two parts of a resumed reproduction. */
export const PART_GAP_S = 120;

/** Merges [start, end] intervals (ms) that overlap or lie within PART_GAP_S: their total length and count. */
export function busySpans(intervals: [number, number][]): { seconds: number; parts: number } {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  const spans: [number, number][] = [];
  for (const [a, b] of sorted) {
    const last = spans.at(-1);
    if (last && a - last[1] <= PART_GAP_S * 1000) last[1] = Math.max(last[1], b);
    else spans.push([a, b]);
  }
  return { seconds: spans.reduce((t, [a, b]) => t + (b - a) / 1000, 0), parts: spans.length };
}

/** The preset most of the database's runs used. */
export function commonestPreset(store: RunStore): string | null {
  const count = new Map<string, number>();
  for (const r of store.findRuns()) count.set(r.preset, (count.get(r.preset) ?? 0) + 1);
  return [...count].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
}

/** The stored specs of the store's experiments, or of those named (each must be there). */
function specsOf(store: RunStore, only?: string[]): ExperimentSpec[] {
  const all = store.listExperiments();
  const missing = (only ?? []).filter((n) => !all.some((e) => e.name === n));
  if (missing.length) throw new SetupError(`no experiment ${missing.map((n) => `'${n}'`).join(', ')} in this database; it has: ${all.map((e) => e.name).join(', ') || 'none'}`);
  return all.filter((e) => !only || only.includes(e.name)).map((e) => e.spec as ExperimentSpec);
}

function hasCollapseClaim(findings: Finding[] | undefined): boolean {
  return (findings ?? []).some((f) => testKinds(f.test).includes('collapses'));
}

function distinct(xs: (string | null)[]): string {
  const c = new Map<string, number>();
  for (const x of xs) c.set(x ?? 'unknown', (c.get(x ?? 'unknown') ?? 0) + 1);
  return [...c].map(([k, n]) => `${k} (${n} cells)`).join(', ') || '–';
}

function tfjsVersion(): string {
  try {
    return (JSON.parse(fs.readFileSync(new URL('../../node_modules/@tensorflow/tfjs/package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/**
 * The tables of every experiment with runs at the preset, their findings decided together:
 * one correction over every comparison the report shows (its family). The dashboard's
 * verdict badges use the same, so they agree with the report.
 */
export function reportTables(store: RunStore, preset: string, only?: string[]): PaperTable[] {
  const experiments = specsOf(store, only);
  return decideTogether(experiments.map((s) => buildTable(store, s, preset)).filter((t) => t.lines.some((l) => l.outcome !== 'missing')));
}

/** Everything the reproduction report shows, from the store's runs at one preset. */
export function buildReport(store: RunStore, preset: string, only?: string[], gitFn: Git = git): Report {
  const experiments = specsOf(store, only);
  const tables = reportTables(store, preset, only);
  const shown = new Set(tables.map((t) => t.experiment));
  const runs: RunSummary[] = experiments.filter((s) => shown.has(s.name)).flatMap((s) => store.runSummaries(s.name)).filter((r) => r.preset === preset && !r.damaged);
  const full = new Map(store.findRuns().map((r) => [r.id, r]));
  const curves = experiments.filter((s) => shown.has(s.name) && hasCollapseClaim(findingsOf(s))).map((s) => {
    const mine = runs.filter((r) => r.experiment === s.name && r.status === 'finished');
    const series = (name: 'loss' | 'z_std' | 'knn_acc') => store.experimentSeries(s.name, name);
    const [loss, z, knn] = [series('loss'), series('z_std'), series('knn_acc')];
    return {
      experiment: s.name,
      zStdReference: zStdReference(mine[0]?.dim ?? 1),
      rows: s.rows.map((row) => {
        const ids = mine.filter((r) => r.rowLabel === row.label).map((r) => r.id);
        const of = (m: Map<number, number[]>) => meanCurve(ids.map((id) => m.get(id) ?? []));
        return { label: row.label, seeds: ids.length, loss: of(loss), zStd: of(z), knn: of(knn) };
      }).filter((r) => r.seeds > 0),
    };
  });
  const trained = runs.filter((r) => full.get(r.id)?.reusedFrom == null && r.startedAt && r.finishedAt);
  const byStatus: Record<string, number> = {};
  for (const r of runs) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
  const busy = busySpans(trained.map((r) => [r.startedAt!.getTime(), r.finishedAt!.getTime()]));
  const seeds = [...new Set(runs.map((r) => r.seed))].sort((a, b) => a - b);
  // The environment of the results: cells still queued or interrupted computed nothing yet.
  const info = runs.filter((r) => r.status === 'finished' || r.status === 'diverged').map((r) => full.get(r.id)!);
  const backends = [...new Set(info.map((r) => r.backend).filter((b): b is string => b != null))];
  const backendFlag = backends.length === 1 ? ` --backend ${backends[0]}` : '';
  const names = tables.map((t) => t.experiment);
  const flags = `--preset ${preset} --seeds ${seeds.join(',')}${backendFlag}`;
  // Every built-in experiment is `reproduce`; a subset was made by `run`, one per experiment, as one shell line.
  // A plan's cells are made by running the plan; its preset, seeds and backend are in it.
  const planned = [...new Set(info.map((r) => r.planHash))];
  const planPath = planned.length === 1 && planned[0] != null ? store.plans().find((p) => p.hash === planned[0])?.path : undefined;
  const command = planPath ? `simsiam reproduce --plan ${planPath}`
    : REPRODUCED.every((n) => names.includes(n)) ? `simsiam reproduce ${flags}` : names.map((n) => `simsiam run ${n} ${flags}`).join(' && ');
  return {
    preset, generatedAt: new Date().toISOString(), command, seeds: describeSeeds(seeds), findings: summaryRows(tables), tables, curves,
    provenance: provenance(store, runs, gitFn, tables.flatMap((t) => t.findings).flatMap((f) => f.parts).map((p) => p.comparison?.family ?? p.rate?.family).find((m) => m != null) ?? null),
    environment: [
      { label: 'backend', value: distinct(info.map((r) => r.backend)) },
      { label: 'device', value: distinct(info.map((r) => r.device ?? '–')) },
      { label: 'threads', value: 'one cell per core; cores left over when fewer cells than cores run become wasm threads (not recorded per cell)' },
      { label: 'simsiam-lab', value: distinct(info.map((r) => r.packageVersion)) },
      { label: 'commit', value: distinct(info.map((r) => r.gitCommit?.slice(0, 12) ?? null)) },
      { label: 'hosts', value: distinct(info.map((r) => r.host)) },
      { label: 'report made with', value: `Node ${process.version}, TensorFlow.js ${tfjsVersion()}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'})` },
    ],
    compute: {
      cells: runs.length, byStatus, reused: info.filter((r) => r.reusedFrom != null).length,
      computeSeconds: trained.reduce((a, r) => a + (r.finishedAt!.getTime() - r.startedAt!.getTime()) / 1000, 0),
      wallSeconds: busy.seconds, parts: busy.parts,
    },
  };
}
