import type { BnPlacement, PredictorSpec, ProjectorSpec } from '../config.ts';
import { assertNever } from '../config.ts';
import type { Rng } from '../rng.ts';
import { batchNorm } from './batch-norm.ts';
import { linear, relu } from './layers.ts';
import { sequential, type Module } from './module.ts';

/** Which head BNs exist under each Table 3 row. */
export function bnLayout(p: BnPlacement): { hidden: boolean; projectorOutput: boolean; predictorOutput: boolean } {
  switch (p) {
    case 'none': return { hidden: false, projectorOutput: false, predictorOutput: false };
    case 'hidden': return { hidden: true, projectorOutput: false, predictorOutput: false };
    case 'hidden+proj': return { hidden: true, projectorOutput: true, predictorOutput: false };
    case 'hidden+proj+pred': return { hidden: true, projectorOutput: true, predictorOutput: true };
    default: return assertNever(p);
  }
}

/** Linear, then BN(+ReLU) or ReLU alone; a Linear gets a bias back when it loses its BN (open; docs/method.md#batch-norm). */
function hiddenLayer(name: string, rng: Rng, din: number, dout: number, bn: boolean): Module[] {
  return bn
    ? [linear(`${name}/fc`, rng, din, dout, false), batchNorm(`${name}/bn`, dout, { affine: true, relu: true })]
    : [linear(`${name}/fc`, rng, din, dout, true), relu];
}

/** Output layer: Linear, then BN without ReLU (affine as asked), or a biased Linear. */
function outputLayer(name: string, rng: Rng, din: number, dout: number, bn: { affine: boolean } | null): Module[] {
  return bn
    ? [linear(`${name}/fc`, rng, din, dout, false), batchNorm(`${name}/bn`, dout, { affine: bn.affine, relu: false })]
    : [linear(`${name}/fc`, rng, din, dout, true)];
}

/** Projector: (layers-1) x [Linear-BN-ReLU], then Linear-BN (docs/method.md#architecture). */
export function projector(spec: ProjectorSpec, inDim: number, placement: BnPlacement, rng: Rng): Module {
  const layout = bnLayout(placement);
  const parts: Module[] = [];
  let din = inDim;
  for (let i = 0; i < spec.layers - 1; i++) {
    parts.push(...hiddenLayer(`projector/${i}`, rng, din, spec.hidden, layout.hidden));
    din = spec.hidden;
  }
  parts.push(...outputLayer('projector/out', rng, din, spec.dim, layout.projectorOutput ? { affine: spec.outputAffine } : null));
  return sequential(parts);
}

/**
 * Predictor h: Linear(d->hidden)-BN-ReLU-Linear(hidden->d), no output BN except in
 * Table 3d (there with affine, which the paper leaves unstated). Null for `none` (p = z).
 */
export function predictor(spec: PredictorSpec, dim: number, placement: BnPlacement, rng: Rng): Module | null {
  if (spec.kind === 'none') return null;
  const layout = bnLayout(placement);
  return sequential([
    ...hiddenLayer('predictor/0', rng, dim, spec.hidden, layout.hidden),
    ...outputLayer('predictor/out', rng, spec.hidden, dim, layout.predictorOutput ? { affine: true } : null),
  ]);
}
