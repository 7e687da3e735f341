import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../core/backend.ts';
import type { BackboneSpec, BnPlacement, LossSpec, PredictorSpec, SimilaritySpec, TrainConfig } from '../../core/config.ts';
import { lossLayout } from '../../core/components/loss.ts';
import { trainStep } from '../../core/train-step.ts';
import { randomViews, stepContext, tinyConfig } from '../helpers/tiny.ts';

test.before(async () => {
  await useBackend('wasm');
});

const backbones: BackboneSpec[] = [
  { kind: 'convnet', widths: [4, 8] },
  { kind: 'resnet18-cifar', widths: [4, 4, 8, 8], zeroInitResidual: true },
];
const predictors: PredictorSpec[] = [
  { kind: 'mlp', hidden: 4, lr: 'decayed' }, { kind: 'mlp', hidden: 4, lr: 'constant' },
  { kind: 'none' }, { kind: 'frozen', hidden: 4 },
];
const bns: BnPlacement[] = ['none', 'hidden', 'hidden+proj', 'hidden+proj+pred'];
const sims: SimilaritySpec[] = [{ kind: 'cosine' }, { kind: 'cross-entropy' }];
const losses: LossSpec[] = [{ kind: 'symmetric' }, { kind: 'asymmetric' }, { kind: 'asymmetric-2x' }];

test.serial('every combination of component kinds runs two steps with a finite loss', async (t) => {
  let count = 0;
  for (const backbone of backbones) for (const predictor of predictors) for (const bn of bns)
    for (const similarity of sims) for (const loss of losses) for (const stopGradient of [true, false]) {
      const layers = count % 2 ? 3 : 2; // both projector depths, alternating
      const cfg: TrainConfig = tinyConfig({
        backbone, predictor, bn, similarity, loss, stopGradient,
        projector: { layers, hidden: 8, dim: 8, outputAffine: layers === 3 },
      });
      const ctx = stepContext(cfg);
      const views = randomViews(lossLayout(loss).views, 4, 8, count);
      for (let i = 0; i < 2; i++) {
        const r = await trainStep(ctx, views);
        if (!Number.isFinite(r.loss)) t.fail(`non-finite loss for ${JSON.stringify({ backbone: backbone.kind, predictor, bn, similarity, loss, stopGradient, layers })}`);
      }
      tf.dispose(views);
      ctx.dispose();
      count++;
    }
  t.is(count, 2 * 4 * 4 * 2 * 3 * 2);
});

test.serial('a frozen predictor keeps its weights; a trained one changes', async (t) => {
  for (const predictor of [{ kind: 'frozen', hidden: 4 }, { kind: 'mlp', hidden: 4, lr: 'constant' }] as PredictorSpec[]) {
    const ctx = stepContext(tinyConfig({ predictor }));
    const before = ctx.net.predictor!.trainable.map((v) => v.dataSync().slice());
    const views = randomViews(2, 4, 8, 5);
    await trainStep(ctx, views);
    const moved = ctx.net.predictor!.trainable.some((v, i) => v.dataSync().some((x, j) => x !== before[i][j]));
    t.is(moved, predictor.kind === 'mlp', predictor.kind);
    tf.dispose(views);
    ctx.dispose();
  }
});
