import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { componentPath, needs } from '../helpers/system.ts';
import { fashionMnist, parseIdx } from '../../core/data/fashion-mnist.ts';

function idx(dims: number[], data: Uint8Array): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head.writeUInt32BE(0x800 | dims.length, 0);
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, Buffer.from(data)]);
}

function writeSet(dir: string, prefix: string, n: number, gz: boolean): void {
  const images = Uint8Array.from({ length: n * 28 * 28 }, (_, i) => i % 251);
  const labels = Uint8Array.from({ length: n }, (_, i) => i % 10);
  const put = (name: string, b: Buffer) => fs.writeFileSync(path.join(dir, gz ? `${name}.gz` : name), gz ? zlib.gzipSync(b) : b);
  put(`${prefix}-images-idx3-ubyte`, idx([n, 28, 28], images));
  put(`${prefix}-labels-idx1-ubyte`, idx([n], labels));
}

for (const gz of [true, false]) {
  test(`reads IDX files (${gz ? 'gzipped' : 'plain'}) as one-channel 28x28 images`, (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fmnist-'));
    writeSet(dir, 'train', 12, gz);
    writeSet(dir, 't10k', 5, gz);
    const d = fashionMnist(dir, null, 3);
    t.is(d.train.n, 12);
    t.is(d.test.n, 3);
    t.is(d.train.channels, 1);
    t.is(d.train.images[28 * 28 + 3], (28 * 28 + 3) % 251);
    t.deepEqual(Array.from(d.train.labels.subarray(0, 3)), [0, 1, 2]);
    t.is(d.mean.length, 1);
  });
}

test('a wrong magic number names the file and both values', (t) => {
  const b = idx([2, 2], new Uint8Array(4));
  b.writeUInt32BE(0x0d03, 0);
  const err = t.throws(() => parseIdx('x.idx', new Uint8Array(b), 2));
  t.regex(err!.message, /x\.idx: IDX magic 0x00000d03, expected 0x00000802/);
});

test('a size mismatch and a missing directory give clear errors', (t) => {
  const err = t.throws(() => parseIdx('y.idx', new Uint8Array(idx([3, 2], new Uint8Array(5))), 2));
  t.regex(err!.message, /5 bytes of data, expected 6/);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fmnist-'));
  const missing = t.throws(() => fashionMnist(dir, null, null));
  t.regex(missing!.message, /train-images-idx3-ubyte: not found .*apt-get install dataset-fashion-mnist/);
});

needs('fashion-mnist').test('Debian\'s Fashion-MNIST loads', (t) => {
  const d = fashionMnist(componentPath('fashion-mnist'), null, null);
  t.is(d.train.n, 60000);
  t.is(d.test.n, 10000);
  t.is(new Set(d.test.labels).size, 10);
});
