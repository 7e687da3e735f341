import { findingRows, testKinds, type Finding, type FindingTest } from '../experiments/findings.ts';
import type { MetricName } from '../experiments/spec.ts';
import { describeRun, learnedOn, outcomeOf, zCollapseBound, type LearnedMetric, type Outcome } from './outcome.ts';
import { detectableDistance, rateP, tostPower } from './power.ts';
import { ALPHA, bonferroni, clopperPearson, familyP, MIN_PAIRS, POWER, pairedEffect, pairedP, type Effect, type RateDecision } from './stats.ts';
import { metricFor, shown, type SeedRun } from './runs.ts';

/**
 * Verdicts of the paper's findings (docs/findings.md): per-run claims as rates over seeds
 * (exact binomial tests against ½), comparisons paired by seed, Bonferroni over every
 * distinct test judged together, and a finding that its preset cannot test said to be so.
 */

export const VERDICTS = ['reproduced', 'not reproduced', 'inconclusive', 'not testable at this preset'] as const;
export type Verdict = (typeof VERDICTS)[number];

/** What every test of the family carries: its one-sided p each way and the p it enters the family with. */
export interface FamilyMember {
  /** Identity of the test's cells and rule, so that one shared by two findings is counted once. */
  key: string;
  /** One-sided p of the claim's direction, and of its opposite. */
  pClaim: number;
  pAgainst: number;
  /** The p entered into the family (stats.ts familyP). */
  pFamily: number;
  /** Set by decide(): Bonferroni-adjusted p, the family's size, what that decides. */
  pAdjusted?: number;
  family?: number;
  decision?: RateDecision;
}

/** A paired comparison of two rows over the seeds both ran. */
export interface Comparison extends FamilyMember {
  /** e.g. `"asym." − "sym."`. */
  what: string;
  unit: string;
  effect: Effect;
  /** The claim in terms of the mean difference, e.g. "< 0" or "> −1". */
  claim: string;
  /** Where the claim's threshold lies on the difference's scale (0, −margin, ±bound), for plots. */
  threshold: number[];
  /** Set by decide(): the smallest effect these pairs detect with 80% power at the family's level α/m, and what it measures. */
  detectable?: number;
  detectableWhat?: string;
}

/** A per-run claim as an exact binomial test of its rate against ½. */
export interface RateTest extends FamilyMember {
  row: string;
  k: number;
  n: number;
  /** Two-sided 95% Clopper–Pearson interval of the rate (shown, not used to decide). */
  lower: number;
  upper: number;
}

/** One part of a finding: a rate, or a comparison (both decided once the family is known), or a fixed answer. */
export interface Part {
  kind: FindingTest['kind'];
  /** The (sub)test it came from, and the rows it compares or counts. */
  test?: FindingTest;
  rows?: string[];
  /** Identity of the cells and test, for sharing. */
  key: string;
  decision?: RateDecision;
  comparison?: Comparison;
  rate?: RateTest;
  /** For a rate: how many of the row's runs hold the claim. */
  count?: { k: number; n: number };
  /** The part's numbers in a line, e.g. `"x" z collapsed 5/5, representation lost 5/5`. */
  summary: string;
}

export interface FindingVerdict {
  id: string;
  experiment: string;
  claim: string;
  /** The rows the claim is about. */
  rows: string[];
  /** The metric the comparisons used, and why where it is not the one asked for. */
  metric: MetricName;
  metricNote: string | null;
  verdict: Verdict;
  /** Seeds of the runs the verdict rests on. */
  seeds: number[];
  parts: Part[];
  /** Why the finding was not judged (mixed configurations, backends or commits; too little budget). */
  notJudged: string | null;
  /** The verdict's numbers in one line: counts and effects with intervals. */
  evidence: string;
  /** Per-seed evidence, a line each. */
  details: string[];
  /** Other findings that rest on some of the same cells and tests. */
  sharedWith: string[];
}

