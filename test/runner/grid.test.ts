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

test('--set applies after each cell\'s row: a row\'s own component can be tuned; rows without the field are listed', (t) => {
  const g = expandGrid(EXPERIMENTS['moving-average'], { preset: 'tiny', sets: ['target.momentum=0.9'] });
  t.deepEqual(g.cells.map((c) => c.config.target), [
    { kind: 'moving-average', momentum: 0.9, init: 'first', normalize: true },
    { kind: 'simsiam' },
  ]);
  t.deepEqual(g.partialOverrides, [{ set: 'target.momentum=0.9', skippedRows: ['no pred., no average (Table 1a)'] }]);
  const plain = expandGrid(EXPERIMENTS['moving-average'], { preset: 'tiny' });
  t.not(g.cells[0].hash, plain.cells[0].hash, 'the hash follows the resolved configuration');
  t.is(g.cells[1].hash, plain.cells[1].hash, 'a row the override skipped is the same cell');
  // An override wins over what the row sets: the predictor experiment's rows all get the hidden width.
  t.deepEqual(expandGrid(EXPERIMENTS.predictor, { preset: 'tiny', sets: ['predictor.hidden=12'] }).cells.map((c) => c.config.predictor),
    [{ kind: 'mlp', hidden: 12, lr: 'decayed' }, { kind: 'none' }, { kind: 'frozen', hidden: 12 }, { kind: 'mlp', hidden: 12, lr: 'constant' }]);
});

test('--set errors: a field no cell has is named; rows an override makes identical are refused; a row function sees the overrides', (t) => {
  const none = t.throws(() => expandGrid(EXPERIMENTS.stopgrad, { preset: 'tiny', sets: ['target.momentum=0.9'] }), { instanceOf: SpecError });
  t.regex(none!.message, /--set target\.momentum=0\.9: unknown field target\.momentum; fields here: kind/);
  const hidden = t.throws(() => expandGrid(EXPERIMENTS['moving-average'], { preset: 'tiny', sets: ['predictor.hidden=16'] }), { instanceOf: SpecError });
  t.regex(hidden!.message, /no row of moving-average has the field predictor\.hidden/);
  const same = t.throws(() => expandGrid(EXPERIMENTS.stopgrad, { preset: 'tiny', sets: ['stopGradient=true'] }), { instanceOf: SpecError });
  t.regex(same!.message, /rows "w\/ stop-grad" and "w\/o stop-grad" resolve to the same configuration with --set stopGradient=true/);
  t.is(expandGrid(EXPERIMENTS.batchnorm, { preset: 'small', sets: ['epochs=30'] }).cells[0].config.optimizer.warmupEpochs, 3, 'a tenth of the overridden epochs');
});

test('a minimal spec needs only a name and rows; the rest takes the documented defaults', async (t) => {
  const spec = await loadExperiment(fixture('minimal.yaml'));
  t.like(spec, { name: 'mini', title: 'mini', source: 'custom', preset: 'small', metric: 'knn_acc', seeds: [0] });
  t.deepEqual(spec.rows.map((r) => r.paper), [null, null]);
  t.is(expandGrid(spec).cells.length, 2);
});
