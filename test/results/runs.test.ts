import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readRuns } from '../../results/runs.ts';
import { SqliteStore } from '../../runner/store/sqlite-store.ts';
import { curves, FIXTURE_OWNER, startRun } from '../helpers/fixture-db.ts';

// native-cpu with and without its addon computes with different kernels: a verdict's
// one-backend rule must see them as two.
test('a run\'s backend, as verdicts compare it, includes what it ran on (native-cpu\'s addon, a GPU adapter)', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'simsiam-runs-'));
  const s = new SqliteStore(path.join(dir, 'r.db'));
  const env = { packageVersion: '0.1.0', gitCommit: 'c0ffee', host: 'h', pid: 1 };
  s.saveExperiment('e', 'E', { name: 'e', title: 'E', source: 's', metric: 'knn_acc', rows: [{ label: 'a', paper: 1 }] });
  for (const [seed, device] of [[0, 'onnxruntime 1.30.0, addon v1'], [1, 'onnxruntime 1.30.0, addon off (SIMSIAM_ADDON=off)'], [2, null]] as const) {
    const r = s.enqueue({ experiment: 'e', cellHash: `h${seed}`, rowLabel: 'a', axes: {}, seed, preset: 'small', config: { projector: { dim: 8 } } }, env);
    startRun(s, r.id, seed === 2 ? 'wasm' : 'native-cpu', device);
    s.logMetrics(r.id, FIXTURE_OWNER, curves(1, () => [-0.5, 0.1, 0.5]));
    s.finish(r.id, FIXTURE_OWNER, 'finished');
  }
  const backends = readRuns(s, 'e', ['knn_acc']).rows.get('a')!.map((r) => r.backend);
  t.deepEqual(backends, ['native-cpu (onnxruntime 1.30.0, addon v1)', 'native-cpu (onnxruntime 1.30.0, addon off (SIMSIAM_ADDON=off))', 'wasm']);
  s.close();
  fs.rmSync(dir, { recursive: true, force: true });
});
