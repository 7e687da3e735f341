import ttest2 from '@stdlib/stats-ttest2';
import { findingRows, type Finding, type FindingTest } from '../experiments/findings.ts';
import type { MetricName } from '../experiments/spec.ts';
import type { RunStore, RunSummary } from '../runner/store/run-store.ts';
import { finalValue } from './tables.ts';

export const VERDICTS = ['reproduced', 'not reproduced', 'inconclusive'] as const;
export type Verdict = (typeof VERDICTS)[number];

export interface FindingVerdict {
  id: string;
  experiment: string;
  claim: string;
  /** The rows the claim is about. */
  rows: string[];
  verdict: Verdict;
  /** Seeds of the runs the verdict rests on. */
  seeds: number[];
  /** The numbers behind the verdict, in words. */
  evidence: string;
}

/** Significance level of every test between rows. */
export const ALPHA = 0.05;
/** A comparison between rows needs this many seeds of each; with fewer it is inconclusive. */
export const MIN_SEEDS = 3;
/**
 * kNN must rise this far (as a fraction) above the random-init kNN of epoch 0 to count as
 * learning (open: the paper's collapse is accuracy at chance; the embedded data's random
 * init already scores ~50%, so "no better than random init" is the test here).
 */
export const KNN_LEARNED = 0.05;

/** What the verdicts see of one finished or diverged run. */
export interface Seed {
  seed: number;
  diverged: boolean;
  /** The finding's metric, in % (null when diverged). */
  value: number | null;
  loss: number | null;
  zStd: number | null;
  zRef: number;
  cosine: boolean;
  knn0: number | null;
  knn: number | null;
  /** Mean over epochs after the first of the within-epoch std of the step loss. */
  lossStd: number | null;
}

export type Rows = Map<string, Seed[]>;
type Judged = { verdict: Verdict; evidence: string; seeds: number[] };

const pct = (x: number | null) => (x == null ? '–' : `${(100 * x).toFixed(1)}%`);
const f3 = (x: number | null) => (x == null ? '–' : x.toFixed(3));
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const seedsOf = (...groups: Seed[][]) => [...new Set(groups.flat().map((s) => s.seed))].sort((a, b) => a - b);

/** The three parts of a collapse (Sec. 4.1), each judged on its own. */
function collapseParts(s: Seed): { loss: boolean; z: boolean; knn: boolean } {
  return {
    loss: !s.cosine || (s.loss != null && s.loss < -0.95),
    z: s.zStd != null && s.zStd < 0.25 * s.zRef,
    knn: s.knn != null && s.knn0 != null && s.knn <= s.knn0 + KNN_LEARNED,
  };
}

function describeSeed(s: Seed): string {
  if (s.diverged) return `seed ${s.seed}: diverged`;
  return `seed ${s.seed}: loss ${f3(s.loss)}, z_std ${s.zStd?.toFixed(4) ?? '–'} (1/√d ${s.zRef.toFixed(4)}), kNN ${pct(s.knn)} vs ${pct(s.knn0)} at init`;
}

function noData(row: string): Judged {
  return { verdict: 'inconclusive', evidence: `no finished run of "${row}"`, seeds: [] };
}

/** Welch's t-test of a against b; `difference` is the null's mean(a) − mean(b). */
function welch(a: number[], b: number[], alternative: 'less' | 'greater', difference = 0): number {
  return ttest2(a, b, { alternative, difference, alpha: ALPHA, variance: 'unequal' }).pValue;
}

/**
 * A comparison's verdict: reproduced when the test of the claim is significant, not
 * reproduced when the test of its opposite is, inconclusive otherwise (seeds too few or
 * too noisy to tell either way).
 */
function decide(pClaim: number, pAgainst: number): Verdict {
  return pClaim < ALPHA ? 'reproduced' : pAgainst < ALPHA ? 'not reproduced' : 'inconclusive';
}

function values(rows: Rows, row: string): number[] {
  return (rows.get(row) ?? []).map((s) => s.value).filter((v): v is number => v != null);
}

function tooFew(rows: Rows, labels: string[]): string | null {
  const short = labels.filter((l) => values(rows, l).length < MIN_SEEDS);
  return short.length ? `${short.map((l) => `"${l}" has ${values(rows, l).length}`).join(', ')} seed(s); a comparison needs ${MIN_SEEDS}` : null;
}

