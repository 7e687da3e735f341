import type { BackendChoice } from '../core/backend.ts';
import type { TrainConfig } from '../core/config.ts';
import type { EpochMetrics, StepInfo, TrainResult } from '../core/train.ts';

/** Coordinator -> cell process: train a cell, or time the start of one for a cost estimate. */
export type CellJob =
  | { type: 'run'; config: TrainConfig; backend: BackendChoice }
  | { type: 'calibrate'; config: TrainConfig; backend: BackendChoice; budgetMs: number };

/** What a calibration measured: the real training loop of a cell, cut short. */
export interface Calibration {
  backend: string;
  /** From the job's arrival to the first step: backend, data, network, the epoch-0 kNN. */
  startupSeconds: number;
  /** One kNN monitor pass (features of train and test sets, then the vote). */
  knnSeconds: number;
  /** Wall time of each step after the first two (which compile kernels), data waits included. */
  stepSeconds: number[];
}

/** Cell process -> coordinator. */
export type CellMessage =
  | { type: 'started'; backend: string; device: string | null }
  | ({ type: 'step' } & StepInfo)
  | { type: 'epoch'; metrics: EpochMetrics }
  | { type: 'done'; status: TrainResult['status']; linearAcc: number | null; seconds: number }
  /** Every epoch's monitors, replacing what was reported before (a remote cell's final word). */
  | { type: 'epochs'; all: EpochMetrics[] }
  | { type: 'error'; message: string }
  | ({ type: 'calibration' } & Calibration);
