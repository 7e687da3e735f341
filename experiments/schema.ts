import { z } from 'zod';
import type { TrainConfig } from '../core/config.ts';

/**
 * The validator of TrainConfig: strict objects (unknown keys are errors), literal
 * unions for every component kind, ranges where a value has one. Its shape mirrors
 * core/config.ts; the `satisfies` check at the bottom keeps the two in step.
 */
const pos = z.number().positive();
const posInt = z.number().int().positive();
const prob = z.number().min(0).max(1);
const nonNegInt = z.number().int().min(0);

const backbone = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('resnet18-cifar'),
    widths: z.tuple([posInt, posInt, posInt, posInt]),
    zeroInitResidual: z.boolean(),
  }),
  z.strictObject({ kind: z.literal('convnet'), widths: z.array(posInt).min(1) }),
]);

const projector = z.strictObject({
  layers: z.union([z.literal(2), z.literal(3)]),
  hidden: posInt,
  dim: posInt,
  outputAffine: z.boolean(),
});

const predictor = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('mlp'), hidden: posInt, lr: z.enum(['decayed', 'constant']) }),
  z.strictObject({ kind: z.literal('none') }),
  z.strictObject({ kind: z.literal('frozen'), hidden: posInt }),
]);

const augment = z.strictObject({
  crop: z.strictObject({ scaleMin: z.number().gt(0).max(1), scaleMax: z.number().gt(0).max(1), ratioMin: pos, ratioMax: pos })
    .refine((c) => c.scaleMin <= c.scaleMax && c.ratioMin <= c.ratioMax, 'min must not exceed max'),
  jitter: z.strictObject({
    p: prob, brightness: z.number().min(0).max(1), contrast: z.number().min(0).max(1),
    saturation: z.number().min(0).max(1), hue: z.number().min(0).max(0.5),
  }),
  grayscaleP: prob,
  blur: z.strictObject({ p: prob, sigmaMin: pos, sigmaMax: pos }).nullable(),
  flipP: prob,
});

const limit = posInt.nullable();
const data = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('patterns'), train: posInt, test: posInt, size: z.number().int().min(8), seed: nonNegInt }),
  z.strictObject({ kind: z.literal('fashion-mnist'), dir: z.string().min(1), trainLimit: limit, testLimit: limit }),
  z.strictObject({ kind: z.literal('cifar10'), dir: z.string().min(1), trainLimit: limit, testLimit: limit }),
]);

export const trainConfigSchema = z.strictObject({
  backbone,
  projector,
  predictor,
  bn: z.enum(['none', 'hidden', 'hidden+proj', 'hidden+proj+pred']),
  similarity: z.discriminatedUnion('kind', [z.strictObject({ kind: z.literal('cosine') }), z.strictObject({ kind: z.literal('cross-entropy') })]),
  loss: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('symmetric') }),
    z.strictObject({ kind: z.literal('asymmetric') }),
    z.strictObject({ kind: z.literal('asymmetric-2x') }),
  ]),
  stopGradient: z.boolean(),
  target: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('simsiam') }),
    z.strictObject({ kind: z.literal('alternation'), every: z.union([posInt, z.literal('epoch')]), maxCacheMB: pos }),
    z.strictObject({ kind: z.literal('moving-average'), momentum: z.number().min(0).lt(1), init: z.enum(['first', 'random']), normalize: z.boolean() }),
  ]),
  optimizer: z.strictObject({
    kind: z.literal('sgd'), baseLr: pos, momentum: z.number().min(0).lt(1), weightDecay: z.number().min(0), warmupEpochs: z.number().min(0),
  }),
  augment,
  data,
  batchSize: z.number().int().min(2),
  epochs: posInt,
  monitor: z.strictObject({
    knn: z.strictObject({ k: posInt, temperature: pos, everyEpochs: nonNegInt }),
    linear: z.strictObject({ epochs: posInt, lr: pos }).nullable(),
  }),
  seed: nonNegInt,
});

// Compile-time check that the schema and the engine's types agree both ways.
type Parsed = z.infer<typeof trainConfigSchema>;
export const schemaMatchesConfig: [Parsed extends TrainConfig ? true : false, TrainConfig extends Parsed ? true : false] = [true, true];