function means(rows: Rows, labels: string[]): string {
  return labels.map((l) => {
    const v = values(rows, l);
    return `"${l}" ${v.length ? mean(v).toFixed(1) : '–'}${v.length > 1 ? ` ± ${Math.sqrt(v.reduce((a, x) => a + (x - mean(v)) ** 2, 0) / (v.length - 1)).toFixed(1)}` : ''} (n=${v.length})`;
  }).join(' vs ');
}

/** Judge one test against the rows' results. */
export function judge(t: FindingTest, rows: Rows): Judged {
  switch (t.kind) {
    case 'collapses': case 'trains': case 'fails': {
      const seeds = rows.get(t.row) ?? [];
      if (!seeds.length) return noData(t.row);
      const collapsed = seeds.map((s) => s.diverged || Object.values(collapseParts(s)).every(Boolean));
      const learned = seeds.map((s) => !s.diverged && s.knn != null && s.knn0 != null && s.knn > s.knn0 + KNN_LEARNED);
      const ok = t.kind === 'collapses' ? collapsed.every(Boolean)
        : t.kind === 'trains' ? collapsed.every((c) => !c) && learned.every(Boolean)
          : collapsed.every((c) => !c) && learned.every((l) => !l);
      const what = t.kind === 'collapses' ? 'every seed collapsed (loss near −1, z_std below ¼ of 1/√d, kNN no better than at init)'
        : t.kind === 'trains' ? `no seed collapsed and kNN rose more than ${100 * KNN_LEARNED} points above init`
          : `no seed collapsed and kNN rose no more than ${100 * KNN_LEARNED} points above init`;
      return { verdict: ok ? 'reproduced' : 'not reproduced', evidence: `${ok ? '' : 'not: '}${what}; ${seeds.map(describeSeed).join('; ')}`, seeds: seedsOf(seeds) };
    }
    case 'below': case 'at-least': {
      const seeds = seedsOf(rows.get(t.row) ?? [], rows.get(t.than) ?? []);
      const few = tooFew(rows, [t.row, t.than]);
      const m = means(rows, [t.row, t.than]);
      if (few) return { verdict: 'inconclusive', evidence: `${m}; ${few}`, seeds };
      const a = values(rows, t.row), b = values(rows, t.than);
      const diff = mean(a) - mean(b);
      if (t.kind === 'below') {
        const p = welch(a, b, 'less'), against = welch(a, b, 'greater');
        return { verdict: decide(p, against), evidence: `${m}; difference ${diff.toFixed(2)} points, Welch one-sided p = ${p.toPrecision(2)}, against ${against.toPrecision(2)} (α = ${ALPHA})`, seeds };
      }
      // Non-inferiority: mean(a) − mean(b) > −margin; against it, significantly below that.
      const p = welch(a, b, 'greater', -t.margin), against = welch(a, b, 'less', -t.margin);
      return { verdict: decide(p, against), evidence: `${m}; difference ${diff.toFixed(2)} points, margin −${t.margin}, Welch non-inferiority p = ${p.toPrecision(2)}, against ${against.toPrecision(2)} (α = ${ALPHA})`, seeds };
    }
    case 'within': {
      const present = t.rows.filter((r) => (rows.get(r) ?? []).length);
      const absent = t.rows.filter((r) => !present.includes(r));
      const seeds = seedsOf(...present.map((r) => rows.get(r)!));
      const note = absent.length ? `; not run: ${absent.map((r) => `"${r}"`).join(', ')}` : '';
      const few = tooFew(rows, present);
      if (present.length < 2 || few) return { verdict: 'inconclusive', evidence: `${means(rows, present)}${few ? `; ${few}` : ''}${note}`, seeds };
      const byMean = [...present].sort((x, y) => mean(values(rows, x)) - mean(values(rows, y)));
      const lo = byMean[0], hi = byMean[byMean.length - 1];
      const a = values(rows, hi), b = values(rows, lo);
      const spread = mean(a) - mean(b);
      // Equivalence of the farthest pair (two one-sided tests): the difference lies within ±within.
      const p = Math.max(welch(a, b, 'less', t.within), welch(a, b, 'greater', -t.within));
      // Against it: the farthest pair lies significantly more than `within` apart, whatever the rows not run would show.
      const against = welch(a, b, 'greater', t.within);
      const verdict: Verdict = against < ALPHA ? 'not reproduced' : absent.length ? 'inconclusive' : decide(p, against);
      return { verdict, evidence: `spread ${spread.toFixed(2)} points ("${hi}" − "${lo}"), bound ±${t.within}, TOST p = ${p.toPrecision(2)}, beyond the bound p = ${against.toPrecision(2)} (α = ${ALPHA}); ${means(rows, present)}${note}`, seeds };
    }
    case 'unstable': {
      const row = rows.get(t.row) ?? [], ref = rows.get(t.than) ?? [];
      const seeds = seedsOf(row, ref);
      if (!row.length) return noData(t.row);
      if (row.every((s) => s.diverged)) return { verdict: 'reproduced', evidence: `every seed of "${t.row}" diverged`, seeds };
      const a = row.map((s) => s.lossStd).filter((v): v is number => v != null);
      const b = ref.map((s) => s.lossStd).filter((v): v is number => v != null);
      const m = `within-epoch loss std "${t.row}" ${a.length ? mean(a).toFixed(4) : '–'} (n=${a.length}) vs "${t.than}" ${b.length ? mean(b).toFixed(4) : '–'} (n=${b.length})`;
      if (a.length < MIN_SEEDS || b.length < MIN_SEEDS) return { verdict: 'inconclusive', evidence: `${m}; a comparison needs ${MIN_SEEDS} seeds of each`, seeds };
      const p = welch(a, b, 'greater'), against = welch(a, b, 'less');
      return { verdict: decide(p, against), evidence: `${m}; Welch one-sided p = ${p.toPrecision(2)}, against ${against.toPrecision(2)} (α = ${ALPHA})`, seeds };
    }
    case 'all': {
      const parts = t.of.map((x) => judge(x, rows));
      const verdict: Verdict = parts.every((x) => x.verdict === 'reproduced') ? 'reproduced'
        : parts.some((x) => x.verdict === 'not reproduced') ? 'not reproduced' : 'inconclusive';
      return { verdict, evidence: parts.map((x) => `[${x.verdict}] ${x.evidence}`).join(' · '), seeds: [...new Set(parts.flatMap((x) => x.seeds))].sort((a, b) => a - b) };
    }
  }
}

