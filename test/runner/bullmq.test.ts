import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { bullConnection } from '../../runner/bullmq/connection.ts';
import { RemoteExecutor } from '../../runner/bullmq/remote-executor.ts';
import { cellHash } from '../../runner/grid.ts';
import { tinyConfig } from '../helpers/tiny.ts';
import { SqliteStore } from '../../runner/store/sqlite-store.ts';
import { startRedis as startRedisServer } from '../helpers/redis.ts';
import { needs } from '../helpers/system.ts';
import { alive, descendants } from '../helpers/processes.ts';
import { oneRowSpec, storedMetrics } from '../helpers/cells.ts';

const redisTest = needs('redis-server');
const NO_CHECKPOINTS = { dir: null, everyMs: null, keep: 'none', resume: true } as const;

const bin = new URL('../../bin/simsiam.mjs', import.meta.url).pathname;
const spec = new URL('../fixtures/sweep.json', import.meta.url).pathname;
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'bullmq-'));

/** Everything a test started, stopped after it whether it passed or failed, so a failure cannot hang the file. */
const live: Array<() => unknown> = [];
test.afterEach.always(async () => { while (live.length) await live.pop()!(); });

async function startRedis() {
  const r = await startRedisServer();
  live.push(r.stop);
  return r;
}

interface Proc { child: ChildProcess; out: () => string; exit: Promise<number | null> }

function start(args: string[]): Proc {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  live.push(() => child.kill('SIGKILL'));
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return { child, out: () => out, exit: new Promise((r) => child.on('exit', (c) => r(c))) };
}

const worker = (url: string, queue: string) => start(['worker', '--redis', url, '--queue', queue, '--lock-ms', '2000', '--backend', 'wasm']);
const coordinator = (url: string, queue: string, db: string, ...extra: string[]) =>
  start(['run', spec, '--db', db, '--executor', 'bullmq', '--redis', url, '--queue', queue, '--backend', 'wasm', ...extra]);

async function until(cond: () => boolean | Promise<boolean>, ms = 120_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 200));
  }
}

function results(db: string): Map<string, { knn: number | null; loss: number | null; epochs: number }> {
  const s = new SqliteStore(db, { readonly: true });
  try {
    return new Map(s.findRuns({ status: ['finished'] }).map((r) => {
      const sum = s.runSummaries(r.experiment).find((x) => x.id === r.id)!;
      return [r.cellHash, { knn: sum.finalKnnAcc, loss: sum.finalLoss, epochs: s.metrics(r.id, 'loss').length }];
    }));
  } finally {
    s.close();
  }
}

const finished = (db: string) => (fs.existsSync(db) ? (() => { try { return results(db).size; } catch { return 0; } })() : 0);

redisTest.serial('two workers give the local executor\'s results: same cells, same final metrics', async (t) => {
  const redis = await startRedis();
  const local = path.join(tmp(), 'local.db'), remote = path.join(tmp(), 'remote.db');
  const l = start(['run', spec, '--db', local, '--workers', '2', '--backend', 'wasm']);
  t.is(await l.exit, 0, l.out());
  const w = [worker(redis.url, 'eq'), worker(redis.url, 'eq')];
  const c = coordinator(redis.url, 'eq', remote);
  t.is(await c.exit, 0, c.out());
  w.forEach((p) => p.child.kill('SIGKILL'));
  redis.stop();
  const a = results(local), b = results(remote);
  t.deepEqual([...b.keys()].sort(), [...a.keys()].sort());
  for (const [hash, x] of a) {
    t.true(Math.abs((b.get(hash)!.knn ?? -1) - (x.knn ?? -1)) < 1e-6, `kNN of ${hash}`);
    t.true(Math.abs((b.get(hash)!.loss ?? -9) - (x.loss ?? -9)) < 1e-5, `loss of ${hash}`);
  }
});

