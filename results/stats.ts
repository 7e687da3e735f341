import betaQuantile from '@stdlib/stats-base-dists-beta-quantile';
import tQuantile from '@stdlib/stats-base-dists-t-quantile';
import ttest from '@stdlib/stats-ttest';

/**
 * The statistics of the verdicts (docs/findings.md, "Statistics"): exact binomial rates,
 * paired t-tests by seed, Holm–Bonferroni over a report. No verdict computes a p-value
 * anywhere else.
 */

/** Significance level of every test: one-sided for rates, two-sided (per family, after Holm) for comparisons. */
export const ALPHA = 0.05;
/** A comparison needs this many seed pairs; with fewer it is inconclusive. */
export const MIN_PAIRS = 3;
/** Power at which the smallest detectable effect is stated. */
export const POWER = 0.8;

/** One-sided Clopper–Pearson bounds at level ALPHA for k successes of n. */
export function clopperPearson(k: number, n: number, alpha = ALPHA): { lower: number; upper: number } {
  return {
    lower: k === 0 ? 0 : betaQuantile(alpha, k, n - k + 1),
    upper: k === n ? 1 : betaQuantile(1 - alpha, k + 1, n - k),
  };
}

export type RateDecision = 'reproduced' | 'not reproduced' | 'inconclusive';

/**
 * A per-run claim as a rate over seeds: reproduced when the rate's one-sided lower bound
 * is above ½ (the claim holds for most runs), not reproduced when its upper bound is
 * below ½, inconclusive otherwise. At 5 seeds: 5/5 reproduces, 0/5 does not, 1–4 cannot tell.
 */
export function rateDecision(k: number, n: number): { decision: RateDecision; lower: number; upper: number } {
  if (n === 0) return { decision: 'inconclusive', lower: 0, upper: 1 };
  const b = clopperPearson(k, n);
  return { decision: b.lower > 0.5 ? 'reproduced' : b.upper < 0.5 ? 'not reproduced' : 'inconclusive', ...b };
}

/** The paired differences' mean with its two-sided 95% interval, and the sd behind it. */
export interface Effect {
  mean: number;
  lo: number;
  hi: number;
  sd: number;
  n: number;
}

export function pairedEffect(d: number[]): Effect {
  const n = d.length;
  const mean = d.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(d.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1)) : 0;
  const half = n > 1 ? tQuantile(0.975, n - 1) * sd / Math.sqrt(n) : Infinity;
  return { mean, lo: mean - half, hi: mean + half, sd, n };
}

/** One-sided p of the paired differences' mean against `mu` (Student's t on the differences). */
export function pairedP(d: number[], alternative: 'greater' | 'less', mu = 0): number {
  const sd = pairedEffect(d).sd;
  // Identical differences: the t statistic is undefined; the sign of mean − mu decides outright.
  if (sd === 0) {
    const m = d[0] - mu;
    return m === 0 ? 1 : (alternative === 'greater' ? m > 0 : m < 0) ? 0 : 1;
  }
  return ttest(d, { alternative, mu, alpha: ALPHA }).pValue;
}

/**
 * The smallest true mean difference a two-sided paired t-test at level `alpha` detects
 * with probability POWER, at this many pairs and the observed sd of the differences.
 */
export function detectable(sd: number, n: number, alpha: number): number {
  if (n < 2) return Infinity;
  return (tQuantile(1 - alpha / 2, n - 1) + tQuantile(POWER, n - 1)) * sd / Math.sqrt(n);
}

/** Holm–Bonferroni adjusted p-values, in the input's order (monotone, capped at 1); a p that is not a number counts as 1. */
export function holm(ps: number[]): number[] {
  const m = ps.length;
  const order = ps.map((p, i) => [Number.isFinite(p) ? p : 1, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(m);
  let running = 0;
  order.forEach(([p, i], rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p));
    out[i] = running;
  });
  return out;
}