/** Each row's finished and diverged runs as the verdicts see them, for one metric. */
export function rowSeeds(store: RunStore, experiment: string, metric: MetricName, preset?: string): Rows {
  const runs: RunSummary[] = store.runSummaries(experiment)
    .filter((r) => (r.status === 'finished' || r.status === 'diverged') && (!preset || r.preset === preset));
  const knn = store.experimentSeries(experiment, 'knn_acc');
  const lossStd = store.experimentSeries(experiment, 'loss_std');
  const rows: Rows = new Map();
  for (const r of runs) {
    const v = r.status === 'finished' ? finalValue(store, r, metric) : null;
    const stds = (lossStd.get(r.id) ?? []).slice(1).filter(Number.isFinite); // the first epoch holds the warm-up's fall
    const seed: Seed = {
      seed: r.seed, diverged: r.status === 'diverged', value: v == null || !Number.isFinite(v) ? null : 100 * v,
      loss: r.finalLoss, zStd: r.finalZStd, zRef: 1 / Math.sqrt(r.dim ?? 1), cosine: (r.similarity ?? 'cosine') === 'cosine',
      knn0: knn.get(r.id)?.[0] ?? null, knn: r.finalKnnAcc, lossStd: stds.length ? mean(stds) : null,
    };
    rows.set(r.rowLabel, [...(rows.get(r.rowLabel) ?? []), seed]);
  }
  return rows;
}

/** Verdicts of an experiment's findings from the store. */
export function findingVerdicts(store: RunStore, spec: { name: string; metric: MetricName; findings?: Finding[] }, preset?: string): FindingVerdict[] {
  const byMetric = new Map<MetricName, Rows>(); // read the runs once per metric, not once per finding
  const rowsFor = (m: MetricName) => byMetric.get(m) ?? byMetric.set(m, rowSeeds(store, spec.name, m, preset)).get(m)!;
  return (spec.findings ?? []).map((f) => {
    const j = judge(f.test, rowsFor(f.metric ?? spec.metric));
    return { id: f.id, experiment: spec.name, claim: f.claim, rows: [...new Set(findingRows(f.test))], ...j };
  });
}
