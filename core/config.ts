/**
 * The engine's configuration: every ablation axis of the paper is one field, each
 * component a union keyed on `kind`. Defaults live in experiments/, not here.
 */

/** CIFAR ResNet-18 (3x3 stem, no max-pool, App. D) or a small conv net for quick runs. */
export type BackboneSpec =
  | { kind: 'resnet18-cifar'; widths: [number, number, number, number]; zeroInitResidual: boolean }
  | { kind: 'convnet'; widths: number[] };

/** Projector f's MLP head: `layers` Linear layers, the last of width `dim` (d). */
export interface ProjectorSpec {
  layers: 2 | 3;
  hidden: number;
  dim: number;
  /** Affine on the output BN: the paper's ablations have it (68.1), the official code has not (68.2, Sec. 4.4). */
  outputAffine: boolean;
}

/** Predictor h (Table 1): trained bottleneck MLP, none (p = z), or frozen at its random init. */
export type PredictorSpec =
  | { kind: 'mlp'; hidden: number; lr: 'decayed' | 'constant' }
  | { kind: 'none' }
  | { kind: 'frozen'; hidden: number };

/** BN in the heads, Table 3 rows a-d, cumulative: none; hidden layers; + projector output (default); + predictor output. */
export type BnPlacement = 'none' | 'hidden' | 'hidden+proj' | 'hidden+proj+pred';

/** D(p, z): negative cosine (eq. 1) or cross-entropy of softmaxes (Sec. 4.5). */
export type SimilaritySpec = { kind: 'cosine' } | { kind: 'cross-entropy' };

/** Which view pairs the loss compares: eq. 4, eq. 3, or eq. 3 on two independent pairs (Sec. 4.6). */
export type LossSpec = { kind: 'symmetric' } | { kind: 'asymmetric' } | { kind: 'asymmetric-2x' };

/**
 * Where the loss targets come from (Sec. 5). `simsiam`: sg(z) of the same step.
 * `alternation`: eta computed for the next k mini-batches with theta fixed, then k SGD
 * steps against them (k = 1 is SimSiam). `moving-average`: a bank of one eta per training
 * image, eta_x <- m eta_x + (1 - m) F(T'(x)), no gradient.
 */
export type TargetSpec =
  | { kind: 'simsiam' }
  | { kind: 'alternation'; every: number | 'epoch'; maxCacheMB: number }
  | { kind: 'moving-average'; momentum: number; init: 'first' | 'random'; normalize: boolean };

export interface OptimizerSpec {
  kind: 'sgd';
  /** lr = baseLr x batch / 256. */
  baseLr: number;
  momentum: number;
  /** Applied to every parameter, BN included, as the official implementation. */
  weightDecay: number;
  /** Linear warmup from 0; the paper warms up only for batch >= 1024 and the no-BN ablation. */
  warmupEpochs: number;
}

export interface AugmentSpec {
  crop: { scaleMin: number; scaleMax: number; ratioMin: number; ratioMax: number };
  jitter: { p: number; brightness: number; contrast: number; saturation: number; hue: number };
  grayscaleP: number;
  /** Off for CIFAR (App. D). */
  blur: { p: number; sigmaMin: number; sigmaMax: number } | null;
  flipP: number;
}

export type DataSpec =
  | { kind: 'patterns'; train: number; test: number; size: number; seed: number }
  | { kind: 'fashion-mnist'; dir: string; trainLimit: number | null; testLimit: number | null }
  | { kind: 'cifar10'; dir: string; trainLimit: number | null; testLimit: number | null };

export interface MonitorSpec {
  /** Weighted kNN (InstDisc); 0 disables. */
  knn: { k: number; temperature: number; everyEpochs: number };
  /** Logistic regression on frozen features at the end; null disables. */
  linear: { epochs: number; lr: number } | null;
}

export interface TrainConfig {
  backbone: BackboneSpec;
  projector: ProjectorSpec;
  predictor: PredictorSpec;
  bn: BnPlacement;
  similarity: SimilaritySpec;
  loss: LossSpec;
  /** sg on the target branch; false is the collapse ablation of Sec. 4.1. */
  stopGradient: boolean;
  target: TargetSpec;
  optimizer: OptimizerSpec;
  augment: AugmentSpec;
  data: DataSpec;
  batchSize: number;
  epochs: number;
  monitor: MonitorSpec;
  seed: number;
}

export function assertNever(x: never): never {
  throw new Error(`unhandled variant: ${JSON.stringify(x)}`);
}
