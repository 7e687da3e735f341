import type { OptimizerSpec } from './config.ts';

/** lr = baseLr x batch / 256 (Sec. 3). */
export function scaledLr(opt: OptimizerSpec, batchSize: number): number {
  return (opt.baseLr * batchSize) / 256;
}

/**
 * Linear warmup then cosine decay to 0, per step. The official implementation steps the
 * cosine once per epoch; per step is PatrickHua/SimSiam's CIFAR choice and is smoother
 * for the few epochs we run (docs/method.md#optimization).
 */
export function cosineLr(peak: number, step: number, totalSteps: number, warmupSteps: number): number {
  if (step < warmupSteps) return (peak * (step + 1)) / warmupSteps;
  const t = (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
  return peak * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, t)));
}
