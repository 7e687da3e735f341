import fs from 'node:fs';
import path from 'node:path';
import { limitSet, type Dataset, type ImageSet } from './dataset.ts';
import { DataFileError } from './files.ts';

const RECORD = 1 + 32 * 32 * 3;
/** The data set's size and image shape, known before its files are read. */
export const CIFAR10_SHAPE = { train: 50000, test: 10000, height: 32, width: 32, channels: 3 } as const;
export const CIFAR_TRAIN_FILES = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'];
export const CIFAR_TEST_FILES = ['test_batch.bin'];
export const CIFAR_HINT = 'Download the "CIFAR-10 binary version" and set data.dir to its cifar-10-batches-bin folder.';

/** Read CIFAR-10 binary batches: records of 1 label byte then 3072 bytes, CHW planes of 32x32. Stored here as HWC. */
export function readCifarBatches(dir: string, files: string[]): ImageSet {
  const parts = files.map((name) => {
    const file = path.join(dir, name);
    if (!fs.existsSync(file)) throw new DataFileError(file, `not found. ${CIFAR_HINT}`);
    const bytes = fs.readFileSync(file);
    if (bytes.length === 0 || bytes.length % RECORD !== 0) {
      throw new DataFileError(file, `${bytes.length} bytes is not a whole number of ${RECORD}-byte records (1 label + 32x32x3 pixels)`);
    }
    return { file, bytes };
  });
  const n = parts.reduce((s, p) => s + p.bytes.length / RECORD, 0);
  const images = new Uint8Array(n * 3072);
  const labels = new Uint8Array(n);
  let i = 0;
  for (const { file, bytes } of parts) {
    for (let r = 0; r < bytes.length; r += RECORD, i++) {
      const label = bytes[r];
      if (label > 9) throw new DataFileError(file, `record ${r / RECORD} has label ${label}, expected 0-9`);
      labels[i] = label;
      for (let p = 0; p < 1024; p++) {
        for (let c = 0; c < 3; c++) images[i * 3072 + p * 3 + c] = bytes[r + 1 + c * 1024 + p];
      }
    }
  }
  return { images, labels, n, height: 32, width: 32, channels: 3 };
}

/**
 * CIFAR-10 from the binary batches in `dir`. Normalised with ImageNet statistics,
 * as PatrickHua/SimSiam and lightly (docs/method.md#augmentations).
 */
export function cifar10(dir: string, trainLimit: number | null, testLimit: number | null): Dataset {
  return {
    name: 'cifar10',
    train: limitSet(readCifarBatches(dir, CIFAR_TRAIN_FILES), trainLimit),
    test: limitSet(readCifarBatches(dir, CIFAR_TEST_FILES), testLimit),
    classes: 10,
    mean: [0.485, 0.456, 0.406],
    std: [0.229, 0.224, 0.225],
  };
}
