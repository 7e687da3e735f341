import type { DataSpec } from '../config.ts';
import { assertNever } from '../config.ts';
import fs from 'node:fs';
import path from 'node:path';
import { CIFAR_HINT, CIFAR_TEST_FILES, CIFAR_TRAIN_FILES, cifar10 } from './cifar10.ts';
import type { Dataset } from './dataset.ts';
import { FASHION_MNIST_FILES, FASHION_MNIST_HINT, fashionMnist } from './fashion-mnist.ts';
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

/**
 * Why a data spec's files are not there (checked before a sweep starts, so that every
 * cell does not fail on the same missing file), or null; the formats are checked on load.
 */
export function missingDataFiles(spec: DataSpec): string | null {
  const absent = (dir: string, names: string[], gz: boolean) =>
    names.filter((n) => !fs.existsSync(path.join(dir, n)) && !(gz && fs.existsSync(path.join(dir, `${n}.gz`))));
  switch (spec.kind) {
    case 'patterns': return null;
    case 'fashion-mnist': {
      const gone = absent(spec.dir, FASHION_MNIST_FILES, true);
      return gone.length ? `data.dir = ${spec.dir}: no ${gone.join(', ')} (nor .gz). ${FASHION_MNIST_HINT}` : null;
    }
    case 'cifar10': {
      const gone = absent(spec.dir, [...CIFAR_TRAIN_FILES, ...CIFAR_TEST_FILES], false);
      return gone.length ? `data.dir = ${spec.dir}: no ${gone.join(', ')}. ${CIFAR_HINT}` : null;
    }
    default: return assertNever(spec);
  }
}
