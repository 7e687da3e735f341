import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../../core/config.ts';
import type { SiameseNet } from '../../core/nets/siamese.ts';
import { buildTrainee } from '../../core/trainee.ts';
import type { StepContext } from '../../core/train-step.ts';
import { PRESETS } from '../../experiments/presets.ts';

/** The tiny preset with overrides: 16x16 images, a two-layer conv net. */
export function tinyConfig(over: Partial<TrainConfig> = {}): TrainConfig {
  return { ...structuredClone(PRESETS.tiny), ...over };
}

/** A step context with fresh networks and optimizers; dispose() frees them. */
export function stepContext(cfg: TrainConfig, channels = 3, lr = 0.05): StepContext & { dispose(): void; net: SiameseNet } {
  return { cfg, ...buildTrainee(cfg, channels), encoderLr: lr, predictorLr: lr };
}

/** Deterministic random views [n, size, size, c]. */
export function randomViews(count: number, n: number, size: number, seed: number, c = 3): tf.Tensor4D[] {
  return Array.from({ length: count }, (_, i) => tf.randomNormal([n, size, size, c], 0, 1, 'float32', seed + i) as tf.Tensor4D);
}

/** Max |a - b| over all elements. */
export function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}
