import type { TrainConfig } from '../core/config.ts';
import { FASHION_MNIST_DIR } from '../core/data/fashion-mnist.ts';
import { simsiamCifar } from './simsiam.ts';

/**
 * The default: the embedded patterns data and a small conv net; about two minutes on
 * 2 cores. A few hundred steps instead of the paper's ~80k need a larger lr: base 1.5
 * (0.375 at batch 64) took kNN from 49% (random init) to 83% in 8 epochs, base 0.5 to 74%.
 */
const small = {
  ...simsiamCifar,
  backbone: { kind: 'convnet', widths: [16, 32, 64] },
  projector: { layers: 2, hidden: 256, dim: 256, outputAffine: true },
  predictor: { kind: 'mlp', hidden: 64, lr: 'constant' },
  data: { kind: 'patterns', train: 2000, test: 500, size: 32, seed: 0 },
  optimizer: { ...simsiamCifar.optimizer, baseLr: 1.5 },
  batchSize: 64,
  epochs: 10,
  monitor: { knn: { k: 200, temperature: 0.1, everyEpochs: 1 }, linear: { epochs: 30, lr: 0.1 } },
} satisfies TrainConfig;

/**
 * Named configurations for `simsiam run`. Each is the CIFAR recipe with only its size
 * changed: data, backbone, widths, batch and epochs; never what a sweep compares.
 */
export const PRESETS = {
  small,
  /**
   * small with 16-pixel images, twice the images and twice the epochs (1240 steps), the
   * same lr rule (docs/findings-at-scale.md). At 32 pixels the patterns are easy enough
   * that a network invariant to the augmentations reaches the loss's minimum without
   * collapsing (no predictor: loss -0.995 and kNN 86% at 30 epochs); at 16 they are
   * not, and without a predictor it collapses as in Table 1a (on 2 of 3 seeds).
   */
  medium: { ...small, data: { kind: 'patterns', train: 4000, test: 2000, size: 16, seed: 0 }, epochs: 20 },
  /**
   * Seconds: for tests and smoke checks, on any backend. 80 steps at lr 0.5 (base 4): of
   * the sizes tried (5 to 10 epochs, base 2 to 8) the smallest at which its stopgrad run
   * shows the collapse (z_std 0.040 of 0.177, loss -0.975); at 2 epochs and base 0.5
   * nothing had moved yet.
   */
  tiny: {
    ...simsiamCifar,
    backbone: { kind: 'convnet', widths: [8, 16] },
    projector: { layers: 2, hidden: 32, dim: 32, outputAffine: true },
    predictor: { kind: 'mlp', hidden: 8, lr: 'constant' },
    data: { kind: 'patterns', train: 256, test: 128, size: 16, seed: 0 },
    optimizer: { ...simsiamCifar.optimizer, baseLr: 4 },
    batchSize: 32,
    epochs: 10,
    monitor: { knn: { k: 20, temperature: 0.1, everyEpochs: 1 }, linear: null },
  },
  /**
   * Real images, chosen blind (docs/test-bed.md): `small`'s network and recipe on 10000
   * Fashion-MNIST training images (2000 test), 10 epochs (1560 steps), base lr 0.5. Chosen
   * by a rule written before its candidates ran, reading only the SimSiam row on
   * calibration seeds 100 and 101: linear 80.0% against 72.3% at init, settled, 99 s a cell.
   */
  'fashion-small': {
    ...small,
    data: { kind: 'fashion-mnist', dir: FASHION_MNIST_DIR, trainLimit: 10000, testLimit: 2000 },
    optimizer: { ...small.optimizer, baseLr: 0.5 },
    epochs: 10,
  },
  /** Fashion-MNIST (Debian's dataset-fashion-mnist) with a narrow ResNet-18. */
  fashion: {
    ...simsiamCifar,
    backbone: { kind: 'resnet18-cifar', widths: [16, 32, 64, 128], zeroInitResidual: true },
    projector: { layers: 2, hidden: 512, dim: 512, outputAffine: true },
    predictor: { kind: 'mlp', hidden: 128, lr: 'constant' },
    data: { kind: 'fashion-mnist', dir: FASHION_MNIST_DIR, trainLimit: null, testLimit: null },
    batchSize: 256,
    epochs: 20,
    monitor: { knn: { k: 200, temperature: 0.1, everyEpochs: 1 }, linear: { epochs: 50, lr: 0.1 } },
  },
  /** The paper's CIFAR-10 recipe: ResNet-18, batch 512, 800 epochs (a GPU job). */
  paper: simsiamCifar,
} satisfies Record<string, TrainConfig>;

export type PresetName = keyof typeof PRESETS;
