import jstatModule from 'jstat';
import { POWER } from './stats.ts';

/**
 * Power before running (docs/findings.md, "Power"): the exact power of the paired t-test
 * (noncentral t), of the two one-sided tests of an equivalence, and of the exact binomial
 * test of a rate; and the seeds each needs. One module, so that the plan, the report's
 * "detectable" figure and the docs' tables come from the same formulas.
 */

const { jStat } = jstatModule;

/** At most this many seeds are searched for; beyond it a test is reported as needing more. */
export const MAX_SEEDS = 200;

/**
 * Exact power of a paired t-test on n pairs whose true mean difference lies `distance` sd
 * of the differences beyond the null value in the claim's direction, at level `alpha`:
 * one-sided (`sides` 1) or two-sided (2, counting only the claim's direction).
 */
export function tPower(distance: number, n: number, alpha: number, sides: 1 | 2): number {
  if (n < 2) return 0;
  const df = n - 1, ncp = distance * Math.sqrt(n);
  const t = jStat.studentt.inv(1 - alpha / sides, df);
  return Math.min(1, Math.max(0, 1 - jStat.noncentralt.cdf(t, df, ncp)));
}

/**
 * Exact power of the two one-sided tests (TOST) that a paired mean difference lies within
 * ±bound, each at level `alpha`, when the true difference is `delta`, in sd units of the
 * differences. The two tests share the sample sd, so the power is one integral over its
 * chi-square law (Owen's formula), by Simpson's rule on 4000 intervals.
 */
export function tostPower(delta: number, bound: number, n: number, alpha: number): number {
  if (n < 2 || bound <= 0) return 0;
  const df = n - 1, t = jStat.studentt.inv(1 - alpha, df), se = 1 / Math.sqrt(n);
  // Given s (in sd units), TOST rejects when −bound + t·s·se < mean < bound − t·s·se.
  const given = (v: number) => {
    const half = bound - t * Math.sqrt(v / df) * se;
    if (half <= 0) return 0;
    return jStat.normal.cdf((half - delta) / se, 0, 1) - jStat.normal.cdf((-half - delta) / se, 0, 1);
  };
  // Over s = √v rather than v, which keeps the integrand finite at 0 for one degree of freedom.
  const top = Math.sqrt(df + 12 * Math.sqrt(2 * df) + 40), steps = 4000, h = top / steps;
  let sum = 0;
  for (let i = 0; i <= steps; i++) {
    const s = i * h, w = i === 0 || i === steps ? 1 : i % 2 ? 4 : 2;
    const density = s === 0 ? (df === 1 ? 2 / Math.sqrt(2 * Math.PI) : 0) : 2 * s * jStat.chisquare.pdf(s * s, df);
    sum += w * density * given(s * s);
  }
  return Math.min(1, Math.max(0, (sum * h) / 3));
}

/** The smallest k of n runs at which the exact binomial test of rate ½ (one-sided, as every test is against its complement) rejects at `alpha`; n + 1 where none does. */
export function rateCritical(n: number, alpha: number): number {
  for (let k = Math.floor(n / 2) + 1; k <= n; k++) if (rateP(k, n, 'greater') <= alpha) return k;
  return n + 1;
}

/** One-sided exact binomial p of k of n runs against rate ½: P(X ≥ k) for 'greater', P(X ≤ k) for 'less'. */
export function rateP(k: number, n: number, alternative: 'greater' | 'less'): number {
  if (n === 0) return 1;
  return alternative === 'greater' ? (k <= 0 ? 1 : 1 - jStat.binomial.cdf(k - 1, n, 0.5)) : jStat.binomial.cdf(k, n, 0.5);
}

/** Exact power of the binomial test of rate ½ at `alpha`, n runs, when the true rate is `rate` (> ½: the claim's side; for the other side pass 1 − rate). */
export function ratePower(rate: number, n: number, alpha: number): number {
  const k = rateCritical(n, alpha);
  if (k > n) return 0;
  return k <= 0 ? 1 : 1 - jStat.binomial.cdf(k - 1, n, rate);
}

/** The smallest n (from `from`) at which power(n) reaches POWER, or null within MAX_SEEDS. */
export function seedsFor(power: (n: number) => number, from = 2): number | null {
  for (let n = from; n <= MAX_SEEDS; n++) if (power(n) >= POWER) return n;
  return null;
}

/** The smallest distance (in sd units) beyond the null that a paired t-test detects with POWER at n pairs. */
export function detectableDistance(n: number, alpha: number, sides: 1 | 2): number {
  if (n < 2) return Infinity;
  let lo = 0, hi = 1;
  while (tPower(hi, n, alpha, sides) < POWER) if ((hi *= 2) > 1e6) return Infinity;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (tPower(mid, n, alpha, sides) < POWER) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** A rate's plausible value from calibration runs: the mean of its Jeffreys posterior, (k + ½)/(n + 1), which never claims certainty from few runs. */
export function plausibleRate(k: number, n: number): number {
  return (k + 0.5) / (n + 1);
}
