// Batch norm's training forward (statistics, normalise, affine, ReLU; not the running statistics) as a small
// ONNX graph that onnxruntime runs in place, against the addon's kernel, which also updates the running
// statistics (docs/backends.md, "Why an addon"): npx tsx bench/addon-options/onnx-batch-norm.ts
import { createRequire } from 'node:module';
import { loadOrt } from '../../core/backends/native-cpu/ort.ts';
const ort = loadOrt(1);
const addon = createRequire(import.meta.url)('../../core/backends/native-cpu/addon/build/Release/simsiam_addon.node');
const med = (f: () => void) => { f(); const ts: number[] = []; for (let i = 0; i < 9; i++) { const t = performance.now(); f(); ts.push(performance.now() - t); } return ts.sort((a, b) => a - b)[4]; };
for (const [m, c] of [[65536, 16], [16384, 32], [4096, 64], [64, 256]]) {
  const x = new Float32Array(m * c).map(() => Math.random()), g = new Float32Array(c).fill(1), b = new Float32Array(c), y = new Float32Array(m * c), mean = new Float32Array(c), v = new Float32Array(c);
  const build = () => ({
    nodes: [
      { op: 'ReduceMean', inputs: ['x'], outputs: ['mean'], attrs: { axes: [0], keepdims: 1 } },
      { op: 'Sub', inputs: ['x', 'mean'], outputs: ['xc'] },
      { op: 'Mul', inputs: ['xc', 'xc'], outputs: ['sq'] },
      { op: 'ReduceMean', inputs: ['sq'], outputs: ['var'], attrs: { axes: [0], keepdims: 1 } },
      { op: 'Add', inputs: ['var', 'eps'], outputs: ['ve'] },
      { op: 'Sqrt', inputs: ['ve'], outputs: ['sd'] },
      { op: 'Div', inputs: ['g', 'sd'], outputs: ['k'] },
      { op: 'Mul', inputs: ['xc', 'k'], outputs: ['xk'] },
      { op: 'Add', inputs: ['xk', 'b'], outputs: ['yb'] },
      { op: 'Relu', inputs: ['yb'], outputs: ['y'] },
    ],
    inputs: [['x', [m, c]], ['g', [c]], ['b', [c]], ['eps', [1]]], outputs: [['y', [m, c]], ['mean', [1, c]], ['var', [1, c]]],
  });
  const tOnnx = med(() => ort.run(`bn ${m} ${c}`, build as never, [x, g, b, Float32Array.of(1e-5)], [y, mean, v]));
  const o1 = new Float32Array(c), o2 = new Float32Array(c);
  const tAddon = med(() => addon.bnForward(x, c, g, b, g, g, 0.1, 1e-5, true, y, mean, v, o1, o2));
  console.log(`[${m}, ${c}] forward: onnxruntime graph ${tOnnx.toFixed(3)} ms, addon ${tAddon.toFixed(3)} ms`);
}
