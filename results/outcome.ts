import { zStdReference } from '../core/eval/z-reference.ts';
import { pct } from '../runner/format.ts';

/**
 * The one rule for what happened to a run: diverged, z collapsed, representation lost,
 * trains. Tables, verdicts, the report and the dashboard all classify through here
 * (docs/findings.md, "What happened to a run"). The thresholds were fixed before the
 * confirmation seeds were run; none is tuned per experiment.
 */

/** Cosine loss below this is "near its minimum" −1 (Sec. 4.1: the collapsed loss reaches −1). */
export const LOSS_NEAR_MIN = -0.95;
/** z_std below this fraction of 1/√d is "≪ 1/√d" (healthy z sits near 1/√d, collapsed z at 0). */
export const Z_COLLAPSED_FRACTION = 0.25;
/** kNN must rise more than this (a fraction: 5 points) above its random-init value to count as learned. */
export const KNN_LEARNED = 0.05;
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
  /** Mean over epochs after the first of the within-epoch std of the step loss: how much the loss oscillates. */
  lossStd: number | null;
}

export interface Outcome {
  diverged: boolean;
  /** Loss near its minimum and z_std ≪ 1/√d: the output z has collapsed (Sec. 4.1). */
  zCollapsed: boolean;
  /** kNN no better than at random init: the backbone learned nothing usable. */
  representationLost: boolean;
  /** Not diverged, z not collapsed, representation above init. */
  trains: boolean;
  /** Cosine loss still above LOSS_HIGH at the end (Table 1b's "loss remains high"); false for other losses. */
  lossHigh: boolean;
}

/** The z_std below which z counts as collapsed, for output width d. */
export function zCollapseBound(dim: number): number {
  return Z_COLLAPSED_FRACTION * zStdReference(dim);
}

/** Classify one run. Each part is judged on its own; a diverged run has no other part. */
export function outcomeOf(r: RunEvidence): Outcome {
  const diverged = r.nonFinite || (r.loss != null && Math.abs(r.loss) > LOSS_BLOWN_UP);
  if (diverged) return { diverged, zCollapsed: false, representationLost: false, trains: false, lossHigh: false };
  const lossAtMin = !r.cosine || (r.loss != null && r.loss < LOSS_NEAR_MIN);
  const zCollapsed = lossAtMin && r.zStd != null && r.zStd < zCollapseBound(r.dim);
  const representationLost = r.knn != null && r.knn0 != null && r.knn <= r.knn0 + KNN_LEARNED;
  const learned = r.knn != null && r.knn0 != null && r.knn > r.knn0 + KNN_LEARNED;
  return { diverged, zCollapsed, representationLost, trains: !zCollapsed && learned, lossHigh: r.cosine && r.loss != null && r.loss > LOSS_HIGH };
}

/** The per-run outcomes a table or finding counts. */
export const OUTCOME_PARTS = [
  ['diverged', 'diverged'], ['zCollapsed', 'z collapsed'], ['representationLost', 'representation lost'], ['trains', 'trains'],
] as const satisfies readonly (readonly [keyof Outcome, string])[];

/** "z collapsed 3/5, representation lost 3/5": each part that some run shows, over all runs. */
export function outcomeCounts(outcomes: Outcome[]): string {
  if (!outcomes.length) return 'no run';
  const n = outcomes.length;
  const parts = OUTCOME_PARTS.map(([k, label]) => [label, outcomes.filter((o) => o[k]).length] as const).filter(([, c]) => c > 0);
  return parts.length ? parts.map(([label, c]) => `${label} ${c}/${n}`).join(', ') : `neither trains nor collapsed ${n}/${n}`;
}


/** One run's evidence in a line, ending in what the rule made of it. */
export function describeRun(r: RunEvidence): string {
  const o = outcomeOf(r);
  if (o.diverged) return `seed ${r.seed}: diverged (${r.nonFinite ? 'non-finite loss' : `loss ${r.loss}`})`;
  const what = OUTCOME_PARTS.filter(([k]) => o[k]).map(([, label]) => label).join(', ') || 'neither trains nor collapsed';
  return `seed ${r.seed}: loss ${r.loss?.toFixed(3) ?? '–'}, z_std ${r.zStd?.toFixed(4) ?? '–'} (collapse bound ${zCollapseBound(r.dim).toFixed(4)}), ` +
    `kNN ${pct(r.knn)} (init ${pct(r.knn0)})${r.linear != null ? `, linear ${pct(r.linear)}` : ''} → ${what}`;
}
