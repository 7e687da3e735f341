import { defineExperiment } from '../spec.ts';

/** Table 1: the predictor must exist and be trained; a constant predictor lr is slightly better. */
export default defineExperiment({
  name: 'predictor',
  title: 'Effect of prediction MLP',
  source: 'Table 1',
  preset: 'small',
  metric: 'knn_acc',
  seeds: [0],
  rows: [
    { label: 'baseline (lr with cosine decay)', set: { predictor: { kind: 'mlp', lr: 'decayed' } }, paper: 67.7 },
    { label: '(a) no pred. MLP', set: { predictor: { kind: 'none' } }, paper: 0.1 },
    { label: '(b) fixed random init.', set: { predictor: { kind: 'frozen' } }, paper: 1.5 },
    { label: '(c) lr not decayed', set: { predictor: { kind: 'mlp', lr: 'constant' } }, paper: 68.1 },
  ],
});