/** Each row's finished and diverged runs. */
export type Rows = Map<string, SeedRun[]>;

const unique = <T>(xs: T[]) => [...new Set(xs)];
const sorted = (xs: number[]) => unique(xs).sort((a, b) => a - b);
const fmt = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '∞');
const fmtP = (p: number) => (p < 1e-4 ? p.toExponential(1) : p.toPrecision(2));

/** The run's value of a metric, in % for accuracies; null where it has none. */
function value(r: SeedRun, metric: MetricName): number | null {
  return shown(metric, r.values[metric]);
}

/**
 * The seeds both rows ran, as paired differences a − b; the diverged seeds and the seeds
 * without a value, which are left out and named; and the seeds one row lacks.
 */
function pairs(rows: Rows, a: string, b: string, get: (r: SeedRun) => number | null) {
  const ra = rows.get(a) ?? [], rb = rows.get(b) ?? [];
  const seeds = sorted(ra.map((r) => r.seed)).filter((s) => rb.some((r) => r.seed === s));
  const diverged = seeds.filter((s) => [...ra, ...rb].some((r) => r.seed === s && outcomeOf(r).diverged));
  const d: number[] = [], used: number[] = [], missing: number[] = [];
  for (const s of seeds) {
    if (diverged.includes(s)) continue;
    const x = get(ra.find((r) => r.seed === s)!), y = get(rb.find((r) => r.seed === s)!);
    if (x != null && y != null) {
      d.push(x - y);
      used.push(s);
    } else missing.push(s);
  }
  return { d, seeds: used, diverged, missing, unpaired: unique([...ra, ...rb].map((r) => r.seed)).filter((s) => !seeds.includes(s)) };
}

function cellKey(rows: Rows, label: string): string {
  return `${(rows.get(label) ?? [])[0]?.configKey ?? `missing:${label}`}@${sorted((rows.get(label) ?? []).map((r) => r.seed)).join(',')}`;
}

/** How a comparison is tested: its claim on the mean difference and the one-sided p each way. */
interface CompareTest {
  claim: string;
  threshold: number[];
  pClaim: (d: number[]) => number;
  pAgainst: (d: number[]) => number;
}

/** A paired comparison, or why there is none. */
function compare(rows: Rows, a: string, b: string, get: (r: SeedRun) => number | null, unit: string, test: CompareTest, kind: FindingTest['kind'], tag: string): Part {
  const p = pairs(rows, a, b, get);
  const what = `"${a}" − "${b}"`;
  const key = `${tag}|${cellKey(rows, a)}|${cellKey(rows, b)}`;
  const labels = [a, b];
  // A diverged run has no value: the comparison rests on the other seeds and names it (a rate part, where the finding has one, counts it).
  const left = [
    ...(p.diverged.length ? [`seed(s) ${p.diverged.join(', ')} diverged and are left out`] : []),
    ...(p.missing.length ? [`seed(s) ${p.missing.join(', ')} have no ${unit || 'value'} and are left out`] : []),
  ].join('; ');
  const note = left ? ` (${left})` : '';
  if (p.unpaired.length) {
    return { kind, key, rows: labels, decision: 'inconclusive', summary: `${what}: seed(s) ${p.unpaired.join(', ')} ran in one row only; a comparison needs the same seeds in both` };
  }
  if (p.d.length < MIN_PAIRS) return { kind, key, rows: labels, decision: 'inconclusive', summary: `${what}: ${p.d.length} seed pair(s)${note}; a comparison needs ${MIN_PAIRS}` };
  const effect = pairedEffect(p.d);
  if (!(effect.sd > 0)) return { kind, key, rows: labels, decision: 'inconclusive', summary: `${what}: every seed gives the same difference ${effect.mean}${note}; with no spread the t-test is undefined` };
  const pClaim = test.pClaim(p.d), pAgainst = test.pAgainst(p.d);
  return {
    kind, key, rows: labels, summary: `${what}${note}`,
    comparison: { key, what: `${what}${note}`, unit, claim: test.claim, threshold: test.threshold, pClaim, pAgainst, pFamily: familyP(pClaim, pAgainst), effect },
  };
}

