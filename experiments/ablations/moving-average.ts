import { defineExperiment } from '../spec.ts';

/**
 * Sec. 5.2: without a predictor, a moving average of the targets (m = 0.8) prevents
 * collapse; the same model without the average collapses (Table 1a). Defaults for
 * what the paper leaves open: eta starts as the first value computed for an image, is
 * l2-normalised (footnote 5), and the loss stays symmetric as the baseline's.
 */
export default defineExperiment({
  name: 'moving-average',
  title: 'Moving-average targets, no predictor',
  source: 'Sec. 5.2 / Table 1a',
  preset: 'small',
  metric: 'linear_acc',
  seeds: [0],
  rows: [
    {
      label: 'moving average (m = 0.8), no pred.',
      set: { predictor: { kind: 'none' }, target: { kind: 'moving-average', momentum: 0.8, init: 'first', normalize: true } },
      paper: 55.0,
    },
    { label: 'no pred., no average (Table 1a)', set: { predictor: { kind: 'none' }, target: { kind: 'simsiam' } }, paper: 0.1 },
  ],
  findings: [
    {
      id: 'moving-average-target',
      claim: 'Without a predictor, a moving-average target trains where the same model without it collapses (Sec. 5.2).',
      test: { kind: 'all', of: [
        { kind: 'trains', row: 'moving average (m = 0.8), no pred.' }, { kind: 'collapses', row: 'no pred., no average (Table 1a)' },
      ] },
    },
  ],
});
