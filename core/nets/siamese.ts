import * as tf from '@tensorflow/tfjs';
import type { BackboneSpec, TrainConfig } from '../config.ts';
import { assertNever } from '../config.ts';
import { Rng } from '../rng.ts';
import { convnet } from './convnet.ts';
import { predictor, projector } from './heads.ts';
import type { Mode, Module } from './module.ts';
import { resnet18Cifar } from './resnet-cifar.ts';

/** Encoder f = projector(backbone(x)) and predictor h, with the variables each optimizer owns. */
export interface SiameseNet {
  backbone: Module;
  projector: Module;
  /** Null when the predictor is `none` (p = z). */
  predictor: Module | null;
  /** d, the projector's output width. */
  dim: number;
  /** Width of the backbone's pooled features (what kNN and the linear probe see). */
  featureDim: number;
  /** Updated by the encoder optimizer. */
  encoderVars: tf.Variable[];
  /** Updated by the predictor optimizer; empty for `none` and `frozen`. */
  predictorVars: tf.Variable[];
  /** Every variable of every part, trained or not (BN running statistics, a frozen predictor): what a checkpoint holds. */
  allVars: tf.Variable[];
  dispose(): void;
}

export function backbone(spec: BackboneSpec, inChannels: number, rng: Rng): { net: Module; featureDim: number } {
  switch (spec.kind) {
    case 'resnet18-cifar':
      return { net: resnet18Cifar(rng, inChannels, spec.widths, spec.zeroInitResidual), featureDim: spec.widths[3] };
    case 'convnet':
      return { net: convnet(rng, inChannels, spec.widths), featureDim: spec.widths[spec.widths.length - 1] };
    default:
      return assertNever(spec);
  }
}

/** Build the networks from the config; the seed fixes every initial weight. */
export function buildSiamese(cfg: TrainConfig, inChannels: number): SiameseNet {
  const rng = new Rng(cfg.seed);
  const { net, featureDim } = backbone(cfg.backbone, inChannels, rng.fork(1));
  const proj = projector(cfg.projector, featureDim, cfg.bn, rng.fork(2));
  const pred = predictor(cfg.predictor, cfg.projector.dim, cfg.bn, rng.fork(3));
  const allVars = [net, proj, ...(pred ? [pred] : [])].flatMap((m) => [...m.trainable, ...m.state]);
  return {
    backbone: net,
    projector: proj,
    predictor: pred,
    dim: cfg.projector.dim,
    featureDim,
    encoderVars: [...net.trainable, ...proj.trainable],
    predictorVars: cfg.predictor.kind === 'mlp' && pred ? pred.trainable : [],
    allVars,
    dispose: () => allVars.forEach((v) => v.dispose()),
  };
}

/** z = f(x) for one view; BN statistics are per view, as the official implementation forwards each view separately. */
export function encode(net: SiameseNet, x: tf.Tensor4D, mode: Mode): tf.Tensor2D {
  return net.projector.apply(net.backbone.apply(x, mode), mode) as tf.Tensor2D;
}

/** p = h(z), or z itself without a predictor. */
export function predict(net: SiameseNet, z: tf.Tensor2D, mode: Mode): tf.Tensor2D {
  return net.predictor ? (net.predictor.apply(z, mode) as tf.Tensor2D) : z;
}
