import type { MetricName } from './metrics.ts';

/**
 * A claim of the paper that an experiment tests, as a predicate over the results of its
 * rows (named by label). How each kind is judged is in results/verdicts.ts, and the rules
 * are written out in docs/findings.md.
 */
export type FindingTest =
  /** The row's runs collapse (z collapsed and representation lost), judged as a rate over seeds. */
  | { kind: 'collapses'; row: string }
  /** The row's runs train (z not collapsed, kNN above random init), judged as a rate over seeds. */
  | { kind: 'trains'; row: string }
  /** The row's runs fail without collapsing: z not collapsed, kNN no better than init, the loss stays high (rate). */
  | { kind: 'fails'; row: string }
  /** The row's metric is below the other's (paired by seed). */
  | { kind: 'below'; row: string; than: string; effect?: number }
  /** The row's metric is at least the other's less `margin` points (non-inferiority, paired by seed). */
  | { kind: 'at-least'; row: string; than: string; margin: number; effect?: number }
  /** Every pair of the rows lies within `within` points (equivalence of each pair, paired by seed). */
  | { kind: 'within'; rows: string[]; within: number; effect?: number }
  /**
   * The row's loss oscillates more within epochs than the other's (paired by seed), and its
   * runs neither diverge nor collapse z (rate). `effect` is in the loss's units and has no
   * default: the paper gives no number.
   */
  | { kind: 'unstable'; row: string; than: string; effect?: number }
  /** Every part holds. */
  | { kind: 'all'; of: FindingTest[] };

/**
 * `effect`, on the comparisons: the true difference (row − than; for `within`, of every
 * pair) that a plan's power analysis assumes, in the metric's units (points for
 * accuracies): the smallest effect worth detecting. Without it the plan takes the paper's
 * difference between the rows where both are numbers (results/plan.ts).
 */
export interface Finding {
  /** Stable id, e.g. `stopgrad-collapse`. */
  id: string;
  /** The paper's claim, in words. */
  claim: string;
  test: FindingTest;
  /**
   * The metric compared by `below`, `at-least` and `within` (default: the experiment's).
   * The paper's numbers are linear-probe accuracy; where a preset trains no probe the
   * verdict falls back to kNN and says so.
   */
  metric?: MetricName;
  /**
   * What a preset must give every row for the claim to be testable at all. Where it gives
   * less, the verdict is "not testable at this preset", with the numbers.
   */
  budget?: { minSteps: number; why: string };
}

/** The row labels a test refers to. */
export function findingRows(t: FindingTest): string[] {
  switch (t.kind) {
    case 'collapses': case 'trains': case 'fails': return [t.row];
    case 'below': case 'at-least': case 'unstable': return [t.row, t.than];
    case 'within': return t.rows;
    case 'all': return t.of.flatMap(findingRows);
  }
}

/** The kinds of a test and of every part of it. */
export function testKinds(t: FindingTest): FindingTest['kind'][] {
  return t.kind === 'all' ? ['all', ...t.of.flatMap(testKinds)] : [t.kind];
}
