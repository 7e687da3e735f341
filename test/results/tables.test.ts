import test from 'ava';
import type { MetricPoint } from '../../runner/store/run-store.ts';
import { SqliteStore } from '../../runner/store/sqlite-store.ts';
import { ours, renderTables } from '../../results/render-table.ts';
import { FIXTURE_OWNER, startRun } from '../helpers/fixture-db.ts';
import { buildTable } from '../../results/tables.ts';

const env = { packageVersion: '0.1.0', gitCommit: null, host: 'fixture', pid: 1 };
const spec = {
  name: 'fixture', title: 'Stop-gradient <&>', source: 'Sec. 4.1', metric: 'knn_acc' as const,
  rows: [
    { label: 'w/ stop-grad', paper: 67.7 }, { label: 'w/o stop-grad', paper: 0.1 },
    { label: 'BN on pred. output', paper: 'unstable' }, { label: 'crashed', paper: 68.0 }, { label: 'not run yet', paper: 68.1 },
  ],
};

/** Per-epoch curves of a run: loss, z_std and knn over `losses.length` epochs. */
function curves(losses: number[], zstd: number[], knn: number[]): MetricPoint[] {
  return [{ name: 'knn_acc' as const, epoch: 0, step: 0, value: 0.5 }, ...losses.flatMap((l, i) => [
    { name: 'loss' as const, epoch: i + 1, step: 10 * (i + 1), value: l },
    { name: 'z_std' as const, epoch: i + 1, step: 10 * (i + 1), value: zstd[i] },
    { name: 'knn_acc' as const, epoch: i + 1, step: 10 * (i + 1), value: knn[i] },
  ])];
}

/** The fixture database: three seeds with stop-grad, two collapsed without, an oscillating row, a diverged seed. */
function fixtureStore(): SqliteStore {
  const s = new SqliteStore(':memory:');
  s.saveExperiment(spec.name, spec.title, spec);
  const add = (row: string, seed: number, status: 'finished' | 'diverged' | 'failed', pts: MetricPoint[]) => {
    const r = s.enqueue({ experiment: 'fixture', cellHash: `${row}-${seed}`, rowLabel: row, axes: {}, seed, preset: 'small',
      config: { projector: { dim: 256 }, similarity: { kind: 'cosine' } } }, env);
    startRun(s, r.id);
    s.logMetrics(r.id, FIXTURE_OWNER, pts);
    s.finish(r.id, FIXTURE_OWNER, status, status === 'failed' ? 'boom' : null);
  };
  [0.79, 0.81, 0.80].forEach((k, seed) => add('w/ stop-grad', seed, 'finished', curves([-0.5, -0.7, -0.8], [0.061, 0.062, 0.061], [0.6, 0.7, k])));
  [0, 1].forEach((seed) => add('w/o stop-grad', seed, 'finished', curves([-0.9, -0.99, -0.999], [0.02, 0.003, 0.001], [0.3, 0.15, 0.1 + seed / 100])));
  add('BN on pred. output', 0, 'finished', curves([-0.5, -0.2, -0.6, -0.1, -0.5, -0.2], [0.05, 0.05, 0.05, 0.05, 0.05, 0.05], [0.5, 0.4, 0.5, 0.4, 0.5, 0.45]));
  add('BN on pred. output', 1, 'diverged', [...curves([-0.5], [0.05], [0.5]), { name: 'loss', epoch: 2, step: 20, value: NaN }]);
  add('crashed', 0, 'failed', []);
  add('w/ stop-grad', 3, 'failed', []); // killed: no result, but counted

  return s;
}

test('tables: mean ± std over seeds, the paper beside it, an outcome, missing cells as missing', (t) => {
  const store = fixtureStore();
  const table = buildTable(store, spec);
  const [sg, nosg, bn, crashed, none] = table.lines;
  t.is(sg.n, 3);
  t.is(+sg.mean!.toFixed(6), 80);
  t.is(+sg.std!.toFixed(6), 1);
  t.is(sg.outcome, 'trains 3/3');
  t.is(ours(sg), '80.0 ± 1.0 (n=3, 1 failed)', 'a failed seed is shown, not hidden');
  t.is(nosg.outcome, 'z collapsed 2/2, representation lost 2/2');
  t.is(bn.outcome, 'diverged 1/2, representation lost 1/2');
  t.is(bn.n, 1, 'a diverged seed has no accuracy');
  t.is(crashed.outcome, 'failed');
  t.is(crashed.failed, 1);
  t.is(crashed.mean, null);
  t.is(none.outcome, 'missing');
  t.is(none.mean, null);
  for (const format of ['md', 'csv', 'latex', 'json'] as const) t.snapshot(renderTables([table], format), format);
  store.close();
});

test('html tables escape every value', (t) => {
  const store = fixtureStore();
  const html = renderTables([buildTable(store, spec)], 'html');
  t.true(html.includes('Stop-gradient &lt;&amp;&gt;'));
  t.false(html.includes('<&>'));
  t.snapshot(html);
  store.close();
});
