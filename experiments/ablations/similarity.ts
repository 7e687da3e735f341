import { defineExperiment } from '../spec.ts';

/** Sec. 4.5: cross-entropy similarity also works, a few points lower. */
export default defineExperiment({
  name: 'similarity',
  title: 'Similarity function',
  source: 'Sec. 4.5',
  preset: 'small',
  metric: 'knn_acc',
  seeds: [0],
  rows: [
    { label: 'cosine', set: { similarity: { kind: 'cosine' } }, paper: 68.1 },
    { label: 'cross-entropy', set: { similarity: { kind: 'cross-entropy' } }, paper: 63.2 },
  ],
});
