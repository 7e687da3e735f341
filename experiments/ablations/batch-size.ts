import { defineExperiment } from '../spec.ts';

/** Table 2: batch size, lr = 0.05 x B / 256 (the preset's base lr), warmup for B >= 1024. */
export default defineExperiment({
  name: 'batch-size',
  title: 'Effect of batch sizes',
  source: 'Table 2',
  preset: 'small',
  metric: 'linear_acc',
  seeds: [0],
  notes: 'Rows whose batch exceeds the training set of a preset are not run at that preset.',
  rows: [
    { label: '64', set: { batchSize: 64 }, paper: 66.1 },
    { label: '128', set: { batchSize: 128 }, paper: 67.3 },
    { label: '256', set: { batchSize: 256 }, paper: 68.1 },
    { label: '512', set: { batchSize: 512 }, paper: 68.1 },
    { label: '1024', set: (b) => ({ batchSize: 1024, optimizer: { warmupEpochs: b.epochs / 10 } }), paper: 68.0 },
    { label: '2048', set: (b) => ({ batchSize: 2048, optimizer: { warmupEpochs: b.epochs / 10 } }), paper: 67.9 },
    { label: '4096', set: (b) => ({ batchSize: 4096, optimizer: { warmupEpochs: b.epochs / 10 } }), paper: 64.0 },
  ],
  findings: [
    {
      // The paper's flat range is 64–2048: with SGD, 4096 drops 4 points (it credits LARS
      // for large batches), so 4096 is not part of the claim. Bound (open): its rows
      // 64–2048 span 2.0 points (66.1–68.1); 3 points holds them with one to spare.
      id: 'batch-size-flat',
      claim: 'Accuracy stays about flat over batch sizes 64–2048 at the same epochs, lr scaled linearly (Table 2).',
      test: { kind: 'within', rows: ['64', '128', '256', '512', '1024', '2048'], within: 3 },
      // At a fixed number of epochs a larger batch takes fewer steps. In the paper every
      // row takes over 31k steps (ImageNet, 100 epochs, at most 4096 per batch), so its rows
      // differ in batch, not in how far training got. Declared budget (open): 1000 steps a
      // cell, about what the presets' default row takes (1240 at medium).
      budget: { minSteps: 1000, why: 'below it a row tests its step count, not its batch size' },
    },
  ],
});
