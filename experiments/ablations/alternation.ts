import { defineExperiment } from '../spec.ts';

/**
 * Sec. 5.2: SimSiam as alternating optimisation; caching the targets for k steps works
 * about as well (k = 1 is SimSiam). k counts SGD steps: a block runs across epoch
 * boundaries, and "1-epoch" is k = the steps of one epoch.
 */
export default defineExperiment({
  name: 'alternation',
  title: 'Multi-step alternation',
  source: 'Sec. 5.2',
  preset: 'small',
  metric: 'linear_acc',
  seeds: [0],
  rows: [
    { label: '1-step', set: { target: { kind: 'alternation', every: 1, maxCacheMB: 4096 } }, paper: 68.1 },
    { label: '10-step', set: { target: { kind: 'alternation', every: 10, maxCacheMB: 4096 } }, paper: 68.7 },
    { label: '100-step', set: { target: { kind: 'alternation', every: 100, maxCacheMB: 4096 } }, paper: 68.9 },
    { label: '1-epoch', set: { target: { kind: 'alternation', every: 'epoch', maxCacheMB: 4096 } }, paper: 67.0 },
  ],
  findings: [
    // Margin (open): "as good" read as no more than 1 point below k = 1. In the paper a block
    // is a sliver of training: its coarsest row, 1 epoch of 100, is 1% of it. Declared budget
    // (open, from that ratio rather than from any result): a block at most 1% of a run, so
    // each part is judged where its own block is: 1000 steps for 10, 10000 for 100.
    {
      id: 'alternation-10-step',
      claim: 'Alternating every k = 10 steps is as good as every step (Sec. 5.2).',
      test: { kind: 'at-least', row: '10-step', than: '1-step', margin: 1 },
      budget: { minSteps: 1000, why: 'a 10-step block must be at most 1% of training, as the paper\'s coarsest block (1 epoch of 100) is' },
    },
    {
      id: 'alternation-100-step',
      claim: 'Alternating every k = 100 steps is as good as every step (Sec. 5.2).',
      test: { kind: 'at-least', row: '100-step', than: '1-step', margin: 1 },
      budget: { minSteps: 10000, why: 'a 100-step block must be at most 1% of training, as the paper\'s coarsest block (1 epoch of 100) is' },
    },
  ],
});
