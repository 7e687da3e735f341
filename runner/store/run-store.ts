import type { MetricName } from '../../experiments/spec.ts';
/** Domain types of the results store: what everything outside runner/store sees; the schema follows them. */

/** A run's states: queued, then running, then one of the ends (interrupted and failed runs are claimed again). */
export const RUN_STATUSES = ['queued', 'running', 'finished', 'failed', 'diverged', 'interrupted'] as const;
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

/** A process that runs cells: its environment and a token unique to it. */
export interface Claimant extends RunEnvironment {
  /** host:pid:random, so that two processes (or one reusing a pid) never share it. */
  owner: string;
  /** The registered plan this claimant runs, recorded on every run it claims; null outside a plan. */
  planHash?: string | null;
}

/** A registered plan as a database keeps it: the file's text, its path, and when a run first used it. */
export interface StoredPlan {
  hash: string;
  json: string;
  path: string;
  firstUsedAt: Date;
}

/** Which runs a claim may take, besides queued and interrupted ones. */
export interface ClaimRule {
  /** A running run whose heartbeat is older than this was left by a process that died. */
  staleMs: number;
  /** Failed runs (and, with `force`, finished and diverged ones) that ended before this: not those ended since. */
  endedBefore: Date;
  force?: boolean;
}

/** What a finished cell kept of its network: the encoder (backbone + projector), or its whole final state; a file on the run's host. */
export interface KeptNetwork {
  kind: 'encoder' | 'all';
  file: string;
  bytes: number;
}

export interface Run extends CellRecord, RunEnvironment {
  id: number;
  status: RunStatus;
  /** The claimant holding (or that last held) the run. */
  owner: string | null;
  /** The registered plan the run was claimed under, null outside a plan. */
  planHash: string | null;
  /** The run of another experiment whose result this one copies, when it was reused rather than trained. */
  reusedFrom: number | null;
  backend: string | null;
  /** The GPU adapter (webgpu) or native library (native-cpu) under the backend, null where its name says all. */
  device: string | null;
  queuedAt: Date;
  startedAt: Date | null;
  heartbeatAt: Date | null;
  finishedAt: Date | null;
  error: string | null;
  /** The epoch of the latest checkpoint while the cell runs (where a resume would start). */
  checkpointEpoch: number | null;
  kept: KeptNetwork | null;
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
  /** The backend the run trained on, what it ran on (Run's device), and the commit of the code that trained it. */
  backend: string | null;
  device: string | null;
  gitCommit: string | null;
  /** The registered plan the run was claimed under, null outside a plan. */
  planHash: string | null;
  /** The run whose result this one copies (shared cells), null where it trained. */
  reusedFrom: number | null;
  /** The fully resolved configuration. */
  config: unknown;
  /** Why the row cannot be read (a damaged JSON column), null when it can; a damaged run has no axes or config. */
  damaged: string | null;
  cellHash: string;
  checkpointEpoch: number | null;
  kept: KeptNetwork | null;
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

/**
 * The results store. Only runner/store implements it; everything else goes through it.
 * A run is written by one owner: `claim` is an atomic conditional update that one
 * claimant wins, and every later write of the run names its owner and is refused
 * (returning false) once the run belongs to someone else.
 */
export interface RunStore {
  saveExperiment(name: string, title: string, spec: unknown): void;
  getExperiment(name: string): ExperimentRecord | null;
  listExperiments(): ExperimentRecord[];
  /** Insert the cell as queued, or return the existing run of that experiment and hash. */
  enqueue(cell: CellRecord, env: RunEnvironment): Run;
  /**
   * Take a run if it is queued or interrupted, or if `rule` allows (a stale heartbeat, an
   * old failure, a forced rerun): it becomes running under `by`, its old metrics removed.
   * Of concurrent claims exactly one wins; false for the others.
   */
  claim(runId: number, by: Claimant, rule: ClaimRule): boolean;
  /** A finished or diverged run of the same cell hash in another experiment, whose result can serve this one. */
  findResult(cellHash: string, exceptExperiment: string): Run | null;
  /** End the owner's run with a copy of another run's result (status, backend, device, metrics), in one transaction. */
  reuse(runId: number, owner: string, from: Run): boolean;
  /** Record the backend the owner's cell process loaded, and what it runs on. */
  setBackend(runId: number, owner: string, backend: string, device?: string | null): boolean;
  /** Record the epoch of the owner's cell's latest checkpoint. */
  setCheckpoint(runId: number, owner: string, epoch: number): boolean;
  /** Record what the owner's cell kept of its network (null: nothing). */
  setKept(runId: number, owner: string, kept: KeptNetwork | null): boolean;
  /** Refresh the heartbeat of the owner's running runs; returns the ids another owner has taken. */
  heartbeat(runIds: number[], owner: string): number[];
  logMetrics(runId: number, owner: string, points: MetricPoint[]): boolean;
  /** Replace all of a run's metrics, in one transaction. */
  replaceMetrics(runId: number, owner: string, points: MetricPoint[]): boolean;
  /** End the owner's running run. */
  finish(runId: number, owner: string, status: Exclude<RunStatus, 'queued' | 'running'>, error?: string | null): boolean;
  getRun(id: number): Run;
  /** The runs matching the query, in id order; a run whose stored row is damaged is left out (getRun names it). */
  findRuns(q?: RunQuery): Run[];
  metrics(runId: number, name?: MetricName): MetricPoint[];
  /** One metric's per-epoch values for every run of an experiment, by run id, in one read. */
  experimentSeries(experiment: string, name: MetricName): Map<number, number[]>;
  /**
   * Record a metric's random-init value (epoch 0) measured after the run, for runs stored
   * before it was measured; never overwrites one the run recorded. False where it had one.
   */
  backfillInit(runId: number, name: MetricName, value: number): boolean;
  /** Keep a plan (once: a second save of the same hash keeps the first). */
  savePlan(plan: Omit<StoredPlan, 'firstUsedAt'>): void;
  plans(): StoredPlan[];
  /** One metric's value at random init (epoch 0) for every run of an experiment that recorded one, by run id. */
  initValues(experiment: string, name: MetricName): Map<number, number>;
  experimentSummaries(): ExperimentSummary[];
  runSummaries(experiment: string): RunSummary[];
  /** Changes whenever a run or metric is written: lets readers notice new results cheaply. */
  dataVersion(): string;
  close(): void;
}
