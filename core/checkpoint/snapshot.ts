import type { EpochMetrics } from '../epoch-metrics.ts';

/** A state array as a checkpoint stores it: raw values, bit for bit. */
export type StateArray = Float32Array | Int32Array | Uint8Array;
export type StateArrays = Record<string, StateArray>;

/** The running sums of an epoch in progress, as a checkpoint carries them across a restart. */
export interface EpochSums {
  lossSum: number;
  lossSq: number;
  lossMax: number;
  stdSum: number;
  stdCount: number;
  waitMs: number;
  lr: number;
  done: number;
  /** Wall time the epoch had run before the checkpoint (its `seconds` go on from there). */
  elapsedMs: number;
}

/**
 * Everything the rest of a run depends on, at a step boundary: a run restored from it
 * goes on exactly as the uninterrupted one would (same backend).
 *
 * Arrays, by name: `var/<variable>` every network variable (BN running statistics
 * included), `momentum/<encoder|predictor>/<i>` the optimizers' buffers in variable order,
 * `target/...` the target strategy's state, `order/perm` and `order/epoch/<e>` the data
 * orders drawn so far, `block/<j>/<view>` the targets of an alternation block's steps
 * still to run.
 */
export interface TrainSnapshot {
  /** SGD steps done; the run continues at this (0-based) global step. */
  step: number;
  /** Monitors of every finished epoch, epoch 0 first. */
  epochs: EpochMetrics[];
  /** The epoch in progress (all zeros at an epoch's end). */
  partial: EpochSums;
  /** Position of the data-order stream, and how many epoch orders it has drawn. */
  orderRng: number;
  drawn: number;
  /** An alternation block cut by the checkpoint: its remaining steps and, per step, which views have a given target (null: none). */
  block: { steps: number; views: (boolean[] | null)[] } | null;
  arrays: StateArrays;
}

/** A variable's name without tfjs's uniquifying `#n`: the same across processes. */
export function stableName(name: string): string {
  return name.replace(/#\d+$/, '');
}
