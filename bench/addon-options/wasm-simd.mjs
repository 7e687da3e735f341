// Times the kernels that wasm-simd.sh compiled (in the folder given) beside the native addon.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const addon = createRequire(import.meta.url)('../../core/backends/native-cpu/addon/build/Release/simsiam_addon.node');
const med = (f) => { f(); const ts = []; for (let i = 0; i < 9; i++) { const t = performance.now(); f(); ts.push(performance.now() - t); } return ts.sort((a, b) => a - b)[4]; };
const mods = {};
for (const k of ['simd', 'scalar']) mods[k] = (await WebAssembly.instantiate(fs.readFileSync(path.join(process.argv[2], `${k}.wasm`)))).instance.exports;
// Operands from 4 MB on: below lie the module's data and stack.
const BASE = 1 << 20;

for (const [m, c] of [[65536, 16], [16384, 32], [4096, 64]]) {
  const n = m * c;
  const row = [`batch norm forward [${m}, ${c}]`];
  const x = new Float32Array(n).map(() => Math.random());
  for (const [k, e] of Object.entries(mods)) {
    const f32 = new Float32Array(e.memory.buffer);
    const X = BASE, Y = X + n, P = Y + n, O = P + 4 * c, ACC = O + 4 * c + 16;
    f32.set(x, X);
    for (let j = 0; j < c; j++) { f32[P + j] = 1; f32[P + c + j] = 0; f32[P + 2 * c + j] = 0; f32[P + 3 * c + j] = 1; }
    const t = med(() => e.bn_forward(X * 4, m, c, P * 4, (P + c) * 4, (P + 2 * c) * 4, (P + 3 * c) * 4, 0.1, 1e-5, 1, Y * 4, O * 4, (O + c) * 4, (O + 2 * c) * 4, (O + 3 * c) * 4, ACC * 4));
    row.push(`wasm ${k} ${t.toFixed(3)} ms`);
  }
  const y = new Float32Array(n), g = new Float32Array(c).fill(1), z = new Float32Array(c);
  const [o1, o2, o3, o4] = [0, 1, 2, 3].map(() => new Float32Array(c));
  row.push(`native ${med(() => addon.bnForward(x, c, g, z, z, g, 0.1, 1e-5, true, y, o1, o2, o3, o4)).toFixed(3)} ms`);
  console.log(row.join(' | '));
}

for (const d of [[64, 32, 32, 16, 16, 16, 32, 3, 3, 2, 2, 0, 0], [64, 32, 32, 3, 32, 32, 16, 3, 3, 1, 1, 1, 1]]) {
  const [n, h, w, ci, oh, ow, co, kh, kw] = d;
  const nx = n * h * w * ci, ny = n * oh * ow * co, nw = kh * kw * ci * co;
  const x = new Float32Array(nx).map(() => Math.random()), dy = new Float32Array(ny).map(() => Math.random());
  const out = new Float32Array(nw);
  const dims = Float32Array.from(d);
  const tn = med(() => addon.convDw(x, dy, out, dims, 1));
  const row = [`dW ${d.slice(0, 4).join('x')} to ${co} channels, stride ${d[9]}`];
  for (const [k, e] of Object.entries(mods)) {
    const f32 = new Float32Array(e.memory.buffer), i32 = new Int32Array(e.memory.buffer);
    const X = BASE, DY = X + nx, DW = DY + ny, C = DW + nw;
    f32.set(x, X);
    f32.set(dy, DY);
    d.forEach((v, i) => (i32[C + i] = v)); // struct conv: 13 longs, 32-bit on wasm32
    const t = med(() => e.conv_dw(X * 4, DY * 4, DW * 4, C * 4));
    let err = 0;
    for (let i = 0; i < nw; i++) err = Math.max(err, Math.abs(out[i] - f32[DW + i]) / (Math.abs(out[i]) + 1));
    row.push(`wasm ${k} ${t.toFixed(2)} ms (max rel. difference ${err.toExponential(1)})`);
  }
  row.push(`native ${tn.toFixed(2)} ms`);
  console.log(row.join(' | '));
}
