import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { SqliteStore } from '../../runner/store/sqlite-store.ts';
import type { Claimant, ClaimRule, RunEnvironment, RunStore } from '../../runner/store/run-store.ts';

const env: RunEnvironment = { packageVersion: '0.0.0', gitCommit: 'abc', host: 'h', pid: 1 };
const a: Claimant = { ...env, owner: 'h:1:a' };
const b: Claimant = { ...env, pid: 2, owner: 'h:2:b' };
const rule = (over: Partial<ClaimRule> = {}): ClaimRule => ({ staleMs: 30_000, endedBefore: new Date(Date.now() + 1), ...over });
const cell = (hash: string, seed = 0) => ({
  experiment: 'e', cellHash: hash, rowLabel: 'row', axes: {}, seed, preset: 'tiny', config: { projector: { dim: 4 } },
});

function stores(): [string, () => RunStore][] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'store-'));
  return [['memory', () => new SqliteStore(':memory:')], ['file', () => new SqliteStore(path.join(dir, 'r.db'))]];
}

for (const [kind, make] of stores()) {
  test(`${kind}: a run goes queued -> running -> finished with its metrics, NaN kept`, (t) => {
    const s = make();
    s.saveExperiment('e', 'E', { rows: [] });
    const r = s.enqueue(cell('h1'), env);
    t.is(r.status, 'queued');
    t.is(s.enqueue(cell('h1'), env).id, r.id, 'the same cell is the same run');
    t.true(s.claim(r.id, a, rule()));
    t.true(s.setBackend(r.id, a.owner, 'wasm'));
    s.logMetrics(r.id, a.owner, [
      { name: 'loss', epoch: 1, step: 10, value: -0.5 }, { name: 'loss', epoch: 2, step: 20, value: NaN },
      { name: 'z_std', epoch: 2, step: 20, value: Infinity },
    ]);
    t.true(s.finish(r.id, a.owner, 'diverged'));
    const got = s.getRun(r.id);
    t.is(got.status, 'diverged');
    t.is(got.backend, 'wasm');
    t.truthy(got.finishedAt);
    const loss = s.metrics(r.id, 'loss');
    t.is(loss[0].value, -0.5);
    t.true(Number.isNaN(loss[1].value));
    t.is(s.metrics(r.id, 'z_std')[0].value, Infinity);
    t.deepEqual(s.findRuns({ experiment: 'e', status: ['diverged'] }).map((x) => x.id), [r.id]);
    s.close();
  });

  test(`${kind}: one claimant wins a cell; a live owner's cell is not taken, a stale one is, and only the owner writes`, (t) => {
    const s = make();
    s.saveExperiment('e', 'E', {});
    const r = s.enqueue(cell('h2', 1), env);
    t.true(s.claim(r.id, a, rule()));
    t.false(s.claim(r.id, b, rule()), 'a running cell with a fresh heartbeat stays with its owner');
    t.true(s.logMetrics(r.id, a.owner, [{ name: 'loss', epoch: 1, step: 1, value: 0.1 }]));
    t.false(s.logMetrics(r.id, b.owner, [{ name: 'loss', epoch: 1, step: 1, value: 0.9 }]), 'not the owner');
    t.false(s.finish(r.id, b.owner, 'finished'));
    t.deepEqual(s.heartbeat([r.id], a.owner), []);
    t.deepEqual(s.heartbeat([r.id], b.owner), [r.id], 'b holds nothing');
    // Seen a minute later, the heartbeat is stale: b takes the cell over, and its old metrics go.
    t.true(s.claim(r.id, b, rule({ staleMs: -60_000 })));
    t.deepEqual(s.metrics(r.id), []);
    t.is(s.getRun(r.id).owner, b.owner);
    t.false(s.logMetrics(r.id, a.owner, [{ name: 'loss', epoch: 2, step: 2, value: 0.5 }]), 'the old owner can no longer write');
    t.deepEqual(s.heartbeat([r.id], a.owner), [r.id]);
    t.true(s.finish(r.id, b.owner, 'finished'));
    t.deepEqual(s.heartbeat([r.id], b.owner), [], 'a run its owner just finished is not lost to it');
    t.false(s.claim(r.id, a, rule()), 'a finished cell is not claimed without force');
    t.true(s.claim(r.id, a, rule({ force: true })), 'force reruns it');
    s.close();
  });

  test(`${kind}: a failure from before the sweep is retried, one from during it is a result`, (t) => {
    const s = make();
    s.saveExperiment('e', 'E', {});
    const r = s.enqueue(cell('h3'), env);
    s.claim(r.id, a, rule());
    s.finish(r.id, a.owner, 'failed', 'boom');
    const ended = s.getRun(r.id).finishedAt!;
    t.false(s.claim(r.id, b, rule({ endedBefore: new Date(ended.getTime() - 1) })));
    t.true(s.claim(r.id, b, rule({ endedBefore: new Date(ended.getTime() + 1) })));
    s.close();
  });
}

