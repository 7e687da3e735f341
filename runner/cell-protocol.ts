import type { BackendChoice } from '../core/backend.ts';
import type { TrainConfig } from '../core/config.ts';
import type { EpochMetrics, StepInfo, TrainResult } from '../core/train.ts';

/** Coordinator -> cell process. */
export interface CellJob {
  type: 'run';
  config: TrainConfig;
  backend: BackendChoice;
}

/** Cell process -> coordinator. */
export type CellMessage =
  | { type: 'started'; backend: string }
  | ({ type: 'step' } & StepInfo)
  | { type: 'epoch'; metrics: EpochMetrics }
  | { type: 'done'; status: TrainResult['status']; linearAcc: number | null; seconds: number }
  /** Every epoch's monitors, replacing what was reported before (a remote cell's final word). */
  | { type: 'epochs'; all: EpochMetrics[] }
  | { type: 'error'; message: string };
