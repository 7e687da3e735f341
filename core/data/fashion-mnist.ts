import { channelStats, limitSet, type Dataset, type ImageSet } from './dataset.ts';
import { DataFileError, readMaybeGz } from './files.ts';

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
/** The data set's size and image shape, known before its files are read. */
export const FASHION_MNIST_SHAPE = { train: 60000, test: 10000, height: 28, width: 28, channels: 1 } as const;
export const FASHION_MNIST_HINT = 'Install it with `apt-get install dataset-fashion-mnist`, or set data.dir to the folder holding the IDX files.';

/** Parse an IDX file (big-endian header: magic 0x0000 0x08 ndim, then dims) of unsigned bytes. */
export function parseIdx(file: string, bytes: Uint8Array, ndim: number): { dims: number[]; data: Uint8Array } {
  if (bytes.length < 4 + 4 * ndim) throw new DataFileError(file, `too short for an IDX header (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  const expected = 0x00000800 | ndim;
  if (magic !== expected) {
    throw new DataFileError(file, `IDX magic 0x${magic.toString(16).padStart(8, '0')}, expected 0x${expected.toString(16).padStart(8, '0')} (unsigned bytes, ${ndim} dims)`);
  }
  const dims = Array.from({ length: ndim }, (_, i) => view.getUint32(4 + 4 * i));
  const size = dims.reduce((a, b) => a * b, 1);
  const start = 4 + 4 * ndim;
  if (bytes.length !== start + size) {
    throw new DataFileError(file, `${bytes.length - start} bytes of data, expected ${size} for dims ${dims.join('x')}`);
  }
  return { dims, data: bytes.subarray(start) };
}

/** The four IDX files (each may be gzipped). */
export const FASHION_MNIST_FILES = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];

function loadSplit(dir: string, prefix: string): ImageSet {
  const imgs = readMaybeGz(dir, `${prefix}-images-idx3-ubyte`, FASHION_MNIST_HINT);
  const labs = readMaybeGz(dir, `${prefix}-labels-idx1-ubyte`, FASHION_MNIST_HINT);
  const { dims, data } = parseIdx(imgs.file, imgs.bytes, 3);
  const labels = parseIdx(labs.file, labs.bytes, 1);
  if (labels.dims[0] !== dims[0]) throw new DataFileError(labs.file, `${labels.dims[0]} labels for ${dims[0]} images`);
  return { images: data, labels: labels.data, n: dims[0], height: dims[1], width: dims[2], channels: 1 };
}

/** Fashion-MNIST from its IDX files (gzipped or not); one channel, normalised with train-set statistics. */
export function fashionMnist(dir: string, trainLimit: number | null, testLimit: number | null): Dataset {
  const train = limitSet(loadSplit(dir, 'train'), trainLimit);
  const test = limitSet(loadSplit(dir, 't10k'), testLimit);
  return { name: 'fashion-mnist', train, test, classes: 10, ...channelStats(train) };
}
