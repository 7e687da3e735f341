import type { TrainConfig } from '../core/config.ts';

/**
 * SimSiam's CIFAR-10 recipe (App. D; docs/method.md#cifar-recipe), every field written out: the
 * sole home of defaults. Presets and experiments change only what they name.
 */
export const simsiamCifar: TrainConfig = {
  backbone: { kind: 'resnet18-cifar', widths: [64, 128, 256, 512], zeroInitResidual: true },
  // The paper leaves the CIFAR projector's hidden width open; reproductions use 2048 (PatrickHua/SimSiam, lightly).
  // Output BN with affine, as in the paper's ablations (68.1; 68.2 without, Sec. 4.4) and
  // its Fig. 2 collapse; the official implementation sets it off (projector.outputAffine=false).
  projector: { layers: 2, hidden: 2048, dim: 2048, outputAffine: true },
  predictor: { kind: 'mlp', hidden: 512, lr: 'constant' },
  bn: 'hidden+proj',
  similarity: { kind: 'cosine' },
  loss: { kind: 'symmetric' },
  stopGradient: true,
  target: { kind: 'simsiam' },
  optimizer: { kind: 'sgd', baseLr: 0.03, momentum: 0.9, weightDecay: 5e-4, warmupEpochs: 0 },
  augment: {
    crop: { scaleMin: 0.2, scaleMax: 1, ratioMin: 3 / 4, ratioMax: 4 / 3 },
    jitter: { p: 0.8, brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 },
    grayscaleP: 0.2,
    blur: null,
    flipP: 0.5,
  },
  data: { kind: 'cifar10', dir: './data/cifar-10-batches-bin', trainLimit: null, testLimit: null },
  batchSize: 512,
  epochs: 800,
  monitor: { knn: { k: 200, temperature: 0.1, everyEpochs: 1 }, linear: { epochs: 100, lr: 0.1 } },
  seed: 0,
};
