/**
 * Where a training step's time goes, per kernel: `npm run bench:profile -- [model] [batch]`
 * (models of `simsiam bench`; default resnet18-narrow, batch 64) on the backend `auto`
 * picks, or SIMSIAM_BACKEND. One warm-up step, then one step under tf.profile; per kernel
 * name, its summed time, share, calls, and achieved GFLOP/s and GB/s (bench/kernel-cost.ts).
 * On webgpu the kernel times are the GPU's own timestamps where the adapter offers them.
 */
import * as tf from '@tensorflow/tfjs';
import { releaseBackend, useBackend, type BackendChoice } from '../core/backend.ts';
import { kernelBytes, kernelFlops, type KernelCall } from './kernel-cost.ts';
import { BENCH_MODELS, openStepTimer, type BenchModel } from './step.ts';

const model = (process.argv[2] ?? 'resnet18-narrow') as BenchModel;
const batch = Number(process.argv[3] ?? 64);
if (!(model in BENCH_MODELS) || !Number.isInteger(batch) || batch < 2) {
  process.stderr.write(`usage: npm run bench:profile -- [${Object.keys(BENCH_MODELS).join('|')}] [batch >= 2]\n`);
  process.exit(2);
}
const backend = await useBackend((process.env.SIMSIAM_BACKEND ?? 'auto') as BackendChoice);
const timer = openStepTimer(model, batch);
await timer.time(1);
const t0 = performance.now();
const prof = await tf.profile(async () => {
  await timer.time(1);
});
const total = performance.now() - t0;
const by = new Map<string, { ms: number; calls: number; flops: number | null; bytes: number }>();
for (const k of prof.kernels) {
  const e = by.get(k.name) ?? { ms: 0, calls: 0, flops: 0, bytes: 0 };
  const f = kernelFlops(k as unknown as KernelCall);
  e.ms += k.kernelTimeMs as number;
  e.calls++;
  e.flops = f === null || e.flops === null ? null : e.flops + f;
  e.bytes += kernelBytes(k as unknown as KernelCall);
  by.set(k.name, e);
}
const sum = [...by.values()].reduce((a, e) => a + e.ms, 0);
// Without GPU timestamps tfjs-webgpu reports every kernel as 0 ms: order by calls then.
const rows = [...by].sort((a, b) => (sum > 0 ? b[1].ms - a[1].ms : b[1].calls - a[1].calls));
const gpu = tf.backend() as unknown as { device?: { features: { has(f: string): boolean } } };
const timed = backend.name !== 'webgpu' || gpu.device?.features.has('timestamp-query') === true;
const smallest = Math.min(...prof.kernels.map((k) => k.kernelTimeMs as number).filter((ms) => ms > 0));
const source = backend.name !== 'webgpu' ? 'tfjs profile() kernel times'
  : timed ? `GPU timestamps; the shortest kernel read ${smallest.toFixed(3)} ms`
  : 'this adapter offers no GPU timestamps (timestamp-query), so tfjs reports no kernel times: rows by call count';
process.stdout.write(`${backend.name} (${backend.threads} thread(s)) ${model} batch ${batch}: step ${total.toFixed(0)} ms under the profiler, kernels ${sum.toFixed(0)} ms (${source})\n`);
process.stdout.write(`  ${'kernel'.padEnd(24)} ${'ms'.padStart(8)} ${'share'.padStart(6)} ${'calls'.padStart(6)} ${'GFLOP/s'.padStart(8)} ${'GB/s'.padStart(7)}\n`);
for (const [name, e] of rows.slice(0, 16)) {
  const rate = (x: number | null, d: number) => (x === null || e.ms === 0 ? '-' : (x / e.ms / 1e6).toFixed(d));
  const share = sum > 0 ? `${(100 * e.ms / sum).toFixed(1)}%` : '-';
  process.stdout.write(`  ${name.padEnd(24)} ${e.ms.toFixed(1).padStart(8)} ${share.padStart(6)} ${`x${e.calls}`.padStart(6)} ${rate(e.flops, 2).padStart(8)} ${rate(e.bytes, 2).padStart(7)}\n`);
}
timer.dispose();
releaseBackend();
