import type { MetricName } from './spec.ts';

/**
 * A claim of the paper that an experiment tests, as a predicate over the results of its
 * rows (named by label). How each kind is judged is in results/verdicts.ts.
 */
export type FindingTest =
  /** Every seed collapses: loss near −1 (cosine), z_std far below 1/√d, kNN no better than at random init. */
  | { kind: 'collapses'; row: string }
  /** No seed collapses, and kNN rises above random init. */
  | { kind: 'trains'; row: string }
  /** No seed collapses, yet kNN does not rise above random init: training fails without collapsing. */
  | { kind: 'fails'; row: string }
  /** The row's metric is below the other's (one-sided Welch t-test over seeds). */
  | { kind: 'below'; row: string; than: string }
  /** The row's metric is at least the other's less `margin` points (non-inferiority, one-sided Welch). */
  | { kind: 'at-least'; row: string; than: string; margin: number }
  /** The rows' metrics lie within `within` points of each other (equivalence of the farthest pair, two one-sided Welch tests). */
  | { kind: 'within'; rows: string[]; within: number }
  /** The row's training loss moves more within epochs than the other's (per-step loss std, one-sided Welch), or it diverges. */
  | { kind: 'unstable'; row: string; than: string }
  /** Every part holds. */
  | { kind: 'all'; of: FindingTest[] };

export interface Finding {
  /** Stable id, e.g. `stopgrad-collapse`. */
  id: string;
  /** The paper's claim, in words. */
  claim: string;
  test: FindingTest;
  /** The metric compared by `below`, `at-least` and `within` (default: the experiment's). */
  metric?: MetricName;
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
