import test from 'ava';
import { planFilterGrad } from '../../../core/backends/webgpu/kernels/conv-filter-grad.ts';

// The dW kernel's plan needs no adapter: every pixel in exactly one split, tiles that fit.
test('webgpu dW plan: splits cover every pixel once, small dW gets small tiles and more splits', (t) => {
  for (const [m, n, k] of [[27, 64, 512 * 1024], [576, 64, 512 * 1024], [4608, 512, 512 * 16], [64, 128, 2 * 256], [27, 16, 100], [9, 3, 15]]) {
    const p = planFilterGrad(m, n, k, m % 4 === 0 && n % 4 === 0);
    t.is(p.chunk % 16, 0, 'a chunk is whole staging steps');
    t.true(p.splits * p.chunk >= k && (p.splits - 1) * p.chunk < k, `${m}x${n}x${k}: ${p.splits} x ${p.chunk}`);
    t.true(p.tileM >= Math.min(m, 64) || p.tileM === 64);
  }
  t.deepEqual([planFilterGrad(27, 16, 65536, false).tileM, planFilterGrad(27, 16, 65536, false).tileN], [32, 16], 'the stem is not padded to 64x64');
  t.is(planFilterGrad(4608, 512, 8192, true).splits, 1, 'a dW with hundreds of tiles is not split');
  t.true(planFilterGrad(576, 64, 524288, true).splits > 32, 'a 64-channel 3x3 dW at batch 512 is split to fill a GPU');
});
