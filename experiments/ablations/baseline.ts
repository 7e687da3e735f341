import { defineExperiment } from '../spec.ts';

/** SimSiam itself at a preset: one row, for single runs and their overrides. */
export default defineExperiment({
  name: 'baseline',
  title: 'SimSiam',
  source: 'Table 4 (100 ep)',
  preset: 'small',
  metric: 'linear_acc',
  seeds: [0],
  rows: [{ label: 'SimSiam', set: {}, paper: 68.1 }],
});
