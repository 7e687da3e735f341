import { defineExperiment } from '../spec.ts';

/** Sec. 4.5: cross-entropy similarity also works, a few points lower. */
export default defineExperiment({
  name: 'similarity',
  title: 'Similarity function',
  source: 'Sec. 4.5',
  preset: 'small',
  metric: 'linear_acc',
  seeds: [0],
  rows: [
    { label: 'cosine', set: { similarity: { kind: 'cosine' } }, paper: 68.1 },
    { label: 'cross-entropy', set: { similarity: { kind: 'cross-entropy' } }, paper: 63.2 },
  ],
  findings: [
    {
      id: 'similarity-cross-entropy',
      claim: 'Cross-entropy similarity trains without collapse, a little below cosine (Sec. 4.5).',
      test: { kind: 'all', of: [{ kind: 'trains', row: 'cross-entropy' }, { kind: 'below', row: 'cross-entropy', than: 'cosine' }] },
    },
  ],
});
