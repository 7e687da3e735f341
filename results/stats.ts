import betaQuantile from '@stdlib/stats-base-dists-beta-quantile';
import tQuantile from '@stdlib/stats-base-dists-t-quantile';
import ttest from '@stdlib/stats-ttest';

/**
 * The statistics of the verdicts (docs/findings.md, "Statistics"): paired t-tests by seed,
 * the p a test enters its family with, Bonferroni over a report; exact binomial
 * tests and power are in power.ts. No verdict computes a p-value anywhere else.
 */

/** Significance level of the family of every test judged together (after the correction). */
export const ALPHA = 0.05;
/** A comparison needs this many seed pairs; with fewer it is inconclusive. */
export const MIN_PAIRS = 3;
/** Power at which the smallest detectable effect is stated. */
export const POWER = 0.8;

/** Two-sided Clopper–Pearson interval at confidence 1 − alpha for k successes of n: shown beside a rate, never used to decide. */
export function clopperPearson(k: number, n: number, alpha = ALPHA): { lower: number; upper: number } {
  return {
    lower: k === 0 ? 0 : betaQuantile(alpha / 2, k, n - k + 1),
    upper: k === n ? 1 : betaQuantile(1 - alpha / 2, k + 1, n - k),
  };
}

export type RateDecision = 'reproduced' | 'not reproduced' | 'inconclusive';

/**
 * The p a test enters the family with. Every test weighs its claim against the claim's
 * complement (d < 0 against d ≥ 0; d > −margin against d ≤ −margin; |d| < bound against
 * |d| ≥ bound; a rate above ½ against at most ½), each side a one-sided test valid for the
 * other side's hypothesis. Whatever the truth, one of the two decisions is right, so at
 * most one can be an error: the smaller p enters the family as it is, and its side is the decision.
 */
export function familyP(pClaim: number, pAgainst: number): number {
  return Math.min(pClaim, pAgainst);
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
 * Bonferroni-adjusted p-values: m·p, capped at 1; a p that is not a number counts as 1.
 * The family's correction: each test enters with its undoubled smaller p (familyP), and
 * Holm's step-down over those can exceed α where a right decision at one test's boundary
 * moves the others' thresholds (measured: 5.6–6.0% for two negatively correlated tests at
 * their boundaries); Bonferroni's union bound holds whatever the correlation.
 */
export function bonferroni(ps: number[]): number[] {
  return ps.map((p) => (Number.isFinite(p) ? Math.min(1, ps.length * p) : 1));
}
