import jstatModule from 'jstat';
import type { Finding, FindingTest } from '../../experiments/findings.ts';
import type { TableRow } from '../../experiments/spec.ts';
import { MAX_SEEDS, plausibleRate, ratePower, tostPower, tPower } from '../power.ts';
import { ALPHA, MIN_PAIRS, POWER } from '../stats.ts';
import type { Part } from '../verdicts.ts';

const { jStat } = jstatModule;

/**
 * Power before running: from a finding's parts judged on calibration seeds, the spread of
 * each comparison and the plausible value of each rate; from the finding, the effect
 * sought; together, the power at n confirmation seeds after the family's correction.
 */

/** What one part of a finding is planned on. */
export interface PlannedPart {
  what: string;
  kind: FindingTest['kind'];
  /** The true difference assumed (row − than, the metric's units), or for a rate its plausible value. */
  effect: number | null;
  /** Where it comes from: the finding's declaration, the paper's rows, or (a rate) the calibration runs. */
  effectFrom: 'declared' | 'paper' | 'calibration' | null;
  /** The sd of the paired differences assumed: the calibration's, at its one-sided 80% upper confidence limit. */
  spread: number | null;
  /** The calibration's own sd and pairs (or k/n of a rate), as measured. */
  measured: string;
  /** Why the part cannot be planned (no spread, no effect), or null. */
  unknown: string | null;
}

/** The upper one-sided 80% confidence limit of an sd estimated on n pairs (Browne 1995), so that few calibration seeds do not understate the spread. */
export function spreadUpperLimit(sd: number, n: number): number {
  return sd * Math.sqrt((n - 1) / jStat.chisquare.inv(0.2, n - 1));
}

const paperOf = (rows: TableRow[], label: string) => {
  const p = rows.find((r) => r.label === label)?.paper;
  return typeof p === 'number' ? p : null;
};

/** The true difference a comparison assumes: declared on the test, else the paper's rows' difference. */
function effectOf(test: FindingTest, a: string, b: string, rows: TableRow[]): { effect: number | null; from: PlannedPart['effectFrom'] } {
  if ('effect' in test && test.effect != null) return { effect: test.effect, from: 'declared' };
  const pa = paperOf(rows, a), pb = paperOf(rows, b);
  return pa != null && pb != null ? { effect: pa - pb, from: 'paper' } : { effect: null, from: null };
}

/** One part's planning figures from its calibration judgement. */
export function planPart(p: Part, rows: TableRow[]): PlannedPart {
  const test = p.test!;
  if (p.rate || p.count) {
    const { k, n } = p.count ?? { k: 0, n: 0 };
    const what = p.summary.replace(/ \(95% CI.*$/, '');
    if (!n) return { what, kind: p.kind, effect: null, effectFrom: null, spread: null, measured: 'no calibration run', unknown: 'no calibration run finished' };
    return { what, kind: p.kind, effect: plausibleRate(k, n), effectFrom: 'calibration', spread: null, measured: `${k}/${n}`, unknown: null };
  }
  const [a, b] = p.rows ?? [];
  const what = `"${a}" − "${b}"`;
  const c = p.comparison;
  const { effect, from } = p.kind === 'unstable' ? ('effect' in test && test.effect != null ? { effect: test.effect, from: 'declared' as const } : { effect: null, from: null }) : effectOf(test, a, b, rows);
  if (!c) return { what, kind: p.kind, effect, effectFrom: from, spread: null, measured: p.summary, unknown: `no spread from calibration: ${p.summary.replace(`${what}: `, '')}` };
  const spread = spreadUpperLimit(c.effect.sd, c.effect.n);
  const measured = `sd ${c.effect.sd.toPrecision(3)} on ${c.effect.n} pairs`;
  if (effect == null) return { what, kind: p.kind, effect, effectFrom: from, spread, measured, unknown: p.kind === 'unstable' ? 'the finding declares no effect (the paper gives no number)' : 'no effect declared and the paper gives no number for these rows' };
  return { what, kind: p.kind, effect, effectFrom: from, spread, measured, unknown: null };
}

/** The power of one planned part at n seeds and level `alpha`; null where it cannot be planned. */
export function partPower(pp: PlannedPart, test: FindingTest, n: number, alpha: number): number | null {
  if (pp.unknown || pp.effect == null) return null;
  if (n < MIN_PAIRS) return 0;
  if (pp.spread == null) {
    // A rate: the power to reach the verdict on the side its plausible value lies.
    return ratePower(Math.max(pp.effect, 1 - pp.effect), n, alpha);
  }
  const sd = pp.spread;
  switch (test.kind) {
    case 'below': return tPower(-pp.effect / sd, n, alpha, 1);
    case 'unstable': return tPower(pp.effect / sd, n, alpha, 1);
    case 'at-least': return tPower((pp.effect + test.margin) / sd, n, alpha, 1);
    case 'within': return tostPower(Math.abs(pp.effect) / sd, test.within / sd, n, alpha);
    default: return null;
  }
}

/** The verdict a part's planning figures point to: a rate's side of ½ by its plausible value; a comparison the claim's, by its effect sought. */
export function partExpects(pp: PlannedPart): 'reproduced' | 'not reproduced' {
  return pp.spread == null && pp.effect != null && pp.effect < 0.5 ? 'not reproduced' : 'reproduced';
}

/**
 * A finding's power at n to reach the verdict its parts point to. Reproduced needs every
 * part, so at least 1 − Σ(1 − power of each) (Bonferroni's bound); not reproduced needs
 * one part, so at least the largest power of the parts that point there.
 */
export function findingPower(parts: { pp: PlannedPart; test: FindingTest }[], n: number, alpha: number): number | null {
  const powers = parts.map(({ pp, test }) => ({ pp, p: partPower(pp, test, n, alpha) }));
  if (powers.some((x) => x.p == null)) return null;
  const against = powers.filter((x) => partExpects(x.pp) === 'not reproduced');
  if (against.length) return Math.max(...against.map((x) => x.p!));
  return Math.max(0, 1 - powers.reduce((a, x) => a + (1 - x.p!), 0));
}

/** The verdict a finding's plan expects: not reproduced where any part points there. */
export function findingExpects(parts: { pp: PlannedPart }[]): 'reproduced' | 'not reproduced' {
  return parts.some((x) => partExpects(x.pp) === 'not reproduced') ? 'not reproduced' : 'reproduced';
}

/** The fewest seeds (from MIN_PAIRS) at which the finding reaches POWER, or null within MAX_SEEDS. */
export function seedsNeeded(parts: { pp: PlannedPart; test: FindingTest }[], alpha: number): number | null {
  for (let n = MIN_PAIRS; n <= MAX_SEEDS; n++) {
    const p = findingPower(parts, n, alpha);
    if (p == null) return null;
    if (p >= POWER) return n;
  }
  return null;
}

/** The level each test is decided and planned at: α over the family's size (Bonferroni). */
export const planLevel = (family: number) => ALPHA / Math.max(1, family);

export type { Finding };
