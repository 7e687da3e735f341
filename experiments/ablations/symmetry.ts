import { defineExperiment } from '../spec.ts';

/** Sec. 4.6: the asymmetric loss works, lower; two independent pairs narrow the gap. */
export default defineExperiment({
  name: 'symmetry',
  title: 'Symmetrization',
  source: 'Sec. 4.6',
  preset: 'small',
  metric: 'linear_acc',
  seeds: [0],
  rows: [
    { label: 'sym.', set: { loss: { kind: 'symmetric' } }, paper: 68.1 },
    { label: 'asym.', set: { loss: { kind: 'asymmetric' } }, paper: 64.8 },
    { label: 'asym. 2x', set: { loss: { kind: 'asymmetric-2x' } }, paper: 67.3 },
  ],
  findings: [
    {
      id: 'symmetry-asymmetric',
      claim: 'The asymmetric loss trains, below the symmetric one; sampling twice as many pairs narrows the gap (Sec. 4.6).',
      test: { kind: 'all', of: [
        { kind: 'trains', row: 'asym.' }, { kind: 'below', row: 'asym.', than: 'sym.' }, { kind: 'below', row: 'asym.', than: 'asym. 2x' },
      ] },
    },
  ],
});
