// Page times of the dashboard on a large generated database:
//   npx tsx dashboard/bench-pages.ts [runs=5000] [epochs=100]
// Writes /tmp/dashboard-bench.db (runs x epochs x 5 metrics), serves it, and times each page (median of 5).
// A fourth argument `reuse` keeps the database of an earlier run.
import fs from 'node:fs';
import { serveDashboard } from './server.ts';
import { SqliteStore } from '../runner/store/sqlite-store.ts';
import type { MetricPoint } from '../runner/store/run-store.ts';

const runs = Number(process.argv[2] ?? 5000);
const epochs = Number(process.argv[3] ?? 100);
const db = '/tmp/dashboard-bench.db';
if (process.argv[4] !== 'reuse') generate();

function generate(): void {
for (const f of [db, `${db}-wal`, `${db}-shm`]) fs.rmSync(f, { force: true });
const t0 = performance.now();
const s = new SqliteStore(db);
const env = { packageVersion: '0.1.0', gitCommit: null, host: 'bench', pid: 1 };
s.saveExperiment('big', 'A big sweep', { name: 'big', title: 'A big sweep', source: 'bench', metric: 'knn_acc',
  rows: Array.from({ length: 10 }, (_, i) => ({ label: `row ${i}`, paper: 60 + i })) });
for (let i = 0; i < runs; i++) {
  const r = s.enqueue({ experiment: 'big', cellHash: `h${i}`, rowLabel: `row ${i % 10}`, axes: { batchSize: 64 << (i % 5) },
    seed: Math.floor(i / 50), preset: 'small', config: { projector: { dim: 256 }, similarity: { kind: 'cosine' } } }, env);
  s.claim(r.id, { ...env, owner: 'w' }, { staleMs: 30_000, endedBefore: new Date() });
  s.setBackend(r.id, 'w', 'wasm');
  const pts: MetricPoint[] = [];
  for (let e = 1; e <= epochs; e++) {
    for (const [name, v] of [['loss', -e / epochs], ['z_std', 0.06], ['knn_acc', 0.5 + e / (3 * epochs)], ['lr', 0.1 * (1 - e / epochs)], ['linear_acc', 0.7]] as const) {
      pts.push({ name, epoch: e, step: e * 30, value: v + (i % 7) / 1000 });
    }
  }
  s.logMetrics(r.id, 'w', pts);
  s.finish(r.id, 'w', 'finished');
}
s.close();
console.log(`generated ${runs} runs x ${epochs} epochs x 5 metrics (${runs * epochs * 5} rows) in ${((performance.now() - t0) / 1000).toFixed(0)}s, ${(fs.statSync(db).size / 2 ** 20).toFixed(0)} MiB`);
}

const dash = await serveDashboard({ db, port: 0, host: '127.0.0.1' });
const pages = ['', 'experiments/big', 'experiments/big?sort=knn_acc&dir=desc&page=50', 'experiments/big?group=batchSize',
  'experiments/big?axis.batchSize=256&status=finished', `runs/${runs}`, `api/runs/${runs}/metrics`, 'compare?ids=1,2,3', 'tables', 'tables/big?format=csv'];
for (const p of pages) {
  const times: number[] = [];
  for (let k = 0; k < 5; k++) {
    const t = performance.now();
    const r = await fetch(dash.url + p);
    await r.text();
    if (!r.ok) throw new Error(`${p}: ${r.status}`);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  console.log(`/${p.padEnd(55)} ${times[2].toFixed(0).padStart(6)} ms (median of 5)`);
}
await dash.close();
