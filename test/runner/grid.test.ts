import test from 'ava';
import { EXPERIMENTS, loadExperiment, validateSpec } from '../../experiments/registry.ts';
import { SpecError } from '../../experiments/validate.ts';
import { cellHash, expandGrid } from '../../runner/grid.ts';

const fixture = (f: string) => new URL(`../fixtures/${f}`, import.meta.url).pathname;

test('every built-in experiment expands at every scale preset it can run at', (t) => {
  for (const spec of Object.values(EXPERIMENTS)) {
    for (const preset of ['tiny', 'small', 'fashion', 'paper'] as const) {
      const g = expandGrid(spec, { preset });
      t.true(g.cells.length + g.skipped.length >= spec.rows.length, `${spec.name} at ${preset}`);
    }
  }
});

test('cells are rows x axes x seeds, each with a hash of its resolved configuration', async (t) => {
  const spec = await loadExperiment(fixture('axes.yaml'));
  const g = expandGrid(spec, { seeds: [0, 1] });
  t.is(g.cells.length, 2 * 2 * 2);
  t.deepEqual(g.cells.map((c) => c.config.batchSize), [16, 16, 32, 32, 16, 16, 32, 32]);
  t.is(new Set(g.cells.map((c) => c.hash)).size, 8);
  for (const c of g.cells) t.is(c.hash, cellHash(c.config));
  t.is(expandGrid(spec, { seeds: [0, 1] }).cells[3].hash, g.cells[3].hash, 'stable across expansions');
});

test('a preset changes the size, not the comparison; rows switch kinds cleanly', (t) => {
  const small = expandGrid(EXPERIMENTS.predictor, { preset: 'small' });
  const tiny = expandGrid(EXPERIMENTS.predictor, { preset: 'tiny' });
  t.deepEqual(small.cells.map((c) => c.config.predictor.kind), tiny.cells.map((c) => c.config.predictor.kind));
  t.deepEqual(small.cells[1].config.predictor, { kind: 'none' });
  t.deepEqual(small.cells[2].config.predictor, { kind: 'frozen', hidden: 64 });
  t.is(expandGrid(EXPERIMENTS.batchnorm, { preset: 'small' }).cells[0].config.optimizer.warmupEpochs, 1);
});

test('rows that cannot run at a preset are skipped with the reason', (t) => {
  const g = expandGrid(EXPERIMENTS['batch-size'], { preset: 'small' });
  t.deepEqual(g.cells.map((c) => c.config.batchSize), [64, 128, 256, 512, 1024]);
  t.deepEqual([...new Set(g.skipped.map((s) => s.rowLabel))], ['2048', '4096']);
  t.regex(g.skipped[0].reason, /batch 2048 exceeds the 2000 training images/);
});

test('bad specs fail before anything runs, naming where', async (t) => {
  const e1 = t.throws(() => expandGrid({ ...EXPERIMENTS.stopgrad, rows: [{ label: 'x', set: { bn: 'sometimes' as never }, paper: null }] }), { instanceOf: SpecError });
  t.regex(e1!.message, /stopgrad, row "x".*\n.*bn = "sometimes"/);
  const e2 = t.throws(() => expandGrid({ ...EXPERIMENTS.stopgrad, axes: { 'optimizer.lr': [1] } }), { instanceOf: SpecError });
  t.regex(e2!.message, /unknown field optimizer\.lr/);
  const e3 = t.throws(() => validateSpec({ name: 'x', title: 't', source: '', preset: 'huge', rows: [], seeds: [], metric: 'acc' }, 'spec.json'), { instanceOf: SpecError });
  t.regex(e3!.message, /preset: .*"tiny"/);
  t.regex(e3!.message, /metric: /);
  await t.throwsAsync(loadExperiment('no-such-experiment'), { message: /unknown experiment 'no-such-experiment': not a built-in \(baseline, stopgrad/ });
  t.throws(() => expandGrid(EXPERIMENTS.stopgrad, { sets: ['epochs=0'] }), { message: /epochs = 0/ });
});
