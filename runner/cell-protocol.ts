import type { BackendChoice } from '../core/backend.ts';
import type { TrainConfig } from '../core/config.ts';
import type { EpochMetrics, StepInfo, TrainResult } from '../core/train.ts';
import type { KeepPolicy } from './checkpoint/cell-files.ts';
import type { KeptNetwork } from './store/run-store.ts';

/** How a sweep's cells checkpoint, resume and keep their networks (a remote worker uses its own directory). */
export interface CheckpointPolicy {
  /** Least wall time between mid-epoch checkpoints; null: at epoch ends only. */
  everyMs: number | null;
  keep: KeepPolicy;
  /** Resume from a checkpoint found; false (--force) starts fresh and drops it. */
  resume: boolean;
}

/** One cell's checkpoint settings, as its process gets them. */
export interface CheckpointJob extends CheckpointPolicy {
  dir: string;
  /** The cell's config hash: its files' name and the key a checkpoint must match. */
  cell: string;
}

/** Coordinator -> cell process: train a cell, or time the start of one for a cost estimate. */
export type CellJob =
  | { type: 'run'; config: TrainConfig; backend: BackendChoice; checkpoint: CheckpointJob | null }
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
  | { type: 'done'; status: TrainResult['status']; linearAcc: number | null; seconds: number; kept?: KeptNetwork | null }
  /** Going on from a checkpoint: the epochs it had finished replace whatever was stored of them. */
  | { type: 'resumed'; epoch: number; step: number; stepsPerEpoch: number; epochs: EpochMetrics[] }
  /** A checkpoint was found and not used: why, and that the cell starts from step 0. */
  | { type: 'fresh'; reason: string }
  | { type: 'checkpoint'; epoch: number; step: number; bytes: number; seconds: number }
  /** A checkpoint could not be written (the previous one is intact); the cell stops. */
  | { type: 'checkpoint-failed'; message: string }
  /** Every epoch's monitors, replacing what was reported before (a remote cell's final word). */
  | { type: 'epochs'; all: EpochMetrics[] }
  | { type: 'error'; message: string }
  | ({ type: 'calibration' } & Calibration);