/** A per-run claim as an exact binomial test of the row's rate against ½; `on` says which accuracy "learned" read. */
function rate(rows: Rows, row: string, kind: FindingTest['kind'], holds: (o: Outcome, r: SeedRun) => boolean, what: string, on: LearnedMetric, judged: string): Part {
  const runs = rows.get(row) ?? [];
  const key = `${kind}|${on}|${cellKey(rows, row)}`;
  if (!runs.length) return { kind, key, decision: 'inconclusive', summary: `"${row}": no finished run` };
  const k = runs.filter((r) => holds(outcomeOf(r, on), r)).length, n = runs.length;
  const pClaim = rateP(k, n, 'greater'), pAgainst = rateP(k, n, 'less');
  const ci = clopperPearson(k, n);
  // kNN beside the judged metric, so that a reader sees both readings of "learned".
  const beside = on === 'linear_acc' ? `; on kNN ${runs.filter((r) => holds(outcomeOf(r, 'knn_acc'), r)).length}/${n}` : '';
  return {
    kind, key, count: { k, n },
    rate: { key, row, k, n, pClaim, pAgainst, pFamily: familyP(pClaim, pAgainst), lower: ci.lower, upper: ci.upper },
    summary: `"${row}" ${what} ${k}/${n} (95% CI ${(100 * ci.lower).toFixed(0)}–${(100 * ci.upper).toFixed(0)}%; ${judged}${beside})`,
  };
}

const LEARNED_WORDS: Record<LearnedMetric, string> = { knn_acc: 'kNN', linear_acc: 'linear accuracy' };

/** The parts of a test, before the family's correction, each with the (sub)test and rows it came from. */
function parts(t: FindingTest, rows: Rows, metric: MetricName, on: LearnedMetric): Part[] {
  if (t.kind === 'all') return t.of.flatMap((x) => parts(x, rows, metric, on));
  return testParts(t, rows, metric, on).map((p) => ({ ...p, test: t, rows: p.rows ?? findingRows(t) }));
}

