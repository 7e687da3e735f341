/**
 * Where a training step's time goes, per kernel: `npm run bench:profile -- [model] [batch]`
 * (models of `simsiam bench`; default resnet18-narrow, batch 64) on the backend `auto`
 * picks, or SIMSIAM_BACKEND. One warm-up step, then one step under tf.profile.
 */
import * as tf from '@tensorflow/tfjs';
import { releaseBackend, useBackend, type BackendChoice } from '../core/backend.ts';
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
const by = new Map<string, { ms: number; calls: number }>();
for (const k of prof.kernels) {
  const e = by.get(k.name) ?? { ms: 0, calls: 0 };
  e.ms += k.kernelTimeMs as number;
  e.calls++;
  by.set(k.name, e);
}
const rows = [...by].sort((a, b) => b[1].ms - a[1].ms);
const sum = rows.reduce((a, [, e]) => a + e.ms, 0);
process.stdout.write(`${backend.name} (${backend.threads} thread(s)) ${model} batch ${batch}: step ${total.toFixed(0)} ms under the profiler, kernels ${sum.toFixed(0)} ms\n`);
for (const [name, e] of rows.slice(0, 16)) {
  process.stdout.write(`  ${name.padEnd(24)} ${e.ms.toFixed(1).padStart(8)} ms ${(100 * e.ms / sum).toFixed(1).padStart(5)}%  x${e.calls}\n`);
}
timer.dispose();
releaseBackend();
