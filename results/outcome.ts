import { zStdReference } from '../core/eval/z-reference.ts';
import type { MetricName } from '../experiments/metrics.ts';
import { pct } from '../runner/format.ts';

/**
 * The one rule for what happened to a run: diverged, z collapsed, representation lost,
 * trains. Tables, verdicts, the report and the dashboard all classify through here
 * (docs/findings.md, "What happened to a run"). None is tuned per experiment; a plan
 * (results/plan.ts) fixes them, by the rules' hash, before its confirmation cells run.
 */

/** Cosine loss below this is "near its minimum" −1 (Sec. 4.1: the collapsed loss reaches −1). */
export const LOSS_NEAR_MIN = -0.95;
/** z_std below this fraction of 1/√d is "≪ 1/√d" (healthy z sits near 1/√d, collapsed z at 0). */
export const Z_COLLAPSED_FRACTION = 0.25;
/** The judged accuracy must rise more than this (a fraction: 5 points) above its random-init value to count as learned. */
export const LEARNED_MARGIN = 0.05;
/** A finite loss beyond this magnitude has blown up: the run diverged without reaching NaN. */
export const LOSS_BLOWN_UP = 1e6;
/** Cosine loss above this stays "high" (Table 1b): closer to orthogonal (0) than to the minimum (−1). */
export const LOSS_HIGH = -0.5;

/** What the rule sees of one finished or diverged run. */
export interface RunEvidence {
  seed: number;
  /** The run ended on a non-finite loss. */
  nonFinite: boolean;
  /** Final epoch's mean training loss. */
  loss: number | null;
  /** Final z_std of z/‖z‖. */
  zStd: number | null;
  /** Projector output width d. */
  dim: number;
  /** Cosine similarity: the loss's minimum is −1. For cross-entropy it depends on z, so z_std alone decides. */
  cosine: boolean;
  /** kNN accuracy (fraction) at random init (epoch 0) and at the end. */
  knn0: number | null;
  knn: number | null;
  /** Linear-probe accuracy (fraction), null where the preset trains no probe. */
  linear: number | null;
  /** Linear probe of the random-init network (epoch 0), null where none was trained (no probe, or a run recorded before it was measured). */
  linear0: number | null;
  /** Mean over epochs after the first of the within-epoch std of the step loss: how much the loss oscillates. */
  lossStd: number | null;
}

export interface Outcome {
  diverged: boolean;
  /** Loss near its minimum and z_std ≪ 1/√d: the output z has collapsed (Sec. 4.1). */
  zCollapsed: boolean;
  /** The judged accuracy no better than at random init: the backbone learned nothing usable. */
  representationLost: boolean;
  /** Not diverged, z not collapsed, the judged accuracy above init. */
  trains: boolean;
  /** Cosine loss still above LOSS_HIGH at the end (Table 1b's "loss remains high"); false for other losses. */
  lossHigh: boolean;
}

/** The z_std below which z counts as collapsed, for output width d. */
export function zCollapseBound(dim: number): number {
  return Z_COLLAPSED_FRACTION * zStdReference(dim);
}

/** The accuracies "learned" can be judged on: each is measured at random init (epoch 0) as well as at the end. */
export type LearnedMetric = 'knn_acc' | 'linear_acc';

/**
 * The metric a finding's "learned" is judged on: its own where that is linear accuracy and
 * every run measured it at init, else kNN, said so. Other metrics (loss, z_std) say nothing
 * about a representation, so their findings judge learning on kNN too.
 */
export function learnedOn(metric: MetricName, runs: RunEvidence[]): { on: LearnedMetric; note: string | null } {
  if (metric !== 'linear_acc') return { on: 'knn_acc', note: metric === 'knn_acc' ? null : 'learning judged on kNN: the finding\'s metric is not an accuracy' };
  const missing = runs.filter((r) => !r.nonFinite && (r.linear == null || r.linear0 == null)).length;
  if (!missing) return { on: 'linear_acc', note: null };
  return { on: 'knn_acc', note: `learning judged on kNN: ${missing} run(s) have no linear probe at random init (measured from epoch 0 since plans were introduced)` };
}

/** The run's accuracy at the end and at init on a learned metric. */
export function learnedValues(r: RunEvidence, on: LearnedMetric): { end: number | null; init: number | null } {
  return on === 'linear_acc' ? { end: r.linear, init: r.linear0 } : { end: r.knn, init: r.knn0 };
}

/** Classify one run, "learned" judged on `on` (default kNN) against its random-init value. Each part is judged on its own; a diverged run has no other part. */
export function outcomeOf(r: RunEvidence, on: LearnedMetric = 'knn_acc'): Outcome {
  const diverged = r.nonFinite || (r.loss != null && Math.abs(r.loss) > LOSS_BLOWN_UP);
  if (diverged) return { diverged, zCollapsed: false, representationLost: false, trains: false, lossHigh: false };
  const lossAtMin = !r.cosine || (r.loss != null && r.loss < LOSS_NEAR_MIN);
  const zCollapsed = lossAtMin && r.zStd != null && r.zStd < zCollapseBound(r.dim);
  const { end, init } = learnedValues(r, on);
  const representationLost = end != null && init != null && end <= init + LEARNED_MARGIN;
  const learned = end != null && init != null && end > init + LEARNED_MARGIN;
  return { diverged, zCollapsed, representationLost, trains: !zCollapsed && learned, lossHigh: r.cosine && r.loss != null && r.loss > LOSS_HIGH };
}

/** The per-run outcomes a table or finding counts. */
export const OUTCOME_PARTS = [
  ['diverged', 'diverged'], ['zCollapsed', 'z collapsed'], ['representationLost', 'representation lost'], ['trains', 'trains'],
] as const satisfies readonly (readonly [keyof Outcome, string])[];

/** "z collapsed 3/5, representation lost 3/5": each part that some run shows, over all runs (outcomes judged on one metric). */
export function outcomeCounts(outcomes: Outcome[]): string {
  if (!outcomes.length) return 'no run';
  const n = outcomes.length;
  const parts = OUTCOME_PARTS.map(([k, label]) => [label, outcomes.filter((o) => o[k]).length] as const).filter(([, c]) => c > 0);
  return parts.length ? parts.map(([label, c]) => `${label} ${c}/${n}`).join(', ') : `neither trains nor collapsed ${n}/${n}`;
}


/** One run's evidence in a line, ending in what the rule made of it on `on`. */
export function describeRun(r: RunEvidence, on: LearnedMetric = 'knn_acc'): string {
  const o = outcomeOf(r, on);
  if (o.diverged) return `seed ${r.seed}: diverged (${r.nonFinite ? 'non-finite loss' : `loss ${r.loss}`})`;
  const what = OUTCOME_PARTS.filter(([k]) => o[k]).map(([, label]) => label).join(', ') || 'neither trains nor collapsed';
  return `seed ${r.seed}: loss ${r.loss?.toFixed(3) ?? '–'}, z_std ${r.zStd?.toFixed(4) ?? '–'} (collapse bound ${zCollapseBound(r.dim).toFixed(4)}), ` +
    `kNN ${pct(r.knn)} (init ${pct(r.knn0)})${r.linear != null ? `, linear ${pct(r.linear)}${r.linear0 != null ? ` (init ${pct(r.linear0)})` : ''}` : ''} → ${what}` +
    `${on === 'linear_acc' ? ' (on linear)' : ''}`;
}
