import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CIFAR_TEST_FILES, CIFAR_TRAIN_FILES, cifar10, readCifarBatches } from '../../core/data/cifar10.ts';

/** Write CIFAR-10 binary records: a label byte, then R, G and B planes of 32x32. Pixel (c, p) = (label * 7 + c * 3 + p) % 256. */
function writeBatch(file: string, labels: number[]): void {
  const buf = Buffer.alloc(labels.length * 3073);
  labels.forEach((label, i) => {
    buf[i * 3073] = label;
    for (let c = 0; c < 3; c++) for (let p = 0; p < 1024; p++) buf[i * 3073 + 1 + c * 1024 + p] = (label * 7 + c * 3 + p) % 256;
  });
  fs.writeFileSync(file, buf);
}

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'cifar-'));
}

test('reads the binary format into HWC bytes with labels', (t) => {
  const dir = tmpDir();
  CIFAR_TRAIN_FILES.forEach((f, i) => writeBatch(path.join(dir, f), [i, (i + 3) % 10]));
  writeBatch(path.join(dir, CIFAR_TEST_FILES[0]), [9, 0, 4]);
  const data = cifar10(dir, null, null);
  t.is(data.train.n, 10);
  t.is(data.test.n, 3);
  t.deepEqual(Array.from(data.train.labels), [0, 3, 1, 4, 2, 5, 3, 6, 4, 7]);
  t.deepEqual(Array.from(data.test.labels), [9, 0, 4]);
  // Test image 0 (label 9), pixel p = 5 (row 0, col 5), channel c = 2: (63 + 6 + 5) % 256
  t.is(data.test.images[0 * 3072 + 5 * 3 + 2], 74);
  t.is(data.train.height, 32);
  t.is(data.train.channels, 3);
});

test('limits keep the first images', (t) => {
  const dir = tmpDir();
  CIFAR_TRAIN_FILES.forEach((f) => writeBatch(path.join(dir, f), [1, 2, 3]));
  writeBatch(path.join(dir, CIFAR_TEST_FILES[0]), [1, 2]);
  const data = cifar10(dir, 4, 1);
  t.is(data.train.n, 4);
  t.is(data.test.n, 1);
  t.is(data.train.images.length, 4 * 3072);
});

test('a missing file is named, with what to do', (t) => {
  const dir = tmpDir();
  const err = t.throws(() => readCifarBatches(dir, ['data_batch_1.bin']));
  t.regex(err!.message, /data_batch_1\.bin: not found/);
  t.regex(err!.message, /binary version/);
});

test('a truncated file is named with the expected record size', (t) => {
  const dir = tmpDir();
  fs.writeFileSync(path.join(dir, 'test_batch.bin'), Buffer.alloc(3073 + 10));
  const err = t.throws(() => readCifarBatches(dir, ['test_batch.bin']));
  t.regex(err!.message, /test_batch\.bin: 3083 bytes is not a whole number of 3073-byte records/);
});

test('a label outside 0-9 is rejected with its record', (t) => {
  const dir = tmpDir();
  writeBatch(path.join(dir, 'test_batch.bin'), [1, 12]);
  const err = t.throws(() => readCifarBatches(dir, ['test_batch.bin']));
  t.regex(err!.message, /record 1 has label 12/);
});
