import test from 'ava';
import { judge, type Rows, type Seed } from '../../results/verdicts.ts';
import { SqliteStore } from '../../runner/store/sqlite-store.ts';
import { buildTable } from '../../results/tables.ts';
import { renderTables } from '../../results/render-table.ts';
import { EXPERIMENTS, validateSpec } from '../../experiments/registry.ts';
import { FIXTURE_OWNER, startRun } from '../helpers/fixture-db.ts';

const zRef = 1 / Math.sqrt(256);
const healthy = (seed: number, value: number): Seed => ({
  seed, diverged: false, value, loss: -0.8, zStd: 0.061, zRef, cosine: true, knn0: 0.49, knn: value / 100, lossStd: 0.02,
});
const collapsed = (seed: number): Seed => ({ ...healthy(seed, 51), loss: -0.976, zStd: 0.0129 });
const rows = (r: Record<string, Seed[]>): Rows => new Map(Object.entries(r));

test('collapse needs every seed to lose the representation: loss near −1, z_std far below 1/√d, kNN no better than at init', (t) => {
  const all = judge({ kind: 'collapses', row: 'x' }, rows({ x: [collapsed(0), collapsed(1), collapsed(2)] }));
  t.is(all.verdict, 'reproduced');
  t.regex(all.evidence, /seed 0: loss -0\.976, z_std 0\.0129 \(1\/√d 0\.0625\), kNN 51\.0% vs 49\.0% at init/);
  t.deepEqual(all.seeds, [0, 1, 2]);
  // Dimensional collapse of z with a good backbone is not the paper's collapse.
  const dimensional = { ...collapsed(1), knn: 0.862 };
  t.is(judge({ kind: 'collapses', row: 'x' }, rows({ x: [collapsed(0), dimensional] })).verdict, 'not reproduced');
  t.is(judge({ kind: 'trains', row: 'x' }, rows({ x: [healthy(0, 80), healthy(1, 81)] })).verdict, 'reproduced');
  t.is(judge({ kind: 'fails', row: 'x' }, rows({ x: [{ ...healthy(0, 44), knn: 0.44 }] })).verdict, 'reproduced');
  t.is(judge({ kind: 'collapses', row: 'x' }, rows({})).verdict, 'inconclusive');
});

test('a comparison uses every seed through Welch\'s test; fewer than 3 seeds is inconclusive, never reproduced', (t) => {
  const a = [healthy(0, 70.1), healthy(1, 71.3), healthy(2, 70.6)];
  const b = [healthy(0, 80.2), healthy(1, 79.4), healthy(2, 80.9)];
  const below = judge({ kind: 'below', row: 'a', than: 'b' }, rows({ a, b }));
  t.is(below.verdict, 'reproduced');
  t.regex(below.evidence, /"a" 70\.7 ± 0\.6 \(n=3\) vs "b" 80\.2 ± 0\.8 \(n=3\); difference -9\.50 points, Welch one-sided p = \S+, against \S+ \(α = 0\.05\)/);
  t.is(judge({ kind: 'below', row: 'b', than: 'a' }, rows({ a, b })).verdict, 'not reproduced', 'the data show the opposite, significantly');
  // Means in the wrong order without significance: too noisy to tell, not a refutation.
  const noisy = [healthy(0, 60), healthy(1, 90), healthy(2, 75)];
  t.is(judge({ kind: 'below', row: 'n', than: 'a' }, rows({ n: noisy, a })).verdict, 'inconclusive');
  const two = judge({ kind: 'below', row: 'a', than: 'b' }, rows({ a: a.slice(0, 2), b }));
  t.is(two.verdict, 'inconclusive');
  t.regex(two.evidence, /"a" has 2 seed\(s\); a comparison needs 3/);
  const close = [healthy(0, 80.0), healthy(1, 80.3), healthy(2, 79.9)];
  const tight = [healthy(0, 80.1), healthy(1, 80.2), healthy(2, 80.0)];
  t.is(judge({ kind: 'at-least', row: 'c', than: 'b', margin: 1 }, rows({ c: close, b: tight })).verdict, 'reproduced');
  t.is(judge({ kind: 'at-least', row: 'c', than: 'b', margin: 1 }, rows({ c: close, b })).verdict, 'inconclusive', 'too noisy to tell at 3 seeds');
  t.is(judge({ kind: 'at-least', row: 'a', than: 'b', margin: 1 }, rows({ a, b })).verdict, 'not reproduced');
  t.is(judge({ kind: 'within', rows: ['c', 'b'], within: 2 }, rows({ c: close, b: tight })).verdict, 'reproduced');
  t.is(judge({ kind: 'within', rows: ['a', 'b'], within: 2 }, rows({ a, b })).verdict, 'not reproduced');
  t.regex(judge({ kind: 'within', rows: ['c', 'b', 'z'], within: 2 }, rows({ c: close, b })).evidence, /not run: "z"/);
});

