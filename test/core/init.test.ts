import test from 'ava';
import { useBackend } from '../../core/backend.ts';
import { conv, linear } from '../../core/nets/layers.ts';
import { Rng } from '../../core/rng.ts';

test.before(async () => {
  await useBackend('cpu');
});

function stats(xs: Float32Array): { mean: number; std: number; maxAbs: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
  return { mean, std, maxAbs: Math.max(...Array.from(xs, Math.abs)) };
}

test('linear layers draw weights and bias from U(+-1/sqrt(fan_in)), as nn.Linear', (t) => {
  const l = linear('l', new Rng(1), 256, 128, true);
  const w = stats(l.trainable[0].dataSync() as Float32Array);
  const b = stats(l.trainable[1].dataSync() as Float32Array);
  const bound = 1 / 16;
  t.true(w.maxAbs <= bound && w.maxAbs > 0.98 * bound);
  t.true(Math.abs(w.std - bound / Math.sqrt(3)) < 0.002);
  t.true(b.maxAbs <= bound);
});

test('convs draw from N(0, 2/fan_out) with fan_out = k*k*C_out, as torchvision ResNet', (t) => {
  const c = conv('c', new Rng(2), 16, 64, 3, 1);
  const s = stats(c.trainable[0].dataSync() as Float32Array);
  t.true(Math.abs(s.std - Math.sqrt(2 / (9 * 64))) < 0.003);
  t.true(Math.abs(s.mean) < 0.003);
  t.deepEqual(c.trainable[0].shape, [3, 3, 16, 64]);
});

test('the same seed gives the same weights', (t) => {
  const a = linear('a', new Rng(5), 8, 4, false).trainable[0].dataSync();
  const b = linear('b', new Rng(5), 8, 4, false).trainable[0].dataSync();
  t.deepEqual(a, b);
});
