import type { LossSpec } from '../config.ts';
import { assertNever } from '../config.ts';

/** One term of the loss: weight x D(p[online], sg(z[target])). */
export interface LossTerm {
  online: number;
  target: number;
  weight: number;
}

/** A loss as data: how many views each image gets, and which (p, z) pairs are compared. */
export interface LossLayout {
  views: number;
  terms: LossTerm[];
}

/**
 * symmetric (eq. 4): 1/2 D(p1, z2) + 1/2 D(p2, z1).
 * asymmetric (eq. 3): D(p1, z2).
 * asymmetric-2x (Sec. 4.6): two independent view pairs per image, the mean of their asymmetric terms.
 */
export function lossLayout(spec: LossSpec): LossLayout {
  switch (spec.kind) {
    case 'symmetric':
      return { views: 2, terms: [{ online: 0, target: 1, weight: 0.5 }, { online: 1, target: 0, weight: 0.5 }] };
    case 'asymmetric':
      return { views: 2, terms: [{ online: 0, target: 1, weight: 1 }] };
    case 'asymmetric-2x':
      return { views: 4, terms: [{ online: 0, target: 1, weight: 0.5 }, { online: 2, target: 3, weight: 0.5 }] };
    default:
      return assertNever(spec);
  }
}
