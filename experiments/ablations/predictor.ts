import { defineExperiment } from '../spec.ts';

/** Table 1: the predictor must exist and be trained; a constant predictor lr is slightly better. */
export default defineExperiment({
  name: 'predictor',
  title: 'Effect of prediction MLP',
  source: 'Table 1',
  preset: 'small',
  metric: 'linear_acc',
  seeds: [0],
  rows: [
    { label: 'baseline (lr with cosine decay)', set: { predictor: { kind: 'mlp', lr: 'decayed' } }, paper: 67.7 },
    { label: '(a) no pred. MLP', set: { predictor: { kind: 'none' } }, paper: 0.1 },
    { label: '(b) fixed random init.', set: { predictor: { kind: 'frozen' } }, paper: 1.5 },
    { label: '(c) lr not decayed', set: { predictor: { kind: 'mlp', lr: 'constant' } }, paper: 68.1 },
  ],
  findings: [
    { id: 'predictor-none-collapses', claim: 'Without the predictor the representation collapses (Table 1a).', test: { kind: 'collapses', row: '(a) no pred. MLP' } },
    { id: 'predictor-frozen-fails', claim: 'A frozen random predictor fails to learn, without collapsing (Table 1b).', test: { kind: 'fails', row: '(b) fixed random init.' } },
    {
      // Margin (open): "at least as good" read as no more than 1 point below.
      id: 'predictor-constant-lr',
      claim: 'A constant predictor lr is at least as good as a decayed one (Table 1c).',
      test: { kind: 'at-least', row: '(c) lr not decayed', than: 'baseline (lr with cosine decay)', margin: 1 },
    },
  ],
});