redisTest.serial('a worker killed mid-cell: another worker completes the cell, stored once', async (t) => {
  const redis = await startRedis();
  const db = path.join(tmp(), 'r.db');
  const w1 = worker(redis.url, 'kill');
  const c = coordinator(redis.url, 'kill', db, '--set', 'epochs=4');
  await until(() => /attempt 1/.test(w1.out()));
  await new Promise((r) => setTimeout(r, 1000));
  w1.child.kill('SIGKILL');
  const w2 = worker(redis.url, 'kill');
  t.is(await c.exit, 0, c.out());
  w2.child.kill('SIGKILL');
  redis.stop();
  const r = results(db);
  t.is(r.size, 4);
  for (const [hash, x] of r) t.is(x.epochs, 4, `${hash} has each of its 4 epochs once`);
  t.regex(w2.out(), /attempt/, 'the second worker took over');
});

redisTest.serial('a worker killed mid-cell after a checkpoint: the worker taking over its job resumes from the shared --checkpoint-dir, to bit-identical metrics', async (t) => {
  const redis = await startRedis();
  const { dir, spec: one } = oneRowSpec('takeover', {});
  const args = ['--preset', 'tiny', '--seeds', '0', '--set', 'epochs=5', '--set', 'data.train=1024', '--backend', 'wasm'];
  const local = path.join(dir, 'local.db');
  const l = start(['run', one, '--db', local, ...args]);
  t.is(await l.exit, 0, l.out());
  const shared = path.join(dir, 'shared-checkpoints');
  const w = (name: string) => start(['worker', '--redis', redis.url, '--queue', 'takeover', '--lock-ms', '2000', '--backend', 'wasm', '--checkpoint-dir', shared]);
  const w1 = w('w1');
  const db = path.join(dir, 'remote.db');
  const c = start(['run', one, '--db', db, '--executor', 'bullmq', '--redis', redis.url, '--queue', 'takeover', ...args]);
  const ckpt = () => fs.existsSync(shared) && fs.readdirSync(shared).some((f) => f.endsWith('.checkpoint.safetensors'));
  await until(ckpt);
  await new Promise((r) => setTimeout(r, 1500));
  w1.child.kill('SIGKILL');
  const w2 = w('w2');
  t.is(await c.exit, 0, c.out());
  w2.child.kill('SIGKILL');
  redis.stop();
  t.regex(w2.out(), /resuming [0-9a-f]{16} from epoch [1-4]\b/, w2.out());
  t.deepEqual(storedMetrics(db), storedMetrics(local), 'every metric equals the local, uninterrupted run\'s');
});

redisTest.serial('a coordinator restarted mid-sweep loses and duplicates nothing; re-submitting adds no jobs', async (t) => {
  const redis = await startRedis();
  const db = path.join(tmp(), 'r.db');
  const queue = new Queue('restart', { connection: bullConnection(redis.url) });
  live.push(() => queue.close());
  const c1 = coordinator(redis.url, 'restart', db, '--set', 'epochs=2');
  const waiting = async () => (await queue.getJobCounts('waiting')).waiting;
  // The coordinator announces the sweep, then adds its jobs: wait for them, not the line.
  await until(async () => (await waiting()) === 4);
  t.is(await waiting(), 4, 'four cells queued before any worker exists');
  c1.child.kill('SIGKILL');
  const again = coordinator(redis.url, 'restart', db, '--set', 'epochs=2');
  await until(() => again.out().includes('to run as jobs'));
  await new Promise((r) => setTimeout(r, 3000)); // time for any duplicate it would add
  t.is(await waiting(), 4, 'submitting the same sweep twice adds no job');
  again.child.kill('SIGKILL');
  // Workers finish cells while no coordinator runs; their results wait in Redis.
  const w = [worker(redis.url, 'restart'), worker(redis.url, 'restart')];
  await until(() => w.reduce((n, p) => n + (p.out().match(/: finished/g)?.length ?? 0), 0) >= 2);
  const c2 = coordinator(redis.url, 'restart', db, '--set', 'epochs=2');
  t.is(await c2.exit, 0, c2.out());
  w.forEach((p) => p.child.kill('SIGKILL'));
  const r = results(db);
  t.is(r.size, 4);
  for (const x of r.values()) t.is(x.epochs, 2);
  t.is((await queue.getJobCounts('completed', 'waiting', 'active', 'failed')).completed, 0, 'stored results leave Redis');
  await queue.close();
  redis.stop();
});

