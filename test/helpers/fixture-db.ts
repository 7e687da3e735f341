import type { MetricPoint, RunStore } from '../../runner/store/run-store.ts';
import { SqliteStore } from '../../runner/store/sqlite-store.ts';

const env = { packageVersion: '0.1.0', gitCommit: 'c0ffee', host: 'fixture-host', pid: 1 };

/** The owner that fixtures write runs as. */
export const FIXTURE_OWNER = 'w';

/** Claim a queued run as the fixture owner and record its backend, as a cell process's start does. */
export function startRun(s: RunStore, runId: number, backend = 'wasm', device: string | null = null): void {
  s.claim(runId, { ...env, owner: FIXTURE_OWNER }, { staleMs: 30_000, endedBefore: new Date() });
  s.setBackend(runId, FIXTURE_OWNER, backend, device);
}

/** Per-epoch loss, z_std and kNN curves of `epochs` epochs, with kNN at random init (epoch 0) as a run records it. */
export function curves(epochs: number, f: (e: number) => [number, number, number]): MetricPoint[] {
  return [{ name: 'knn_acc' as const, epoch: 0, step: 0, value: f(0)[2] }, ...Array.from({ length: epochs }, (_, i) => {
    const [loss, z, knn] = f(i + 1);
    return [
      { name: 'loss' as const, epoch: i + 1, step: 10 * (i + 1), value: loss },
      { name: 'z_std' as const, epoch: i + 1, step: 10 * (i + 1), value: z },
      { name: 'knn_acc' as const, epoch: i + 1, step: 10 * (i + 1), value: knn },
    ];
  }).flat()];
}

/**
 * A results database for dashboard tests: a stop-gradient experiment with two rows and
 * two seeds over a batch-size axis, a failed run, and an experiment whose name and
 * row label are hostile HTML.
 */
export function writeFixtureDb(file: string): void {
  const s = new SqliteStore(file);
  const cfg = (stopGradient: boolean, batchSize: number) => ({ projector: { dim: 256 }, similarity: { kind: 'cosine' }, stopGradient, batchSize });
  s.saveExperiment('stopgrad', 'Stop-gradient', {
    name: 'stopgrad', title: 'Stop-gradient', source: 'Sec. 4.1', metric: 'knn_acc',
    rows: [{ label: 'w/ stop-grad', paper: 67.7 }, { label: 'w/o stop-grad', paper: 0.1 }],
  });
  for (const sg of [true, false]) {
    for (const batch of [64, 128]) {
      for (const seed of [0, 1]) {
        const r = s.enqueue({
          experiment: 'stopgrad', cellHash: `${sg}-${batch}-${seed}`, rowLabel: sg ? 'w/ stop-grad' : 'w/o stop-grad',
          axes: { batchSize: batch }, seed, preset: 'small', config: cfg(sg, batch),
        }, env);
        startRun(s, r.id);
        s.logMetrics(r.id, FIXTURE_OWNER, curves(10, (e) => (sg
          ? [-0.4 - 0.04 * e, 0.061, 0.5 + 0.03 * e + seed / 100]
          : [-0.6 - 0.039 * e, 0.06 / e, 0.45 - 0.01 * e])));
        s.finish(r.id, FIXTURE_OWNER, 'finished');
      }
    }
  }
  const failed = s.enqueue({ experiment: 'stopgrad', cellHash: 'failed', rowLabel: 'w/ stop-grad', axes: { batchSize: 256 }, seed: 0, preset: 'small', config: cfg(true, 256) }, env);
  startRun(s, failed.id);
  s.finish(failed.id, FIXTURE_OWNER, 'failed', 'cell process exited (SIGKILL)');
  const evil = '<script>alert("x")</script>';
  s.saveExperiment(evil, `${evil} title`, { name: evil, title: evil, source: evil, metric: 'knn_acc', rows: [{ label: evil, paper: evil }] });
  const r = s.enqueue({ experiment: evil, cellHash: 'evil', rowLabel: evil, axes: {}, seed: 0, preset: 'small', config: cfg(true, 64) }, env);
  startRun(s, r.id);
  s.logMetrics(r.id, FIXTURE_OWNER, curves(2, (e) => [-0.5, 0.05, 0.4 + e / 100]));
  s.finish(r.id, FIXTURE_OWNER, 'finished', evil);
  s.close();
}
