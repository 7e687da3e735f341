import type { MetricName } from '../../experiments/spec.ts';
import type { RUN_STATUSES } from './schema.ts';

/** Domain types of the results store: what everything outside runner/store sees. */
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Statuses that are results: a sweep skips these cells unless forced. */
export const DONE_STATUSES: readonly RunStatus[] = ['finished', 'diverged'];

export interface ExperimentRecord {
  name: string;
  title: string;
  spec: unknown;
  createdAt: Date;
  updatedAt: Date;
}

/** What identifies a cell and how it was resolved, when it is queued. */
export interface CellRecord {
  experiment: string;
  cellHash: string;
  rowLabel: string;
  axes: Record<string, unknown>;
  seed: number;
  preset: string;
  config: unknown;
}

export interface RunEnvironment {
  packageVersion: string;
  gitCommit: string | null;
  host: string;
  pid: number;
}

export interface Run extends CellRecord, RunEnvironment {
  id: number;
  status: RunStatus;
  backend: string | null;
  queuedAt: Date;
  startedAt: Date | null;
  heartbeatAt: Date | null;
  finishedAt: Date | null;
  error: string | null;
}

/** Per experiment: how many cells in each state, and when anything last happened. */
export interface ExperimentSummary {
  name: string;
  title: string;
  counts: Record<RunStatus, number>;
  lastActivity: Date | null;
}

/** A run as lists show it: no configuration, the final metrics. */
export interface RunSummary {
  id: number;
  experiment: string;
  rowLabel: string;
  axes: Record<string, unknown>;
  seed: number;
  status: RunStatus;
  startedAt: Date | null;
  finishedAt: Date | null;
  preset: string;
  /** The projector's output width d (for the 1/sqrt(d) reference). */
  dim: number | null;
  /** The similarity's kind (the collapse test depends on it). */
  similarity: string | null;
  finalLoss: number | null;
  finalZStd: number | null;
  finalKnnAcc: number | null;
  finalLinearAcc: number | null;
  error: string | null;
}

export interface MetricPoint {
  name: MetricName;
  epoch: number;
  step: number;
  /** NaN and infinities are kept as such. */
  value: number;
}

export interface RunQuery {
  experiment?: string;
  status?: RunStatus[];
}

/** A run that does not exist. */
export class RunNotFoundError extends Error {
  constructor(id: number) {
    super(`run ${id} not found`);
    this.name = 'RunNotFoundError';
  }
}

/** The results store. Only runner/store implements it; everything else goes through it. */
export interface RunStore {
  saveExperiment(name: string, title: string, spec: unknown): void;
  getExperiment(name: string): ExperimentRecord | null;
  listExperiments(): ExperimentRecord[];
  /** Insert the cell as queued, or return the existing run of that experiment and hash. */
  enqueue(cell: CellRecord, env: RunEnvironment): Run;
  /** Mark a queued (or stale, or forced) run running; its old metrics are removed. */
  start(runId: number, backend: string, env: RunEnvironment): void;
  heartbeat(runIds: number[]): void;
  logMetrics(runId: number, points: MetricPoint[]): void;
  /** Replace all of a run's metrics, in one transaction. */
  replaceMetrics(runId: number, points: MetricPoint[]): void;
  finish(runId: number, status: Exclude<RunStatus, 'queued' | 'running'>, error?: string | null): void;
  /** Runs left `running` whose heartbeat is older than `staleMs` become `interrupted`; returns them. */
  markStale(staleMs: number, now?: Date): Run[];
  getRun(id: number): Run;
  findRuns(q?: RunQuery): Run[];
  metrics(runId: number, name?: MetricName): MetricPoint[];
  /** One metric's per-epoch values for every run of an experiment, by run id, in one read. */
  experimentSeries(experiment: string, name: MetricName): Map<number, number[]>;
  experimentSummaries(): ExperimentSummary[];
  runSummaries(experiment: string): RunSummary[];
  /** Changes whenever a run or metric is written: lets readers notice new results cheaply. */
  dataVersion(): string;
  close(): void;
}
