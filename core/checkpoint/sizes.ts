import { lossLayout } from '../components/loss.ts';
import type { TrainConfig } from '../config.ts';
import { imageShape, trainSize } from '../data/sizes.ts';
import { buildTrainee } from '../trainee.ts';
import { encoderVariables } from './variables.ts';

/**
 * Bytes of a configuration's checkpoint (at most: a cut alternation block's targets
 * counted whole) and of its kept encoder and final state, from its variables' sizes:
 * the network is built once to count them. Headers (a few KiB) are left out.
 */
export function checkpointBytes(cfg: TrainConfig): { checkpoint: number; encoder: number } {
  const trainee = buildTrainee(cfg, imageShape(cfg.data).channels);
  try {
    const { net } = trainee;
    const floats = (vs: { size: number }[]) => vs.reduce((n, v) => n + v.size, 0) * 4;
    const n = trainSize(cfg.data);
    const t = cfg.target;
    const target = t.kind === 'moving-average' ? n * (cfg.projector.dim * 4 + 1)
      : t.kind === 'alternation' ? (t.every === 'epoch' ? Math.floor(n / cfg.batchSize) : t.every) * cfg.batchSize * cfg.projector.dim * 4 * lossLayout(cfg.loss).views
      : 0;
    const orders = 3 * n * 4; // the previous order and up to two drawn ahead
    return { checkpoint: floats(net.allVars) + floats(net.encoderVars) + floats(net.predictorVars) + target + orders, encoder: floats(encoderVariables(net)) };
  } finally {
    trainee.dispose();
  }
}
