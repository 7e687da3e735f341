import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../core/backend.ts';
import { Rng } from '../../core/rng.ts';
import { trainStep } from '../../core/train-step.ts';
import { randomViews, stepContext, tinyConfig } from '../helpers/tiny.ts';

/**
 * The kernels registered for wasm (Conv2DBackpropFilter, Conv2DBackpropInput, and
 * BatchMatMul with transposes) against the cpu backend's stock kernels.
 */
interface Case { n: number; h: number; w: number; ci: number; co: number; k: number; s: number; pad: 'same' | 'valid' | number }

const cases: Case[] = [
  { n: 2, h: 8, w: 8, ci: 3, co: 4, k: 3, s: 1, pad: 1 },
  { n: 2, h: 8, w: 8, ci: 5, co: 4, k: 3, s: 2, pad: 1 },
  { n: 3, h: 9, w: 7, ci: 3, co: 6, k: 3, s: 2, pad: 1 },
  { n: 2, h: 8, w: 8, ci: 4, co: 6, k: 1, s: 2, pad: 0 },
  { n: 2, h: 6, w: 6, ci: 4, co: 3, k: 1, s: 1, pad: 0 },
  { n: 1, h: 7, w: 7, ci: 2, co: 3, k: 3, s: 2, pad: 'same' },
  { n: 2, h: 10, w: 10, ci: 3, co: 2, k: 5, s: 2, pad: 2 },
  { n: 1, h: 6, w: 6, ci: 2, co: 2, k: 3, s: 1, pad: 'valid' },
  { n: 2, h: 11, w: 11, ci: 3, co: 4, k: 3, s: 3, pad: 1 },
];

function tensorFrom(rng: Rng, shape: number[]): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: size }, () => rng.normal()), shape);
}

async function gradsOn(backend: 'cpu' | 'wasm', c: Case, seed: number): Promise<{ dx: Float32Array; dw: Float32Array }> {
  await useBackend(backend);
  const rng = new Rng(seed);
  return tf.tidy(() => {
    const x = tensorFrom(rng, [c.n, c.h, c.w, c.ci]) as tf.Tensor4D;
    const w = tensorFrom(rng, [c.k, c.k, c.ci, c.co]) as tf.Tensor4D;
    const y = tf.conv2d(x, w, c.s, c.pad);
    const up = tensorFrom(rng, y.shape);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.s, c.pad), up)))([x, w]);
    return { dx: dx.dataSync() as Float32Array, dw: dw.dataSync() as Float32Array };
  });
}

function maxErr(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

test.serial('wasm conv gradients match the cpu backend', async (t) => {
  let worst = 0;
  for (const [i, c] of cases.entries()) {
    const ref = await gradsOn('cpu', c, i + 1);
    const got = await gradsOn('wasm', c, i + 1);
    t.is(got.dw.length, ref.dw.length);
    const ew = maxErr(got.dw, ref.dw), ex = maxErr(got.dx, ref.dx);
    t.log(`${c.n}x${c.h}x${c.w}x${c.ci} -> ${c.co}, k${c.k} s${c.s} pad ${c.pad}: max abs error dW ${ew.toExponential(2)}, dX ${ex.toExponential(2)}`);
    worst = Math.max(worst, ew, ex);
  }
  t.log(`worst max abs error: ${worst.toExponential(2)}`);
  t.true(worst < 1e-4);
});

test.serial('wasm matMul with transpose flags matches the cpu backend', async (t) => {
  const run = async (backend: 'cpu' | 'wasm') => {
    await useBackend(backend);
    const rng = new Rng(9);
    return tf.tidy(() => {
      const a = tensorFrom(rng, [5, 7]) as tf.Tensor2D, b = tensorFrom(rng, [5, 3]) as tf.Tensor2D;
      const c = tensorFrom(rng, [3, 7]) as tf.Tensor2D, d = tensorFrom(rng, [7, 5]) as tf.Tensor2D;
      return [tf.matMul(a, b, true, false), tf.matMul(a, c, false, true), tf.matMul(b, d, true, true)].map((x) => x.dataSync() as Float32Array);
    });
  };
  const ref = await run('cpu');
  const got = await run('wasm');
  const err = Math.max(...ref.map((r, i) => maxErr(r, got[i])));
  t.log(`max abs error ${err.toExponential(2)}`);
  t.true(err < 1e-5);
});

test.serial('wasm Identity shares the buffer, and whole training steps on wasm follow the cpu backend', async (t) => {
  await useBackend('wasm');
  const x = tf.tensor1d([1, 2, 3]);
  const y = tf.clone(x);
  t.is(y.dataId, x.dataId, 'a clone (how the engine saves tensors for backward) copies nothing');
  x.dispose();
  t.deepEqual([...y.dataSync()], [1, 2, 3], 'and outlives its source');
  y.dispose();
  // Shared buffers would show as wrong gradients: three steps of the tiny model on each backend.
  const run = async (backend: 'cpu' | 'wasm') => {
    await useBackend(backend);
    const ctx = stepContext(tinyConfig({ seed: 3 }));
    const views = randomViews(2, 8, 16, 11);
    const losses = [0, 1, 2].map(() => trainStep(ctx, views).loss);
    const w = ctx.net.encoderVars[0].dataSync().slice() as Float32Array;
    tf.dispose(views);
    ctx.dispose();
    return { losses, w };
  };
  const ref = await run('cpu');
  const got = await run('wasm');
  t.log(`losses cpu ${ref.losses.map((l) => l.toFixed(6))}, wasm ${got.losses.map((l) => l.toFixed(6))}`);
  for (let i = 0; i < 3; i++) t.true(Math.abs(ref.losses[i] - got.losses[i]) < 1e-4, `step ${i + 1}`);
  t.true(maxErr(ref.w, got.w) < 1e-4, 'first conv weights after three steps');
});
