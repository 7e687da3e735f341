import { index, integer, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

// The statuses are the domain's (run-store.ts); the schema stores them.
import { RUN_STATUSES } from './run-store.ts';

export const experiments = sqliteTable('experiments', {
  name: text('name').primaryKey(),
  title: text('title').notNull(),
  specJson: text('spec_json').notNull(),
  createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
});

export const runs = sqliteTable('runs', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  experiment: text('experiment').notNull().references(() => experiments.name),
  cellHash: text('cell_hash').notNull(),
  rowLabel: text('row_label').notNull(),
  axesJson: text('axes_json').notNull(),
  seed: integer('seed').notNull(),
  preset: text('preset').notNull(),
  status: text('status', { enum: RUN_STATUSES }).notNull(),
  configJson: text('config_json').notNull(),
  backend: text('backend'),
  /** What the backend ran on where its name does not say: the GPU adapter, the native library. */
  device: text('device'),
  packageVersion: text('package_version').notNull(),
  gitCommit: text('git_commit'),
  host: text('host').notNull(),
  pid: integer('pid'),
  /** The process that holds the cell (host:pid:token), set by an atomic claim; only it writes the run's metrics. */
  owner: text('owner'),
  /** A run whose result was copied from another experiment's run of the same configuration (and seed). */
  reusedFrom: integer('reused_from'),
  /** The registered plan (results/plan) the run was claimed under, by its hash; null outside a plan. */
  planHash: text('plan_hash'),
  /** The epoch of the running cell's latest checkpoint (what a resume would start from), null before its first. */
  checkpointEpoch: integer('checkpoint_epoch'),
  /** What a finished cell kept of its network ('encoder' or 'all'), the file and its size; null: nothing. */
  kept: text('kept', { enum: ['encoder', 'all'] }),
  keptFile: text('kept_file'),
  keptBytes: integer('kept_bytes'),
  queuedAt: integer('queued_at', { mode: 'timestamp_ms' }).notNull(),
  startedAt: integer('started_at', { mode: 'timestamp_ms' }),
  heartbeatAt: integer('heartbeat_at', { mode: 'timestamp_ms' }),
  finishedAt: integer('finished_at', { mode: 'timestamp_ms' }),
  error: text('error'),
  /** Last value of each metric, written when the run ends, so lists sort and filter without scanning metrics. */
  finalLoss: real('final_loss'),
  finalZStd: real('final_z_std'),
  finalKnnAcc: real('final_knn_acc'),
  finalLinearAcc: real('final_linear_acc'),
}, (t) => [
  uniqueIndex('runs_experiment_cell').on(t.experiment, t.cellHash),
  index('runs_status').on(t.status),
]);

/** A registered plan, as `reproduce --plan` ran it: the file's text and where it was read from. */
export const plans = sqliteTable('plans', {
  hash: text('hash').primaryKey(),
  json: text('json').notNull(),
  path: text('path').notNull(),
  firstUsedAt: integer('first_used_at', { mode: 'timestamp_ms' }).notNull(),
});

/**
 * One value of one metric. SQLite stores NaN as NULL, so a non-finite value is kept
 * explicitly in `non_finite` ('nan', 'inf', '-inf') with `value` NULL.
 */
export const metrics = sqliteTable('metrics', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  runId: integer('run_id').notNull().references(() => runs.id, { onDelete: 'cascade' }),
  name: text('name').notNull(),
  epoch: integer('epoch').notNull(),
  step: integer('step').notNull(),
  value: real('value'),
  nonFinite: text('non_finite', { enum: ['nan', 'inf', '-inf'] }),
}, (t) => [index('metrics_run_name_epoch').on(t.runId, t.name, t.epoch)]);
