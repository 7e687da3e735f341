import test from 'ava';
import { PATTERN_CLASSES, patternsDataset } from '../../core/data/patterns.ts';

test('the embedded dataset is deterministic in its seed and balanced', (t) => {
  const a = patternsDataset(50, 20, 16, 1);
  const b = patternsDataset(50, 20, 16, 1);
  const c = patternsDataset(50, 20, 16, 2);
  t.deepEqual(a.train.images, b.train.images);
  t.notDeepEqual(a.train.images, c.train.images);
  t.is(a.classes, PATTERN_CLASSES.length);
  const counts = new Array(a.classes).fill(0);
  for (const l of a.train.labels) counts[l]++;
  t.deepEqual(counts, new Array(10).fill(5));
  t.notDeepEqual(a.train.images.subarray(0, 768), a.test.images.subarray(0, 768), 'train and test differ');
});

test('colour carries no class information: mean colour per class is about the same', (t) => {
  const d = patternsDataset(2000, 10, 16, 0);
  const px = 16 * 16;
  const means = Array.from({ length: 10 }, () => [0, 0, 0]);
  for (let i = 0; i < d.train.n; i++) {
    for (let p = 0; p < px; p++) for (let k = 0; k < 3; k++) means[d.train.labels[i]][k] += d.train.images[(i * px + p) * 3 + k] / 255 / px / 200;
  }
  const all = means.flat();
  t.log(`per-class mean colour range ${Math.min(...all).toFixed(3)}..${Math.max(...all).toFixed(3)}`);
  t.true(Math.max(...all) - Math.min(...all) < 0.12);
});
