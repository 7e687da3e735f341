import Database from 'better-sqlite3';
import { and, desc, eq, inArray, lt, or, sql } from 'drizzle-orm';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { fileURLToPath } from 'node:url';
import type { MetricName } from '../../experiments/spec.ts';
import { DamagedRowError } from './failure.ts';
import {
  RUN_STATUSES, RunNotFoundError, type CellRecord, type Claimant, type ClaimRule, type ExperimentRecord, type ExperimentSummary, type MetricPoint, type Run,
  type KeptNetwork, type RunEnvironment, type RunQuery, type RunStatus, type RunStore, type RunSummary, type StoredPlan,
} from './run-store.ts';
import * as schema from './schema.ts';

const MIGRATIONS = fileURLToPath(new URL('./migrations', import.meta.url));

type Row = typeof schema.runs.$inferSelect;

/**
 * A JSON column's value; damage SQLite cannot see (the file is sound, the text is not JSON)
 * is named by its row and column.
 */
function parseColumn(text: string, where: string, column: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new DamagedRowError(where, column, (err as Error).message);
  }
}

function toRun(r: Row): Run {
  return {
    id: r.id, experiment: r.experiment, cellHash: r.cellHash, rowLabel: r.rowLabel, axes: parseColumn(r.axesJson, `run ${r.id}`, 'axes_json') as Record<string, unknown>,
    seed: r.seed, preset: r.preset, config: parseColumn(r.configJson, `run ${r.id}`, 'config_json'), status: r.status, backend: r.backend, device: r.device,
    packageVersion: r.packageVersion, gitCommit: r.gitCommit, host: r.host, pid: r.pid ?? 0, owner: r.owner, reusedFrom: r.reusedFrom, planHash: r.planHash,
    queuedAt: r.queuedAt, startedAt: r.startedAt, heartbeatAt: r.heartbeatAt, finishedAt: r.finishedAt, error: r.error,
    checkpointEpoch: r.checkpointEpoch, kept: keptOf(r),
  };
}

function keptOf(r: Pick<Row, 'kept' | 'keptFile' | 'keptBytes'>): KeptNetwork | null {
  return r.kept && r.keptFile ? { kind: r.kept, file: r.keptFile, bytes: r.keptBytes ?? 0 } : null;
}

function encodeValue(v: number): { value: number | null; nonFinite: 'nan' | 'inf' | '-inf' | null } {
  if (Number.isNaN(v)) return { value: null, nonFinite: 'nan' };
  if (v === Infinity) return { value: null, nonFinite: 'inf' };
  if (v === -Infinity) return { value: null, nonFinite: '-inf' };
  return { value: v, nonFinite: null };
}

function decodeValue(value: number | null, nonFinite: string | null): number {
  if (nonFinite === 'inf') return Infinity;
  if (nonFinite === '-inf') return -Infinity;
  return value ?? NaN;
}

/**
 * The results store on SQLite through drizzle: WAL mode so readers never block the
 * writer, a busy timeout for concurrent processes, migrations applied on open.
 * Every write is one transaction, so a killed process leaves only whole results.
 */
export class SqliteStore implements RunStore {
  private readonly sqlite: Database.Database;
  private readonly db: BetterSQLite3Database<typeof schema>;

