import test from 'ava';
import { EXPERIMENTS } from '../../experiments/registry.ts';
import { calibrationBudgetMs, CALIBRATION_MIN_PER_SHAPE_MS, cellCosts, costKey } from '../../runner/estimate.ts';
import { expandGrid } from '../../runner/grid.ts';

test('an estimate never counts a cell as 0 s: an untimed shape is a lower bound, and every shape gets its own calibration time', (t) => {
  const cells = expandGrid(EXPERIMENTS.stopgrad, { preset: 'fashion', seeds: [0, 1] }).cells;
  // No finished cell of the shape, and its calibration finished no step in 31 s (ResNet-18 on 60k images loads slowly).
  const failed = new Map(cells.map((c) => [costKey(c.config), { why: 'no step finished within 24 s', seconds: 31 }]));
  const costs = cellCosts(cells, new Map(), failed);
  t.true(costs.every((c) => c.seconds >= 31 && c.source === 'lower bound'));
  // Timed shapes are as measured; a shape with neither a rate nor a calibration still gets a floor.
  t.true(cellCosts(cells, new Map(), new Map()).every((c) => c.seconds > 0));
  const timed = cellCosts(cells, new Map(), new Map(cells.map((c) => [costKey(c.config), { backend: 'wasm', startupSeconds: 2, knnSeconds: 1, stepSeconds: [0.5] }])));
  t.true(timed.every((c) => c.source === 'calibration' && c.seconds > c.steps * 0.5));
  // Medium at 10 seeds has dozens of shapes: each is timed, none dropped for want of time.
  t.is(calibrationBudgetMs(40, 2), CALIBRATION_MIN_PER_SHAPE_MS);
});
