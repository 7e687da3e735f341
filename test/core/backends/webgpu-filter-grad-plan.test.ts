import test from 'ava';
import { planFilterGrad } from '../../../core/backends/webgpu/kernels/conv-filter-grad.ts';

// The dW kernel's plan needs no adapter (the shader is checked in webgpu.test.ts and the
// backend contract). What a plan must give: tiles no wider than the layer needs, and
// enough splits to fill a GPU where the tiles are few, never more than the pixels allow.
test('webgpu dW plan: tiles fit the layer; few tiles get split-K, many do not', (t) => {
  t.deepEqual(planFilterGrad(27, 16, 65536, false), { tileM: 32, tileN: 16, vec4: false, splits: 256, chunk: 256 }, 'the stem is not padded to 64x64');
  t.like(planFilterGrad(576, 64, 524288, true), { tileM: 64, tileN: 64, splits: 57 }, 'a 64-channel 3x3 at batch 512: 9 tiles, split to about 512 workgroups');
  t.like(planFilterGrad(4608, 512, 8192, true), { splits: 1 }, '576 tiles are enough');
  t.like(planFilterGrad(576, 64, 300, true), { splits: 1, chunk: 304 }, 'no split below 2 × 256 pixels');
  t.like(planFilterGrad(64, 24, 10000, true), { tileN: 32 });
});