/** The parts of one test that is not `all`; "learned" read on `on`. */
function testParts(t: FindingTest, rows: Rows, metric: MetricName, on: LearnedMetric): Part[] {
  const get = (r: SeedRun) => value(r, metric);
  const unit = metric.endsWith('_acc') ? 'points' : '';
  const judged = `judged on ${LEARNED_WORDS[on]} against random init`;
  switch (t.kind) {
    case 'collapses': return [rate(rows, t.row, t.kind, (o) => o.zCollapsed && o.representationLost, 'collapsed (z collapsed and representation lost)', on, judged)];
    case 'trains': return [rate(rows, t.row, t.kind, (o) => o.trains, 'trains', on, judged)];
    // A frozen h keeps the loss off −1 even when z collapses, so here z_std alone says whether z collapsed.
    case 'fails': return [rate(rows, t.row, t.kind, (o, r) => !o.diverged && r.zStd != null && r.zStd >= zCollapseBound(r.dim) && o.representationLost && o.lossHigh,
      `fails without collapsing (loss above −0.5, ${LEARNED_WORDS[on]} at init, z_std above the collapse bound)`, on, judged)];
    case 'below': return [compare(rows, t.row, t.than, get, unit, {
      claim: '< 0', threshold: [0], pClaim: (d) => pairedP(d, 'less'), pAgainst: (d) => pairedP(d, 'greater'),
    }, t.kind, `below|${metric}`)];
    case 'at-least': return [compare(rows, t.row, t.than, get, unit, {
      claim: `> −${t.margin}`, threshold: [-t.margin],
      pClaim: (d) => pairedP(d, 'greater', -t.margin), pAgainst: (d) => pairedP(d, 'less', -t.margin),
    }, t.kind, `at-least|${metric}|${t.margin}`)];
    case 'within': {
      const present = t.rows.filter((r) => (rows.get(r) ?? []).length);
      const absent = t.rows.filter((r) => !present.includes(r));
      const out: Part[] = absent.map((r) => ({ kind: t.kind, key: `absent|${r}`, rows: [r], decision: 'inconclusive' as const, summary: `"${r}": not run at this preset` }));
      // Every pair: the two one-sided tests (TOST) that the difference lies inside ±within,
      // against its complement, that it lies outside (either side: Bonferroni over the two).
      for (let i = 0; i < present.length; i++) {
        for (let j = i + 1; j < present.length; j++) {
          out.push(compare(rows, present[j], present[i], get, unit, {
            claim: `within ±${t.within}`, threshold: [-t.within, t.within],
            pClaim: (d) => Math.max(pairedP(d, 'greater', -t.within), pairedP(d, 'less', t.within)),
            pAgainst: (d) => Math.min(1, 2 * Math.min(pairedP(d, 'greater', t.within), pairedP(d, 'less', -t.within))),
          }, t.kind, `within|${metric}|${t.within}`));
        }
      }
      return out;
    }
    case 'unstable': return [
      compare(rows, t.row, t.than, (r) => r.lossStd, '', {
        claim: '> 0 (within-epoch loss std)', threshold: [0], pClaim: (d) => pairedP(d, 'greater'), pAgainst: (d) => pairedP(d, 'less'),
      }, t.kind, 'unstable|loss_std'),
      // The paper's instability oscillates; a run that diverges or collapses z counts against it.
      rate(rows, t.row, t.kind, (o) => !o.diverged && !o.zCollapsed, 'neither diverges nor collapses z', on, 'a diverged run counts against the claim'),
    ];
    case 'all': return parts(t, rows, metric, on);
  }
}

/** Why the finding's cells cannot be judged together, if they cannot. */
function mixed(rows: Rows, labels: string[], anyCommit: boolean): string | null {
  for (const l of labels) {
    const keys = unique((rows.get(l) ?? []).map((r) => r.configKey));
    if (keys.length > 1) return `row "${l}" mixes ${keys.length} configurations (axes or --set overrides); judge one at a time`;
  }
  const runs = labels.flatMap((l) => rows.get(l) ?? []);
  const keys = [['backends', (r: SeedRun) => r.backend ?? 'unknown'], ['commits', (r: SeedRun) => r.commit?.slice(0, 12) ?? 'unknown']] as const;
  for (const [name, get] of anyCommit ? keys.slice(0, 1) : keys) {
    const by = new Map<string, number>();
    for (const r of runs) by.set(get(r), (by.get(get(r)) ?? 0) + 1);
    if (by.size > 1) return `its cells mix ${name}: ${[...by].map(([k, n]) => `${k} (${n})`).join(', ')}; a verdict rests on one ${name.slice(0, -1)}`;
  }
  return null;
}

/** Why the preset is too small for the finding, if it is. */
function overBudget(f: Finding, rows: Rows, labels: string[]): string | null {
  if (!f.budget) return null;
  const short = labels.map((l) => [l, Math.min(...(rows.get(l) ?? []).map((r) => r.steps))] as const).filter(([, s]) => Number.isFinite(s) && s < f.budget!.minSteps);
  return short.length
    ? `${short.map(([l, s]) => `"${l}" gets ${s} SGD steps`).join(', ')} at this preset; the claim needs ≥ ${f.budget.minSteps} per cell (${f.budget.why})`
    : null;
}

/** How a finding is judged: a plan's calibration pools cells of several commits (only its spreads are read); a verdict never does. */
export interface JudgeOptions {
  anyCommit?: boolean;
}

/**
 * Judge one finding against its experiment's rows (and the seeds whose runs failed, by
 * row); comparisons wait for decide().
 */
