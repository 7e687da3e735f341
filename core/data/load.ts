import type { DataSpec } from '../config.ts';
import { assertNever } from '../config.ts';
import { cifar10 } from './cifar10.ts';
import type { Dataset } from './dataset.ts';
import { fashionMnist } from './fashion-mnist.ts';
import { patternsDataset } from './patterns.ts';

/** Load (or generate) the dataset a config names. */
export function loadDataset(spec: DataSpec): Dataset {
  switch (spec.kind) {
    case 'patterns': return patternsDataset(spec.train, spec.test, spec.size, spec.seed);
    case 'fashion-mnist': return fashionMnist(spec.dir, spec.trainLimit, spec.testLimit);
    case 'cifar10': return cifar10(spec.dir, spec.trainLimit, spec.testLimit);
    default: return assertNever(spec);
  }
}
