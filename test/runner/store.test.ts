import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqliteStore } from '../../runner/store/sqlite-store.ts';
import type { RunEnvironment, RunStore } from '../../runner/store/run-store.ts';

const env: RunEnvironment = { packageVersion: '0.0.0', gitCommit: 'abc', host: 'h', pid: 1 };
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
    s.start(r.id, 'wasm', env);
    s.logMetrics(r.id, [
      { name: 'loss', epoch: 1, step: 10, value: -0.5 }, { name: 'loss', epoch: 2, step: 20, value: NaN },
      { name: 'z_std', epoch: 2, step: 20, value: Infinity },
    ]);
    s.finish(r.id, 'diverged');
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

  test(`${kind}: a running cell without a heartbeat becomes interrupted; restarting clears old metrics`, (t) => {
    const s = make();
    s.saveExperiment('e', 'E', {});
    const r = s.enqueue(cell('h2', 1), env);
    s.start(r.id, 'cpu', env);
    s.logMetrics(r.id, [{ name: 'loss', epoch: 1, step: 1, value: 0.1 }]);
    t.deepEqual(s.markStale(30_000), []);
    const stale = s.markStale(30_000, new Date(Date.now() + 60_000));
    t.deepEqual(stale.map((x) => x.id), [r.id]);
    t.is(s.getRun(r.id).status, 'interrupted');
    s.start(r.id, 'cpu', env);
    t.deepEqual(s.metrics(r.id), []);
    s.close();
  });
}

test('the experiment spec round-trips and updates in place', (t) => {
  const s = new SqliteStore(':memory:');
  s.saveExperiment('e', 'E', { a: 1 });
  s.saveExperiment('e', 'E2', { a: 2 });
  t.deepEqual(s.listExperiments().map((e) => [e.name, e.title, e.spec]), [['e', 'E2', { a: 2 }]]);
  t.is(s.getExperiment('nope'), null);
  t.throws(() => s.getRun(99), { message: 'run 99 not found' });
  s.close();
});
