import type { TrainConfig } from './config.ts';
import { buildSiamese, type SiameseNet } from './nets/siamese.ts';
import { Sgd } from './optimizer.ts';

/** A network with its two optimizers, encoder (backbone + projector) and predictor: what a step updates. */
export interface Trainee {
  net: SiameseNet;
  encoderOpt: Sgd;
  predictorOpt: Sgd;
  dispose(): void;
}

/** Build the network of `cfg` for images of `channels` channels, with its optimizers. */
export function buildTrainee(cfg: TrainConfig, channels: number): Trainee {
  const net = buildSiamese(cfg, channels);
  const encoderOpt = new Sgd(cfg.optimizer, net.encoderVars);
  const predictorOpt = new Sgd(cfg.optimizer, net.predictorVars);
  return {
    net, encoderOpt, predictorOpt,
    dispose() {
      encoderOpt.dispose();
      predictorOpt.dispose();
      net.dispose();
    },
  };
}