  constructor(file: string, opts: { readonly?: boolean } = {}) {
    this.sqlite = new Database(file, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
    this.sqlite.pragma('busy_timeout = 10000');
    if (!opts.readonly) {
      if (file !== ':memory:') this.sqlite.pragma('journal_mode = WAL');
      this.sqlite.pragma('foreign_keys = ON');
    }
    this.db = drizzle(this.sqlite, { schema });
    // A full disk, for tests: SQLite refuses to grow the file past this many pages.
    const pages = Number(process.env.SIMSIAM_DB_MAX_PAGES);
    if (!opts.readonly && pages > 0) this.sqlite.pragma(`max_page_count = ${pages}`);
    if (!opts.readonly) migrate(this.db, { migrationsFolder: MIGRATIONS });
  }

  saveExperiment(name: string, title: string, spec: unknown): void {
    const now = new Date();
    this.db.insert(schema.experiments)
      .values({ name, title, specJson: JSON.stringify(spec), createdAt: now, updatedAt: now })
      .onConflictDoUpdate({ target: schema.experiments.name, set: { title, specJson: JSON.stringify(spec), updatedAt: now } })
      .run();
  }

  getExperiment(name: string): ExperimentRecord | null {
    const r = this.db.select().from(schema.experiments).where(eq(schema.experiments.name, name)).get();
    return r ? { name: r.name, title: r.title, spec: parseColumn(r.specJson, `experiment ${r.name}`, 'spec_json'), createdAt: r.createdAt, updatedAt: r.updatedAt } : null;
  }

  listExperiments(): ExperimentRecord[] {
    return this.db.select().from(schema.experiments).orderBy(schema.experiments.createdAt).all()
      .map((r) => ({ name: r.name, title: r.title, spec: parseColumn(r.specJson, `experiment ${r.name}`, 'spec_json'), createdAt: r.createdAt, updatedAt: r.updatedAt }));
  }

  enqueue(cell: CellRecord, env: RunEnvironment): Run {
    const where = and(eq(schema.runs.experiment, cell.experiment), eq(schema.runs.cellHash, cell.cellHash));
    // Insert-or-ignore then read: two coordinators enqueueing the same cell get the same run.
    this.db.insert(schema.runs).values({
      experiment: cell.experiment, cellHash: cell.cellHash, rowLabel: cell.rowLabel, axesJson: JSON.stringify(cell.axes),
      seed: cell.seed, preset: cell.preset, status: 'queued', configJson: JSON.stringify(cell.config),
      packageVersion: env.packageVersion, gitCommit: env.gitCommit, host: env.host, pid: env.pid, queuedAt: new Date(),
    }).onConflictDoNothing().run();
    return toRun(this.db.select().from(schema.runs).where(where).get()!);
  }

  claim(runId: number, by: Claimant, rule: ClaimRule): boolean {
    const now = new Date();
    const r = schema.runs;
    const ended = rule.force ? (['failed', 'finished', 'diverged'] as const) : (['failed'] as const);
    return this.sqlite.transaction(() => {
      // One UPDATE with the whole condition: SQLite serialises writers, so one claimant wins.
      const won = this.db.update(r).set({
        status: 'running', owner: by.owner, planHash: by.planHash ?? null, reusedFrom: null, backend: null, device: null, startedAt: now, heartbeatAt: now, finishedAt: null, error: null,
        packageVersion: by.packageVersion, gitCommit: by.gitCommit, host: by.host, pid: by.pid,
        finalLoss: null, finalZStd: null, finalKnnAcc: null, finalLinearAcc: null, checkpointEpoch: null, kept: null, keptFile: null, keptBytes: null,
      }).where(and(eq(r.id, runId), or(
        inArray(r.status, ['queued', 'interrupted']),
        and(eq(r.status, 'running'), lt(r.heartbeatAt, new Date(now.getTime() - rule.staleMs))),
        and(inArray(r.status, [...ended]), lt(r.finishedAt, rule.endedBefore)),
      ))).run().changes === 1;
      if (won) this.db.delete(schema.metrics).where(eq(schema.metrics.runId, runId)).run();
      return won;
    }).immediate();
  }

  /** The condition every owner write carries: the run is still running under that owner. */
  private owned(runId: number, owner: string) {
    return and(eq(schema.runs.id, runId), eq(schema.runs.owner, owner), eq(schema.runs.status, 'running'));
  }

  private holds(runId: number, owner: string): boolean {
    return this.db.select({ id: schema.runs.id }).from(schema.runs).where(this.owned(runId, owner)).get() != null;
  }

  findResult(cellHash: string, exceptExperiment: string): Run | null {
    const r = schema.runs;
    const row = this.db.select().from(r)
      .where(and(eq(r.cellHash, cellHash), inArray(r.status, ['finished', 'diverged']), sql`${r.experiment} <> ${exceptExperiment}`))
      .orderBy(r.id).limit(1).get();
    return row ? toRun(row) : null;
  }

  reuse(runId: number, owner: string, from: Run): boolean {
    return this.sqlite.transaction(() => {
      if (!this.holds(runId, owner)) return false;
      const points = this.metrics(from.id);
      this.replaceMetrics(runId, owner, points);
      // The copy is the source's result: it keeps the backend, device and code that computed it.
      this.db.update(schema.runs).set({
        backend: from.backend, device: from.device, reusedFrom: from.id, gitCommit: from.gitCommit, packageVersion: from.packageVersion, host: from.host,
        kept: from.kept?.kind ?? null, keptFile: from.kept?.file ?? null, keptBytes: from.kept?.bytes ?? null,
      }).where(this.owned(runId, owner)).run();
      return this.finish(runId, owner, from.status as 'finished' | 'diverged');
    }).immediate();
  }

  setBackend(runId: number, owner: string, backend: string, device: string | null = null): boolean {
    return this.db.update(schema.runs).set({ backend, device }).where(this.owned(runId, owner)).run().changes === 1;
  }

  setCheckpoint(runId: number, owner: string, epoch: number): boolean {
    return this.db.update(schema.runs).set({ checkpointEpoch: epoch }).where(this.owned(runId, owner)).run().changes === 1;
  }

  setKept(runId: number, owner: string, kept: KeptNetwork | null): boolean {
    return this.db.update(schema.runs).set({ kept: kept?.kind ?? null, keptFile: kept?.file ?? null, keptBytes: kept?.bytes ?? null })
      .where(this.owned(runId, owner)).run().changes === 1;
  }

  heartbeat(runIds: number[], owner: string): number[] {
    if (runIds.length === 0) return [];
    const r = schema.runs;
    return this.sqlite.transaction(() => {
      this.db.update(r).set({ heartbeatAt: new Date() }).where(and(inArray(r.id, runIds), eq(r.owner, owner), eq(r.status, 'running'))).run();
      // A run this owner has just finished (its process not yet exited) is still its own: lost means another owner.
      const held = new Set(this.db.select({ id: r.id }).from(r).where(and(inArray(r.id, runIds), eq(r.owner, owner))).all().map((x) => x.id));
      return runIds.filter((id) => !held.has(id));
    }).immediate();
  }

  logMetrics(runId: number, owner: string, points: MetricPoint[]): boolean {
    return this.sqlite.transaction(() => {
      if (!this.holds(runId, owner)) return false;
      if (points.length) {
        this.db.insert(schema.metrics).values(points.map((p) => ({ runId, name: p.name, epoch: p.epoch, step: p.step, ...encodeValue(p.value) }))).run();
      }
      return true;
    }).immediate();
  }

  replaceMetrics(runId: number, owner: string, points: MetricPoint[]): boolean {
    return this.sqlite.transaction(() => {
      if (!this.holds(runId, owner)) return false;
      this.db.delete(schema.metrics).where(eq(schema.metrics.runId, runId)).run();
      return this.logMetrics(runId, owner, points);
    }).immediate();
  }

  finish(runId: number, owner: string, status: Exclude<RunStatus, 'queued' | 'running'>, error: string | null = null): boolean {
    // Epoch 0 is the random-init network: never a run's final value (a diverged run has no final probe).
    const final = (name: MetricName) => sql`(SELECT ${schema.metrics.value} FROM ${schema.metrics}
      WHERE ${schema.metrics.runId} = ${runId} AND ${schema.metrics.name} = ${name} AND ${schema.metrics.epoch} > 0
      ORDER BY ${schema.metrics.epoch} DESC, ${schema.metrics.id} DESC LIMIT 1)`;
    return this.db.update(schema.runs).set({
      status, error, finishedAt: new Date(),
      finalLoss: final('loss'), finalZStd: final('z_std'), finalKnnAcc: final('knn_acc'), finalLinearAcc: final('linear_acc'),
    }).where(this.owned(runId, owner)).run().changes === 1;
  }

  getRun(id: number): Run {
    const r = this.db.select().from(schema.runs).where(eq(schema.runs.id, id)).get();
    if (!r) throw new RunNotFoundError(id);
    return toRun(r);
  }

  findRuns(q: RunQuery = {}): Run[] {
    const where = and(
      q.experiment ? eq(schema.runs.experiment, q.experiment) : undefined,
      q.status ? inArray(schema.runs.status, q.status) : undefined,
    );
    // A run whose row is damaged cannot be a Run: left out here, named by runSummaries and getRun.
    return this.db.select().from(schema.runs).where(where).orderBy(schema.runs.id).all().flatMap((r) => {
      try {
        return [toRun(r)];
      } catch (err) {
        if (err instanceof DamagedRowError) return [];
        throw err;
      }
    });
  }

  metrics(runId: number, name?: MetricName): MetricPoint[] {
    return this.db.select().from(schema.metrics)
      .where(and(eq(schema.metrics.runId, runId), name ? eq(schema.metrics.name, name) : undefined))
      .orderBy(schema.metrics.epoch, schema.metrics.step, schema.metrics.id).all()
      .map((m) => ({ name: m.name as MetricName, epoch: m.epoch, step: m.step, value: decodeValue(m.value, m.nonFinite) }));
  }

  backfillInit(runId: number, name: MetricName, value: number): boolean {
    const m = schema.metrics;
    return this.sqlite.transaction(() => {
      if (this.db.select({ id: m.id }).from(m).where(and(eq(m.runId, runId), eq(m.name, name), eq(m.epoch, 0))).get()) return false;
      this.db.insert(m).values({ runId, name, epoch: 0, step: 0, ...encodeValue(value) }).run();
      return true;
    }).immediate();
  }

  savePlan(plan: Omit<StoredPlan, 'firstUsedAt'>): void {
    this.db.insert(schema.plans).values({ ...plan, firstUsedAt: new Date() }).onConflictDoNothing().run();
  }

  plans(): StoredPlan[] {
    return this.db.select().from(schema.plans).orderBy(schema.plans.firstUsedAt).all();
  }

  initValues(experiment: string, name: MetricName): Map<number, number> {
    const m = schema.metrics;
    const rows = this.db.select({ runId: m.runId, value: m.value, nonFinite: m.nonFinite }).from(m)
      .innerJoin(schema.runs, eq(schema.runs.id, m.runId))
      .where(and(eq(schema.runs.experiment, experiment), eq(m.name, name), eq(m.epoch, 0)))
      .orderBy(m.runId, m.id).all();
    return new Map(rows.map((r) => [r.runId, decodeValue(r.value, r.nonFinite)]));
  }

  experimentSeries(experiment: string, name: MetricName): Map<number, number[]> {
    const m = schema.metrics;
    const rows = this.db.select({ runId: m.runId, value: m.value, nonFinite: m.nonFinite }).from(m)
      .innerJoin(schema.runs, eq(schema.runs.id, m.runId))
      .where(and(eq(schema.runs.experiment, experiment), eq(m.name, name)))
      .orderBy(m.runId, m.epoch, m.id).all();
    const out = new Map<number, number[]>();
    for (const r of rows) {
      let xs = out.get(r.runId);
      if (!xs) out.set(r.runId, (xs = []));
      xs.push(decodeValue(r.value, r.nonFinite));
    }
    return out;
  }

  experimentSummaries(): ExperimentSummary[] {
    const counts = this.db.select({
      experiment: schema.runs.experiment, status: schema.runs.status, n: sql<number>`count(*)`,
      last: sql<number | null>`max(coalesce(${schema.runs.finishedAt}, ${schema.runs.heartbeatAt}, ${schema.runs.startedAt}, ${schema.runs.queuedAt}))`,
    }).from(schema.runs).groupBy(schema.runs.experiment, schema.runs.status).all();
    return this.listExperiments().map((e) => {
      const mine = counts.filter((c) => c.experiment === e.name);
      const byStatus = Object.fromEntries(RUN_STATUSES.map((st) => [st, mine.find((c) => c.status === st)?.n ?? 0])) as Record<RunStatus, number>;
      const last = Math.max(e.updatedAt.getTime(), ...mine.map((c) => c.last ?? 0));
      return { name: e.name, title: e.title, counts: byStatus, lastActivity: new Date(last) };
    });
  }

  runSummaries(experiment: string): RunSummary[] {
    const r = schema.runs;
    return this.db.select({
      id: r.id, experiment: r.experiment, rowLabel: r.rowLabel, axesJson: r.axesJson, seed: r.seed, status: r.status,
      startedAt: r.startedAt, finishedAt: r.finishedAt, error: r.error, preset: r.preset,
      finalLoss: r.finalLoss, finalZStd: r.finalZStd, finalKnnAcc: r.finalKnnAcc, finalLinearAcc: r.finalLinearAcc,
      backend: r.backend, device: r.device, gitCommit: r.gitCommit, planHash: r.planHash, reusedFrom: r.reusedFrom, configJson: r.configJson,
      checkpointEpoch: r.checkpointEpoch, keptKind: r.kept, keptFile: r.keptFile, keptBytes: r.keptBytes, cellHash: r.cellHash,
    }).from(r).where(eq(r.experiment, experiment)).orderBy(r.id).all()
      .map(({ axesJson, configJson, keptKind, keptFile, keptBytes, ...y }) => {
        const x = { ...y, kept: keptOf({ kept: keptKind, keptFile, keptBytes }) };
        // A damaged row still lists, marked, so that the others render.
        try {
          const config = parseColumn(configJson, `run ${x.id}`, 'config_json') as { projector?: { dim?: number }; similarity?: { kind?: string } };
          const axes = parseColumn(axesJson, `run ${x.id}`, 'axes_json') as Record<string, unknown>;
          return { ...x, axes, config, dim: config?.projector?.dim ?? null, similarity: config?.similarity?.kind ?? null, damaged: null };
        } catch (err) {
          return { ...x, axes: {}, config: null, dim: null, similarity: null, damaged: (err as Error).message };
        }
      });
  }

  dataVersion(): string {
    const runs = this.db.select({
      n: sql<number>`count(*)`,
      last: sql<number | null>`max(max(coalesce(${schema.runs.finishedAt}, 0), coalesce(${schema.runs.heartbeatAt}, 0), ${schema.runs.queuedAt}))`,
    }).from(schema.runs).get();
    const m = this.db.select({ id: schema.metrics.id }).from(schema.metrics).orderBy(desc(schema.metrics.id)).limit(1).get();
    return `${runs?.n ?? 0}:${runs?.last ?? 0}:${m?.id ?? 0}`;
  }

  close(): void {
    this.sqlite.close();
  }
}
