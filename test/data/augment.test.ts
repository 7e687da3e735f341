import test from 'ava';
import { cropBox, normalizeInto } from '../../core/data/augment.ts';
import type { ImageSet } from '../../core/data/dataset.ts';
import { patternsDataset } from '../../core/data/patterns.ts';
import { makeViews } from '../../core/data/views.ts';
import { Rng } from '../../core/rng.ts';
import { simsiamCifar } from '../../experiments/simsiam.ts';

const spec = simsiamCifar.augment;
const data = patternsDataset(40, 10, 32, 3);
const fmt = { size: 32, channels: 3, mean: [0, 0, 0], std: [1, 1, 1] };
const req = { indices: Int32Array.from([0, 1, 2, 3, 4, 5, 6, 7]), views: 2, seed: 11 };

test('views are reproducible from their seed and differ across seeds and views', (t) => {
  const a = makeViews(data.train, spec, fmt, req);
  const b = makeViews(data.train, spec, fmt, req);
  const c = makeViews(data.train, spec, fmt, { ...req, seed: 12 });
  t.deepEqual(a[0], b[0]);
  t.deepEqual(a[1], b[1]);
  t.notDeepEqual(a[0], c[0]);
  t.notDeepEqual(a[0], a[1]);
  t.is(a[0].length, 8 * 32 * 32 * 3);
});

test('crop boxes stay inside the image with area in [0.2, 1] and ratio in [3/4, 4/3]', (t) => {
  const rng = new Rng(1);
  for (let i = 0; i < 2000; i++) {
    const b = cropBox(32, 32, spec.crop, rng);
    t.true(b.top >= 0 && b.left >= 0 && b.top + b.h <= 32 && b.left + b.w <= 32);
    const area = (b.h * b.w) / 1024;
    // Rounding to whole pixels moves the area a little off the sampled one.
    if (area < 0.15 || area > 1 || b.w / b.h < 0.65 || b.w / b.h > 1.5) t.fail(`box ${JSON.stringify(b)}`);
  }
});

test('views stay within [0, 1] before normalisation, and grayscale views have equal channels', (t) => {
  const gray = { ...spec, grayscaleP: 1 };
  const v = makeViews(data.train, gray, fmt, req)[0];
  for (let i = 0; i < v.length; i += 3) {
    if (Math.abs(v[i] - v[i + 1]) > 1e-6 || Math.abs(v[i] - v[i + 2]) > 1e-6) t.fail(`pixel ${i / 3} not gray`);
  }
  const all = makeViews(data.train, spec, fmt, req).flatMap((x) => Array.from(x));
  t.true(Math.min(...all) >= 0 && Math.max(...all) <= 1);
});

test('with every augmentation off a view is the normalised image itself', (t) => {
  const none = { ...spec, crop: { ...spec.crop, scaleMin: 1, ratioMin: 1, ratioMax: 1 }, jitter: { ...spec.jitter, p: 0 }, grayscaleP: 0, flipP: 0 };
  const f = { size: 32, channels: 3, mean: [0.5, 0.4, 0.3], std: [0.2, 0.25, 0.3] };
  const v = makeViews(data.train, none, f, { indices: Int32Array.from([3]), views: 1, seed: 1 })[0];
  const want = new Float32Array(32 * 32 * 3);
  normalizeInto(data.train, [3], f, want);
  let err = 0;
  for (let i = 0; i < v.length; i++) err = Math.max(err, Math.abs(v[i] - want[i]));
  t.true(err < 1e-5);
});

test('a flip mirrors the image, and jitter of one-channel images changes only brightness and contrast', (t) => {
  const img: ImageSet = { images: Uint8Array.from({ length: 4 * 4 }, (_, i) => i * 10), labels: Uint8Array.of(0), n: 1, height: 4, width: 4, channels: 1 };
  const base = { ...spec, crop: { ...spec.crop, scaleMin: 1, ratioMin: 1, ratioMax: 1 }, jitter: { ...spec.jitter, p: 0 }, grayscaleP: 0 };
  const f = { size: 4, channels: 1, mean: [0], std: [1] };
  const flipped = makeViews(img, { ...base, flipP: 1 }, f, { indices: Int32Array.of(0), views: 1, seed: 1 })[0];
  t.deepEqual(Array.from(flipped.slice(0, 4), (x) => Math.round(x * 255)), [30, 20, 10, 0]);
  const jittered = makeViews(img, { ...base, flipP: 0, jitter: { ...spec.jitter, p: 1 } }, f, { indices: Int32Array.of(0), views: 1, seed: 2 })[0];
  t.is(jittered.length, 16);
  t.false(jittered.every((x, i) => Math.abs(x - img.images[i] / 255) < 1e-6));
});