redisTest.serial('an unreachable Redis fails fast naming the URL; a malformed payload fails its job without retries', async (t) => {
  const t0 = Date.now();
  const bad = coordinator('redis://127.0.0.1:1', 'x', path.join(tmp(), 'r.db'));
  t.is(await bad.exit, 2);
  t.regex(bad.out(), /cannot reach Redis at redis:\/\/127\.0\.0\.1:1/);
  t.true(Date.now() - t0 < 15_000);

  const redis = await startRedis();
  const queue = new Queue('malformed', { connection: bullConnection(redis.url) });
  live.push(() => queue.close());
  const w = worker(redis.url, 'malformed');
  const job = await queue.add('cell', { experiment: 'e', cellHash: 'nothex', config: { epochs: 'many' }, backend: 'wasm' }, { attempts: 3 });
  await until(async () => (await job.getState()) === 'failed', 30_000);
  const failed = (await queue.getJob(job.id!))!;
  t.regex(failed.failedReason, /malformed job payload: cellHash/);
  t.is(failed.attemptsMade, 1, 'not retried');
  w.child.kill('SIGKILL');
  await queue.close();
  redis.stop();
});

redisTest.serial('a cell that fails is retried with backoff, then reported failed with its error', async (t) => {
  const redis = await startRedis();
  const w = worker(redis.url, 'retry');
  const remote = new RemoteExecutor(redis.url, 'retry');
  live.push(() => remote.close());
  const config = { ...tinyConfig(), data: { kind: 'cifar10' as const, dir: '/nonexistent/cifar', trainLimit: null, testLimit: null } };
  const cell = { experiment: 'retry', rowLabel: 'r', axes: {}, seed: 0, preset: 'tiny' as const, config, hash: cellHash(config) };
  const t0 = Date.now();
  const handle = remote.run(cell, 'wasm', { onMessage: () => {} }, 1, NO_CHECKPOINTS);
  const outcome = await handle.done;
  t.is(outcome.ended, 'error');
  t.regex(outcome.detail, /data_batch_1\.bin: not found.*\(after 3 attempt\(s\)\)/);
  t.true(Date.now() - t0 > 6000, 'backoff of 2 s then 4 s between the attempts');
  t.is((w.out().match(/attempt \d/g) ?? []).length, 3);
  await handle.acknowledge();
  await remote.close();
  w.child.kill('SIGKILL');
  redis.stop();
});

test('a job seen completed before its return value is readable is polled again, not misread', async (t) => {
  // A stand-in queue replays the window a real Redis opens between two reads: the job's
  // state already `completed`, its hash read a moment earlier without a return value.
  const ret = { backend: 'wasm', status: 'finished', epochs: [], linearAcc: null, seconds: 1 };
  let polls = 0;
  const fake = {
    add: async () => {},
    getJobState: async () => 'completed',
    getJob: async () => ({ progress: 0, returnvalue: ++polls < 3 ? null : ret }),
  };
  const remote = Object.assign(Object.create(RemoteExecutor.prototype), { queue: fake }) as RemoteExecutor;
  const config = tinyConfig();
  const seen: string[] = [];
  const handle = remote.run({ experiment: 'e', rowLabel: 'r', axes: {}, seed: 0, preset: 'tiny', config, hash: cellHash(config) }, 'wasm', {
    onMessage: (m) => seen.push(m.type),
  }, 1, NO_CHECKPOINTS);
  t.deepEqual(await handle.done, { ended: 'done', detail: '' });
  t.is(polls, 3);
  t.deepEqual(seen, ['started', 'epochs', 'done']);
});

test('the backend and device a worker reports reach the coordinator, also when a step update is the first progress seen', async (t) => {
  const epochs: never[] = [];
  const step = { type: 'step', epoch: 1, step: 3, stepsPerEpoch: 8, loss: -0.5, backend: 'webgpu', device: 'nvidia hopper: NVIDIA H200', epochs };
  let polls = 0;
  const fake = {
    add: async () => {},
    getJobState: async () => (++polls < 2 ? 'active' : 'completed'),
    getJob: async () => ({ progress: step, returnvalue: polls < 2 ? null : { backend: 'webgpu', device: step.device, status: 'finished', epochs, linearAcc: null, seconds: 1 } }),
  };
  const remote = Object.assign(Object.create(RemoteExecutor.prototype), { queue: fake }) as RemoteExecutor;
  const config = tinyConfig();
  const started: unknown[] = [];
  const handle = remote.run({ experiment: 'e', rowLabel: 'r', axes: {}, seed: 0, preset: 'tiny', config, hash: cellHash(config) }, 'auto', {
    onMessage: (m) => { if (m.type === 'started') started.push(m); },
  }, 1, NO_CHECKPOINTS);
  t.deepEqual(await handle.done, { ended: 'done', detail: '' });
  t.deepEqual(started, [{ type: 'started', backend: 'webgpu', device: 'nvidia hopper: NVIDIA H200' }]);
});

