import test from 'ava';
import type { BackendInfo } from '../../core/backend.ts';
import { torchDeviceFor } from '../../bench/compare.ts';
import { kernelBytes, kernelFlops } from '../../bench/kernel-cost.ts';

const on = (name: BackendInfo['name'], adapter?: BackendInfo['adapter']): BackendInfo =>
  ({ name, tfName: name, threads: 1, simd: false, adapter, skipped: [] });
const gpu = (vendor: string, description: string, software = false) => ({ vendor, architecture: '', description, software });

test('bench --compare: PyTorch runs on CUDA beside an NVIDIA GPU backend only', (t) => {
  t.is(torchDeviceFor(on('webgpu', gpu('nvidia', 'NVIDIA H200'))), 'cuda');
  t.is(torchDeviceFor(on('tensorflow-gpu')), 'cuda');
  t.is(torchDeviceFor(on('webgpu', gpu('amd', 'Radeon RX 7900'))), 'cpu', 'no CUDA for AMD');
  t.is(torchDeviceFor(on('webgpu', gpu('apple', 'Apple M2'))), 'cpu');
  t.is(torchDeviceFor(on('webgpu', gpu('mesa', 'llvmpipe', true))), 'cpu', 'a software adapter is a CPU');
  t.is(torchDeviceFor(on('native-cpu')), 'cpu');
});

test('bench:profile: FLOPs and bytes of a kernel call from its shapes', (t) => {
  // 3x3 conv, 8 -> 16 channels, 4 images of 10x10: 2·(4·10·10·16)·9·8 FLOPs, each way.
  t.is(kernelFlops({ name: 'Conv2D', inputShapes: [[4, 10, 10, 8], [3, 3, 8, 16]], outputShapes: [[4, 10, 10, 16]] }), 2 * 6400 * 72);
  t.is(kernelFlops({ name: 'Conv2DBackpropInput', inputShapes: [[4, 10, 10, 16], [3, 3, 8, 16]], outputShapes: [[4, 10, 10, 8]] }), 2 * 6400 * 72);
  t.is(kernelFlops({ name: 'Conv2DBackpropFilter', inputShapes: [[4, 10, 10, 8], [4, 10, 10, 16]], outputShapes: [[3, 3, 8, 16]] }), 2 * 6400 * 72);
  // [2, 5, 7] x [2, 7, 3], and the same with a transposed, and one side broadcast.
  t.is(kernelFlops({ name: 'BatchMatMul', inputShapes: [[2, 5, 7], [2, 7, 3]], outputShapes: [[2, 5, 3]] }), 2 * 30 * 7);
  t.is(kernelFlops({ name: 'BatchMatMul', inputShapes: [[2, 7, 5], [2, 7, 3]], outputShapes: [[2, 5, 3]] }), 2 * 30 * 7);
  t.is(kernelFlops({ name: 'BatchMatMul', inputShapes: [[1, 5, 7], [4, 7, 3]], outputShapes: [[4, 5, 3]] }), 2 * 60 * 7);
  t.is(kernelFlops({ name: 'Add', inputShapes: [[4, 4], [4]], outputShapes: [[4, 4]] }), null);
  t.is(kernelBytes({ name: 'Add', inputShapes: [[4, 4], [4]], outputShapes: [[4, 4]] }), 4 * (16 + 4 + 16));
});