test('instability is judged from the per-step loss std within epochs, or divergence', (t) => {
  const shaky = [0, 1, 2].map((s) => ({ ...healthy(s, 60), lossStd: 0.2 + s / 100 }));
  const calm = [0, 1, 2].map((s) => ({ ...healthy(s, 80), lossStd: 0.02 + s / 1000 }));
  t.is(judge({ kind: 'unstable', row: 's', than: 'c' }, rows({ s: shaky, c: calm })).verdict, 'reproduced');
  t.is(judge({ kind: 'unstable', row: 'c', than: 's' }, rows({ s: shaky, c: calm })).verdict, 'not reproduced');
  t.is(judge({ kind: 'unstable', row: 's', than: 'c' }, rows({ s: [{ ...shaky[0], diverged: true, value: null }], c: calm })).verdict, 'reproduced');
  const both = judge({ kind: 'all', of: [{ kind: 'trains', row: 'c' }, { kind: 'unstable', row: 's', than: 'c' }] }, rows({ s: shaky, c: calm }));
  t.is(both.verdict, 'reproduced');
  t.regex(both.evidence, /^\[reproduced\] .* · \[reproduced\] /);
});

test('every built-in experiment\'s findings name its own rows', (t) => {
  for (const spec of Object.values(EXPERIMENTS)) t.notThrows(() => validateSpec(spec, spec.name), spec.name);
  t.throws(() => validateSpec({ ...EXPERIMENTS.stopgrad, findings: [{ id: 'f', claim: 'c', test: { kind: 'collapses', row: 'nope' } }] }, 'spec.yaml'),
    { message: /finding "f" names row\(s\) "nope"; rows: "w\/ stop-grad", "w\/o stop-grad"/ });
});

test('tables carry one line per finding in every format', (t) => {
  const s = new SqliteStore(':memory:');
  const env = { packageVersion: '0', gitCommit: null, host: 'h', pid: 1 };
  s.saveExperiment('stopgrad', 'Stop-gradient', EXPERIMENTS.stopgrad);
  for (const [row, sg] of [['w/ stop-grad', true], ['w/o stop-grad', false]] as const) {
    const r = s.enqueue({ experiment: 'stopgrad', cellHash: row, rowLabel: row, axes: {}, seed: 0, preset: 'small', config: { projector: { dim: 256 }, similarity: { kind: 'cosine' } } }, env);
    startRun(s, r.id);
    s.logMetrics(r.id, FIXTURE_OWNER, [
      { name: 'knn_acc', epoch: 0, step: 0, value: 0.49 },
      { name: 'loss', epoch: 1, step: 31, value: sg ? -0.8 : -0.976 }, { name: 'z_std', epoch: 1, step: 31, value: sg ? 0.061 : 0.0129 },
      { name: 'knn_acc', epoch: 1, step: 31, value: sg ? 0.79 : 0.516 },
    ]);
    s.finish(r.id, FIXTURE_OWNER, 'finished');
  }
  const table = buildTable(s, EXPERIMENTS.stopgrad);
  t.like(table.findings[0], { id: 'stopgrad-collapse', verdict: 'reproduced', seeds: [0] });
  t.regex(renderTables([table], 'md'), /^- \*\*stopgrad-collapse\*\*: \*reproduced\* \(seeds 0\)\. Without stop-gradient .* \[reproduced\] every seed collapsed/m);
  t.regex(renderTables([table], 'html'), /<li class="finding verdict-reproduced"><strong>stopgrad-collapse<\/strong>/);
  t.regex(renderTables([table], 'csv'), /\nexperiment,finding,verdict,seeds,claim,evidence\nstopgrad,stopgrad-collapse,reproduced,0,/);
  t.regex(renderTables([table], 'latex'), /\\item stopgrad-collapse: REPRODUCED \(seeds 0\)/);
  t.is(JSON.parse(renderTables([table], 'json'))[0].findings[0].verdict, 'reproduced');
  s.close();
});