/** Kill `p` with a signal and time its exit. */
async function stopped(p: Proc, signal: NodeJS.Signals): Promise<number> {
  const t0 = Date.now();
  p.child.kill(signal);
  await p.exit;
  return (Date.now() - t0) / 1000;
}

redisTest.serial('worker: SIGTERM stops it idle, mid-cell (the job back in the queue, its cell process gone) and with Redis gone', async (t) => {
  const redis = await startRedis();
  const idle = worker(redis.url, 'stop');
  await until(() => /worker on/.test(idle.out()), 60_000);
  const idleS = await stopped(idle, 'SIGTERM');
  t.log(`worker idle, SIGTERM: stopped in ${idleS.toFixed(2)} s`);
  t.true(idleS < 10);

  const queue = new Queue('stop', { connection: bullConnection(redis.url) });
  queue.on('error', () => {}); // Redis is stopped below on purpose
  live.push(() => queue.close());
  const config = { ...tinyConfig(), epochs: 200 };
  const job = await queue.add('cell', { experiment: 'e', cellHash: cellHash(config), config, backend: 'wasm' }, { attempts: 3 });
  const busy = worker(redis.url, 'stop');
  await until(async () => (await job.getState()) === 'active' && descendants(busy.child.pid!).length > 0, 60_000);
  await new Promise((r) => setTimeout(r, 2000)); // into training
  const kids = descendants(busy.child.pid!);
  const busyS = await stopped(busy, 'SIGTERM');
  t.log(`worker mid-cell, SIGTERM: stopped in ${busyS.toFixed(2)} s`);
  t.true(busyS < 10);
  t.regex(busy.out(), /1 job\(s\) put back in the queue/);
  t.is(await job.getState(), 'waiting', 'the job is back in the queue');
  t.is((await queue.getJob(job.id!))!.attemptsMade, 0, 'not counted as an attempt');
  await until(() => kids.every((p) => !alive(p)), 5000);

  const orphan = worker(redis.url, 'stop');
  await until(async () => (await job.getState()) === 'active', 60_000);
  const orphanKids = descendants(orphan.child.pid!);
  redis.stop();
  await new Promise((r) => setTimeout(r, 500));
  const goneS = await stopped(orphan, 'SIGTERM');
  t.log(`worker mid-cell with Redis unreachable, SIGTERM: stopped in ${goneS.toFixed(2)} s`);
  t.true(goneS < 10);
  await until(() => orphanKids.every((p) => !alive(p)), 5000);
});

redisTest.serial('coordinator: SIGINT stops it while it follows jobs, and while Redis is unreachable', async (t) => {
  const redis = await startRedis();
  const db = path.join(tmp(), 'r.db');
  const c1 = coordinator(redis.url, 'cstop', db);
  await until(() => /to run as jobs/.test(c1.out()), 60_000);
  const s1 = await stopped(c1, 'SIGINT');
  t.log(`coordinator following queued jobs, SIGINT: stopped in ${s1.toFixed(2)} s`);
  t.true(s1 < 10);
  const s = new SqliteStore(db, { readonly: true });
  t.deepEqual([...new Set(s.findRuns().map((r) => r.status))], ['interrupted'], 'its cells are left resumable');
  s.close();

  const c2 = coordinator(redis.url, 'cstop', db);
  await until(() => /to run as jobs/.test(c2.out()), 60_000);
  redis.stop();
  await new Promise((r) => setTimeout(r, 1000));
  const s2 = await stopped(c2, 'SIGTERM');
  t.log(`coordinator with Redis unreachable, SIGTERM: stopped in ${s2.toFixed(2)} s`);
  t.true(s2 < 10);
});
