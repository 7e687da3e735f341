import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { releaseBackend, useBackend } from '../../../core/backend.ts';
import { STOCK_FLAG } from '../../../core/backends/webgpu/kernels/register.ts';
import { FUSED_SGD_KERNEL } from '../../../core/optimizer.ts';
import { probeAdapter, type GpuAdapter } from '../../../core/backends/webgpu/dawn.ts';
import { webgpu } from '../../../core/backends/webgpu/index.ts';
import { SqliteStore } from '../../../runner/store/sqlite-store.ts';
import { backendContract } from '../../helpers/backend-contract.ts';

// A software adapter counts here (lavapipe in CI); `auto` alone refuses it.
const skip = await webgpu.probe();
const found: GpuAdapter | null = skip ? null : await probeAdapter();
const ci = process.env.CI === 'true' || process.env.CI === '1';

interface BufferManager { getNumUsedBuffers(): number; getNumFreeBuffers(): number }

// `.ci/run` installs lavapipe, so CI has an adapter.
backendContract('webgpu', skip, {
  requiredInCi: true,
  fusedKernels: [FUSED_SGD_KERNEL],
  deviceMemory: () => {
    const pool = (tf.backend() as unknown as { bufferManager: BufferManager }).bufferManager;
    return { buffers: pool.getNumUsedBuffers() + pool.getNumFreeBuffers(), bytes: (tf.memory() as { numBytesInGPU?: number }).numBytesInGPU ?? 0 };
  },
});

test.after.always(() => releaseBackend());

const cli = promisify(execFile);
const bin = new URL('../../../bin/simsiam.mjs', import.meta.url).pathname;
const e2e = skip ? (ci ? test : test.skip) : test;

e2e(`webgpu: \`run stopgrad --preset tiny --backend webgpu\` collapses without stop-gradient and records the adapter${skip ? ` [skipped: ${skip}]` : ''}`, async (t) => {
  if (skip) return t.fail(`CI=true requires it: ${skip}`);
  const db = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'webgpu-')), 'r.db');
  const r = await cli(process.execPath, [bin, 'run', 'stopgrad', '--preset', 'tiny', '--backend', 'webgpu', '--db', db], { timeout: 300_000 });
  t.regex(r.stdout, /backend webgpu \(.+\)/, 'the adapter is printed at start');
  const store = new SqliteStore(db);
  try {
    const runs = store.findRuns({ experiment: 'stopgrad' });
    t.is(runs.length, 2);
    for (const run of runs) {
      t.is(run.status, 'finished');
      t.is(run.backend, 'webgpu');
      t.true(run.device?.includes((found as GpuAdapter).description), `device recorded: ${run.device}`);
    }
    const nosg = runs.find((run) => run.rowLabel.includes('w/o'))!;
    const z = store.metrics(nosg.id, 'z_std').at(-1)!.value;
    const loss = store.metrics(nosg.id, 'loss').at(-1)!.value;
    const ref = 1 / Math.sqrt((nosg.config as { projector: { dim: number } }).projector.dim);
    t.log(`w/o stop-grad: loss ${loss.toFixed(4)}, z_std ${z.toFixed(4)} (1/sqrt(d) ${ref.toFixed(4)})`);
    t.true(z < ref / 4 && loss < -0.9, 'collapsed');
  } finally {
    store.close();
  }
});

const software = found?.software === true;
// Without any adapter the reason names the install; with a hardware one, auto takes it and there is nothing to pass over.
const noSoftware = skip ?? 'the adapter here is a hardware one, which auto takes';
(software ? test : test.skip)(`webgpu: \`bench\` under auto passes over a software adapter and says why${software ? '' : ` [skipped: ${noSoftware}]`}`, async (t) => {
  const r = await cli(process.execPath, [bin, 'bench', '--model', 'quick', '--batch', '8', '--steps', '1', '--warmup', '0'], { timeout: 120_000 });
  t.regex(r.stdout, /^backend (?!webgpu)\S+.*; not loaded: .*webgpu: only a software adapter \(/m);
  t.notRegex(r.stdout, /^webgpu /m, 'timed on another backend');
});

const gpuTest = skip ? (ci ? test : test.skip) : test.serial;

// The conv tests pass on tfjs's kernel too: check that the project's dW is the one that
// runs (tfjs-webgpu names each dispatch's program in the profile), split and unsplit, and
// that the flag puts tfjs's back.
gpuTest(`webgpu: dW runs the project's kernel (split-K and not), and the stock one under ${'SIMSIAM_WEBGPU_STOCK_KERNELS'}${skip ? ` [skipped: ${skip}]` : ''}`, async (t) => {
  if (skip) return t.fail(`CI=true requires it: ${skip}`);
  await useBackend('webgpu');
  const programs = async (n: number, h: number, c: number) => {
    const x = tf.ones([n, h, h, c]), dy = tf.ones([n, h, h, c]);
    const p = await tf.profile(() => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, c, c] }) as tf.Tensor);
    tf.dispose([x, dy]);
    return p.kernels.filter((k) => k.name === 'Conv2DBackpropFilter').map((k) => String(k.extraInfo)).join(' ');
  };
  try {
    t.regex(await programs(2, 16, 8), /FilterGradProgram.*SplitSumProgram/, 'a small dW over many pixels is split');
    t.regex(await programs(1, 2, 256), /FilterGradProgram/);
    t.notRegex(await programs(1, 2, 256), /SplitSumProgram/, 'a dW of many tiles over few pixels is not');
    tf.env().set(STOCK_FLAG, true);
    t.regex(await programs(2, 16, 8), /Conv2DDerFilterProgram/);
  } finally {
    tf.env().set(STOCK_FLAG, false);
  }
});
