import * as tf from '@tensorflow/tfjs';
import type { BackendInfo } from '../core/backend.ts';
import type { TrainConfig } from '../core/config.ts';
import { lossLayout } from '../core/components/loss.ts';
import { patternsDataset } from '../core/data/patterns.ts';
import { makeViews } from '../core/data/views.ts';
import { buildTrainee } from '../core/trainee.ts';
import { trainStep } from '../core/train-step.ts';
import { simsiamCifar } from '../experiments/simsiam.ts';

/** Models the bench times: the paper's CIFAR ResNet-18, a narrow one, and the quick conv net of the default preset. */
export const BENCH_MODELS = {
  resnet18: { ...simsiamCifar },
  'resnet18-narrow': {
    ...simsiamCifar,
    backbone: { kind: 'resnet18-cifar', widths: [16, 32, 64, 128], zeroInitResidual: true },
    projector: { layers: 2, hidden: 512, dim: 512, outputAffine: true },
    predictor: { kind: 'mlp', hidden: 128, lr: 'constant' },
  },
  quick: {
    ...simsiamCifar,
    backbone: { kind: 'convnet', widths: [16, 32, 64] },
    projector: { layers: 2, hidden: 256, dim: 256, outputAffine: true },
    predictor: { kind: 'mlp', hidden: 64, lr: 'constant' },
  },
} satisfies Record<string, TrainConfig>;
export type BenchModel = keyof typeof BENCH_MODELS;

export interface BenchResult {
  backend: string;
  threads: number;
  model: BenchModel;
  batch: number;
  /** Images per second (each image is two views), median over timed steps. */
  images_per_sec: number;
  step_ms_median: number;
  steps: number;
  tensors_after_first: number;
  tensors_after_last: number;
  peak_rss_mb: number;
  /** Augmenting this batch's views (32x32 RGB, one thread), median ms; the worker takes it off the step. */
  augment_ms: number;
  /** augment_ms / step_ms_median: what augmentation would add to a step if it ran inline. */
  augment_share_if_inline: number;
}

/** Median time to augment `batch` images into `views` views on this thread. */
function timeAugmentation(cfg: TrainConfig, batch: number, views: number, reps: number): number {
  const data = patternsDataset(Math.max(batch, 64), 1, 32, 0);
  const fmt = { size: 32, channels: 3, mean: data.mean, std: data.std };
  const indices = Int32Array.from({ length: batch }, (_, i) => i % data.train.n);
  const times = Array.from({ length: reps }, (_, r) => {
    const t = performance.now();
    makeViews(data.train, cfg.augment, fmt, { indices, views, seed: r });
    return performance.now() - t;
  });
  return median(times);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** A model built once, whose training step can be timed in blocks (for alternating with a reference). */
export interface StepTimer {
  /** Run `n` steps; the wall time of each, ms. */
  time(n: number): Promise<number[]>;
  tensors(): number;
  dispose(): void;
}

export const benchConfig = (model: BenchModel, batch: number): TrainConfig => ({ ...BENCH_MODELS[model], batchSize: batch });

/** Build `model` at `batch` on the active backend, with random 32x32 RGB views. */
export function openStepTimer(model: BenchModel, batch: number): StepTimer {
  const cfg = benchConfig(model, batch);
  const trainee = buildTrainee(cfg, 3);
  const views = Array.from({ length: lossLayout(cfg.loss).views }, () => tf.randomNormal([batch, 32, 32, 3]) as tf.Tensor4D);
  const ctx = { cfg, ...trainee, encoderLr: 0.01, predictorLr: 0.01 };
  return {
    time: async (n) => {
      const ms: number[] = [];
      for (let i = 0; i < n; i++) {
        const t = performance.now();
        await trainStep(ctx, views);
        ms.push(performance.now() - t);
      }
      return ms;
    },
    tensors: () => tf.memory().numTensors,
    dispose: () => {
      tf.dispose(views);
      trainee.dispose();
    },
  };
}

export const peakRssMb = (): number => (process.resourceUsage().maxRSS * 1024) / 2 ** 20;

/**
 * Time the full training step (forward of all views, backward, both SGD updates) on
 * random 32x32 RGB batches: `warmup` untimed steps, then the median of `steps`.
 */
export async function benchStep(backend: BackendInfo, model: BenchModel, batch: number, steps: number, warmup: number): Promise<BenchResult> {
  const timer = openStepTimer(model, batch);
  try {
    await timer.time(Math.max(warmup, 1));
    const afterFirst = timer.tensors();
    const times = await timer.time(steps);
    const ms = median(times);
    const cfg = benchConfig(model, batch);
    const augmentMs = timeAugmentation(cfg, batch, lossLayout(cfg.loss).views, 5);
    return {
      backend: backend.name, threads: backend.threads, model, batch,
      images_per_sec: (1000 * batch) / ms, step_ms_median: ms, steps,
      tensors_after_first: afterFirst, tensors_after_last: timer.tensors(),
      peak_rss_mb: peakRssMb(),
      augment_ms: augmentMs,
      augment_share_if_inline: augmentMs / (ms + augmentMs),
    };
  } finally {
    timer.dispose();
  }
}