test('of concurrent claims on one database file from two processes, exactly one wins', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'store-'));
  const file = path.join(dir, 'r.db');
  const s = new SqliteStore(file);
  s.saveExperiment('e', 'E', {});
  const ids = Array.from({ length: 200 }, (_, i) => s.enqueue(cell(`c${i}`), env).id);
  s.close();
  // Two processes race through the same 200 cells, each in its own random order; every cell must be won exactly once.
  const script = `
    import { SqliteStore } from ${JSON.stringify(new URL('../../runner/store/sqlite-store.ts', import.meta.url).pathname)};
    const s = new SqliteStore(process.argv[1]);
    while (Date.now() < Number(process.argv[3])); // both start claiming at the same instant
    const me = { packageVersion: '0', gitCommit: null, host: 'h', pid: process.pid, owner: 'p' + process.pid };
    const ids = JSON.parse(process.argv[2]).sort(() => Math.random() - 0.5);
    const won = ids.filter((id) => s.claim(id, me, { staleMs: 30000, endedBefore: new Date() }));
    process.stdout.write(JSON.stringify(won));`;
  const go = String(Date.now() + 3000);
  const race = () => promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, file, JSON.stringify(ids), go]);
  const [x, y] = await Promise.all([race(), race()]);
  const wonX: number[] = JSON.parse(x.stdout), wonY: number[] = JSON.parse(y.stdout);
  t.is(wonX.length + wonY.length, ids.length);
  t.deepEqual([...wonX, ...wonY].sort((p, q) => p - q), ids);
  t.log(`claims won: ${wonX.length} and ${wonY.length}`);
});

test('the experiment spec round-trips and updates in place', (t) => {
  const s = new SqliteStore(':memory:');
  s.saveExperiment('e', 'E', { a: 1 });
  s.saveExperiment('e', 'E2', { a: 2 });
  t.deepEqual(s.listExperiments().map((e) => [e.name, e.title, e.spec]), [['e', 'E2', { a: 2 }]]);
  t.is(s.getExperiment('nope'), null);
  t.throws(() => s.getRun(99), { message: 'run 99 not found' });
  s.close();
});

test('a reused result keeps the environment of the run that computed it: backend, commit, version, host', (t) => {
  const s = new SqliteStore(':memory:');
  s.saveExperiment('e', 'E', { rows: [] });
  s.saveExperiment('f', 'F', { rows: [] });
  const src = s.enqueue(cell('shared'), env);
  s.claim(src.id, a, rule());
  s.setBackend(src.id, a.owner, 'native-cpu', 'onnxruntime');
  s.logMetrics(src.id, a.owner, [{ name: 'loss', epoch: 1, step: 10, value: -0.9 }]);
  s.finish(src.id, a.owner, 'finished');
  const later: Claimant = { packageVersion: '9.9.9', gitCommit: 'later', host: 'other', pid: 3, owner: 'other:3:c' };
  const copy = s.enqueue({ ...cell('shared'), experiment: 'f' }, later);
  t.true(s.claim(copy.id, later, rule()));
  t.true(s.reuse(copy.id, later.owner, s.findResult('shared', 'f')!));
  t.like(s.getRun(copy.id), { status: 'finished', backend: 'native-cpu', device: 'onnxruntime', gitCommit: 'abc', packageVersion: '0.0.0', host: 'h', reusedFrom: src.id });
  s.close();
});