export function judgeFinding(f: Finding, experiment: string, defaultMetric: MetricName, rows: Rows, failed: Map<string, number[]> = new Map(), opts: JudgeOptions = {}): FindingVerdict {
  const labels = unique(findingRows(f.test));
  const runs = labels.flatMap((l) => rows.get(l) ?? []);
  const { metric, note } = metricFor(f.metric ?? defaultMetric, runs);
  const learned = learnedOn(metric, runs);
  const rated = testKinds(f.test).some((k) => k === 'collapses' || k === 'trains' || k === 'fails' || k === 'unstable');
  const notes = [note, rated ? learned.note : null].filter(Boolean).join('; ') || null;
  const base = {
    id: f.id, experiment, claim: f.claim, rows: labels, metric, metricNote: notes, seeds: sorted(runs.map((r) => r.seed)),
    details: labels.flatMap((l) => (rows.get(l) ?? []).map((r) => `"${l}" ${describeRun(r, learned.on)}`)),
    sharedWith: [] as string[],
  };
  const crashed = labels.filter((l) => (failed.get(l) ?? []).length).map((l) => `seed(s) ${failed.get(l)!.join(', ')} of "${l}"`);
  const refused = crashed.length
    ? `${crashed.join(', ')} failed (crashed or killed) and have no result; run the same command again to complete them`
    : mixed(rows, labels, opts.anyCommit ?? false);
  if (refused) return { ...base, verdict: 'inconclusive', parts: [], notJudged: `not judged: ${refused}`, evidence: `not judged: ${refused}` };
  const budget = overBudget(f, rows, labels);
  if (budget) return { ...base, verdict: 'not testable at this preset', parts: [], notJudged: budget, evidence: budget };
  const ps: Part[] = parts(f.test, rows, metric, learned.on);
  return { ...base, verdict: 'inconclusive', parts: ps, notJudged: null, evidence: '' };
}

/** A comparison's line: the effect with its interval, the p-values, what it decides. */
function comparisonLine(c: Comparison): string {
  const e = c.effect, u = c.unit ? ` ${c.unit}` : '';
  const d = c.unit ? 1 : 4;
  return `${c.what} = ${fmt(e.mean, d)}, 95% CI [${fmt(e.lo, d)}, ${fmt(e.hi, d)}]${u} (unadjusted; n=${e.n}; claim ${c.claim}); ` +
    `p = ${fmtP(c.pClaim)} for, ${fmtP(c.pAgainst)} against; Bonferroni over ${c.family} test(s): ${fmtP(c.pAdjusted!)}; ` +
    `${c.detectableWhat} ${fmt(c.detectable!, d)}${u} → ${c.decision}`;
}

/** A rate's line, once decided: its count, interval and p, as the family judged it. */
function rateLine(p: Part): string {
  const r = p.rate!;
  return `${p.summary}; p = ${fmtP(r.pClaim)} for, ${fmtP(r.pAgainst)} against (exact binomial vs ½); Bonferroni over ${r.family} test(s): ${fmtP(r.pAdjusted!)}`;
}

/**
 * What these pairs can resolve at the family's level α/m, with 80% power, from the
 * observed sd (a guide, not a power analysis made in advance: that is the plan's):
 * for `below` the smallest |difference|, for a margin the distance beyond it, for an
 * equivalence the smallest bound a true difference of 0 passes.
 */
function resolvable(c: Comparison, level: number): { value: number; what: string } {
  const { sd, n } = c.effect;
  if (c.threshold.length === 2) {
    let lo = 0, hi = sd;
    while (tostPower(0, hi / sd, n, level) < POWER) if ((hi *= 2) > 1e9 * sd) return { value: Infinity, what: 'resolves a bound ≥' };
    for (let i = 0; i < 50; i++) {
      const mid = (lo + hi) / 2;
      if (tostPower(0, mid / sd, n, level) < POWER) lo = mid;
      else hi = mid;
    }
    return { value: hi, what: 'resolves a bound ≥' };
  }
  return { value: detectableDistance(n, level, 1) * sd, what: c.threshold[0] === 0 ? 'detectable ≥' : 'detectable beyond the margin ≥' };
}

