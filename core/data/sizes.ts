import type { DataSpec, TrainConfig } from '../config.ts';
import { CIFAR10_SHAPE } from './cifar10.ts';
import { FASHION_MNIST_SHAPE } from './fashion-mnist.ts';

/** Training-set size a data spec yields, known before any file is read. */
export function trainSize(d: DataSpec): number {
  switch (d.kind) {
    case 'patterns': return d.train;
    case 'fashion-mnist': return d.trainLimit ?? FASHION_MNIST_SHAPE.train;
    case 'cifar10': return d.trainLimit ?? CIFAR10_SHAPE.train;
  }
}

/** Test-set size a data spec yields, known before any file is read. */
export function testSize(d: DataSpec): number {
  switch (d.kind) {
    case 'patterns': return d.test;
    case 'fashion-mnist': return d.testLimit ?? FASHION_MNIST_SHAPE.test;
    case 'cifar10': return d.testLimit ?? CIFAR10_SHAPE.test;
  }
}

/** Side and channels of a data spec's (square) images. */
export function imageShape(d: DataSpec): { size: number; channels: number } {
  switch (d.kind) {
    case 'patterns': return { size: d.size, channels: 3 };
    case 'fashion-mnist': return { size: FASHION_MNIST_SHAPE.height, channels: FASHION_MNIST_SHAPE.channels };
    case 'cifar10': return { size: CIFAR10_SHAPE.height, channels: CIFAR10_SHAPE.channels };
  }
}

/** Values per image of a data spec (height x width x channels). */
export function imageValues(d: DataSpec): number {
  switch (d.kind) {
    case 'patterns': return d.size * d.size * 3;
    case 'fashion-mnist': return FASHION_MNIST_SHAPE.height * FASHION_MNIST_SHAPE.width * FASHION_MNIST_SHAPE.channels;
    case 'cifar10': return CIFAR10_SHAPE.height * CIFAR10_SHAPE.width * CIFAR10_SHAPE.channels;
  }
}

/** SGD steps of a configuration: full batches per epoch (drop_last, as the training loop) times epochs. */
export function trainSteps(cfg: TrainConfig): number {
  return Math.floor(trainSize(cfg.data) / cfg.batchSize) * cfg.epochs;
}