/** A finding made of parts: reproduced when every part is, not reproduced when any part is not, inconclusive otherwise. */
function combine(ps: Part[]): Verdict {
  const ds = ps.map((p) => p.decision ?? 'inconclusive');
  return ds.every((d) => d === 'reproduced') ? 'reproduced' : ds.some((d) => d === 'not reproduced') ? 'not reproduced' : 'inconclusive';
}

/**
 * Decide a set of findings judged together (a table, a report): Bonferroni over every
 * distinct comparison among them (one shared by two findings counts once), then each
 * finding's parts combined. Pure: deciding again over another set redoes the correction.
 */
export function decide(findings: FindingVerdict[]): FindingVerdict[] {
  const members = new Map<string, FamilyMember>();
  for (const f of findings) for (const p of f.parts) for (const m of [p.comparison, p.rate]) if (m) members.set(m.key, m);
  const family = [...members.values()];
  const adjusted = bonferroni(family.map((m) => m.pFamily));
  const decided = new Map(family.map((m, i) => {
    const pAdjusted = adjusted[i];
    // Its direction is read off the smaller one-sided p.
    const decision: RateDecision = !(pAdjusted < ALPHA) ? 'inconclusive' : m.pClaim < m.pAgainst ? 'reproduced' : 'not reproduced';
    return [m.key, { ...m, pAdjusted, family: family.length, decision }];
  }));
  const owners = new Map<string, string[]>();
  for (const f of findings) for (const p of f.parts) owners.set(p.key, unique([...(owners.get(p.key) ?? []), f.id]));
  return findings.map((f) => {
    if (f.notJudged) return f;
    const ps = f.parts.map((p): Part => {
      if (p.comparison) {
        const c = decided.get(p.comparison.key)! as Comparison;
        const r = resolvable(c, ALPHA / family.length);
        return { ...p, comparison: { ...c, detectable: r.value, detectableWhat: r.what }, decision: c.decision };
      }
      if (p.rate) {
        const r = decided.get(p.rate.key)! as RateTest;
        return { ...p, rate: r, decision: r.decision };
      }
      return p;
    });
    const evidence = ps.map((p) => `[${p.decision}] ${p.comparison ? comparisonLine(p.comparison) : p.rate ? rateLine(p) : p.summary}`).join(' · ');
    const sharedWith = unique(ps.flatMap((p) => owners.get(p.key) ?? [])).filter((id) => id !== f.id);
    return { ...f, parts: ps, verdict: combine(ps), evidence, sharedWith };
  });
}

/** Verdicts of an experiment's findings over its rows, decided among themselves. */
export function findingVerdicts(spec: { name: string; metric: MetricName; findings?: Finding[] }, rows: Rows, failed?: Map<string, number[]>, opts?: JudgeOptions): FindingVerdict[] {
  return decide((spec.findings ?? []).map((f) => judgeFinding(f, spec.name, spec.metric, rows, failed, opts)));
}

/** A finding at a glance: its verdict and, per part, a count (k/n) or an effect with its interval. */
export function verdictBadge(f: FindingVerdict): { id: string; verdict: Verdict; verdictClass: string; counts: string; title: string } {
  const counts = f.notJudged ? (f.verdict === 'not testable at this preset' ? 'budget' : 'not judged')
    : f.parts.map((p) => (p.count ? `${p.count.k}/${p.count.n}`
      : p.comparison ? `Δ ${fmt(p.comparison.effect.mean, p.comparison.unit ? 1 : 3)} [${fmt(p.comparison.effect.lo, p.comparison.unit ? 1 : 3)}, ${fmt(p.comparison.effect.hi, p.comparison.unit ? 1 : 3)}]`
        : '?')).join('; ');
  return { id: f.id, verdict: f.verdict, verdictClass: f.verdict.replace(/ /g, '-'), counts, title: `${f.claim} ${f.evidence}` };
}
