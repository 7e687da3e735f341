import test, { type ExecutionContext } from 'ava';
import * as tf from '@tensorflow/tfjs';
import v8 from 'node:v8';
import vm from 'node:vm';
import { useBackend, type BackendName } from '../../core/backend.ts';
import type { OptimizerSpec, TrainConfig } from '../../core/config.ts';
import { batchNorm } from '../../core/nets/batch-norm.ts';
import { Sgd } from '../../core/optimizer.ts';
import { Rng } from '../../core/rng.ts';
import { trainStep } from '../../core/train-step.ts';
import { randomViews, stepContext, tinyConfig } from './tiny.ts';

/**
 * What every compute backend must do, checked against tfjs's pure-JS `cpu` backend in
 * the same process (each backend's test file calls this once, as each hono router runs
 * the shared router tests): conv forward and both gradients, matMul with transposes,
 * batch norm with its gradient, whole training steps of each model, and no leaks.
 * `skip` is the reason a backend does not load here, or null.
 */
export interface ContractOptions {
  /** Under CI=true a backend that does not load fails instead of skipping. */
  requiredInCi?: boolean;
  /**
   * For a backend whose tensors live in device memory: the device allocations it holds
   * (buffers in use and pooled, and their bytes), asserted flat in place of host memory.
   */
  deviceMemory?: () => { buffers: number; bytes: number };
  /** Fused kernels the backend must have registered once loaded (checked in the SGD case). */
  fusedKernels?: string[];
}

export function backendContract(backend: BackendName, skip: string | null, opts: ContractOptions = {}): void {
  const ci = process.env.CI === 'true' || process.env.CI === '1';
  const serial = (title: string, impl: (t: ExecutionContext) => Promise<void>) => {
    if (!skip) test.serial(`${backend}: ${title}`, impl);
    else if (ci && opts.requiredInCi) test(`${backend}: ${title}`, (t) => t.fail(`CI=true requires it: ${skip}`));
    else test.skip(`${backend}: ${title} [skipped: ${skip}]`, impl);
  };

  serial('conv forward, dX and dW match cpu (strides 1-3, 1x1 to 5x5, same, valid and explicit padding, 2 to 66 channels)', async (t) => {
    let worst = 0;
    for (const [i, c] of CONV_CASES.entries()) {
      const ref = await convOn('cpu', c, i + 1);
      const got = await convOn(backend, c, i + 1);
      const e = Math.max(maxErr(got.y, ref.y), maxErr(got.dx, ref.dx), maxErr(got.dw, ref.dw));
      t.is(got.dw.length, ref.dw.length);
      worst = Math.max(worst, e);
      if (e >= 1e-4) t.fail(`${JSON.stringify(c)}: max abs error ${e.toExponential(2)}`);
    }
    t.log(`worst max abs error over ${CONV_CASES.length} convs: ${worst.toExponential(2)}`);
    t.true(worst < 1e-4);
  });

  // Large inputs can take other code paths (native-cpu slices dW's taps channels-first
  // from 4M values). dW sums 1M products here: summed in order in float32 that is off by
  // about sqrt(n)*eps = 6e-5 of its size (wasm: 3.5e-5 against a float64 sum), where a
  // wrong tap or layout is off by the whole size.
  serial('a stride-1 conv over 4M input values matches cpu, relative to the values\' size', async (t) => {
    const c: ConvCase = { n: 1, h: 1024, w: 1024, ci: 4, co: 2, k: 3, s: 1, pad: 1 };
    const ref = await convOn('cpu', c, 21);
    const got = await convOn(backend, c, 21);
    const errs = [rel(got.y, ref.y), rel(got.dx, ref.dx), rel(got.dw, ref.dw)];
    t.log(`relative max error: y ${errs[0].toExponential(2)}, dx ${errs[1].toExponential(2)}, dw ${errs[2].toExponential(2)}`);
    t.true(Math.max(...errs) < 2e-4);
  });

  // CIFAR ResNet-18's own layer shapes: the stem (3 channels), a 3×3 at
  // stride 1 and 2, the 1×1 stride-2 shortcut, and the 512-channel stage. A GPU backend's
  // dW tiles and splits the pixel sum differently at each (a split sum, one tile, a ragged
  // edge), so each is checked relative to the values' size.
  serial('ResNet-18 layer shapes (stem, 3x3 at stride 1 and 2, 1x1 stride-2 shortcut, 512 channels) match cpu', async (t) => {
    let worst = 0;
    for (const [i, c] of RESNET_CASES.entries()) {
      const ref = await convOn('cpu', c, 40 + i);
      const got = await convOn(backend, c, 40 + i);
      const e = Math.max(rel(got.y, ref.y), rel(got.dx, ref.dx), rel(got.dw, ref.dw));
      worst = Math.max(worst, e);
      if (e >= 1e-5) t.fail(`${JSON.stringify(c)}: relative max error ${e.toExponential(2)}`);
    }
    t.log(`worst relative max error over ${RESNET_CASES.length} layers: ${worst.toExponential(2)}`);
    t.true(worst < 1e-5);
  });

  // Per-channel ops (BN's scale and shift, biases) take a folded path on wasm: x as
  // longer rows, the channel vector tiled. Both operand orders, 2-D and 4-D, a row count
  // that folds only partly, and one that does not fold at all.
  serial('per-channel add, sub, mul and div match cpu exactly, either operand first', async (t) => {
    const run = async (b: BackendName) => {
      await useBackend(b);
      const rng = new Rng(11);
      return read(tf.tidy(() => {
        const out: tf.Tensor[] = [];
        for (const [shape, vShape] of [[[512, 16], [16]], [[8, 6, 6, 32], [1, 32]], [[24, 8], [8]], [[7, 16], [16]]] as [number[], number[]][]) {
          const x = tensorFrom(rng, shape), v = tf.add(tf.abs(tensorFrom(rng, vShape)), 0.5);
          out.push(tf.add(x, v), tf.add(v, x), tf.sub(x, v), tf.sub(v, x), tf.mul(x, v), tf.mul(v, x), tf.div(x, v), tf.div(v, x));
        }
        return out;
      }));
    };
    const ref = await run('cpu');
    const got = await run(backend);
    const err = Math.max(...ref.map((r, i) => maxErr(r, got[i])));
    t.log(`max abs error ${err.toExponential(2)} over ${ref.length} ops`);
    t.true(err < 1e-6);
  });

  serial('matMul with every transpose flag, 2-D and batched, matches cpu', async (t) => {
    const run = async (b: BackendName) => {
      await useBackend(b);
      const rng = new Rng(9);
      return read(tf.tidy(() => {
        const a = tensorFrom(rng, [5, 7]) as tf.Tensor2D, bm = tensorFrom(rng, [5, 3]) as tf.Tensor2D;
        const c = tensorFrom(rng, [3, 7]) as tf.Tensor2D, d = tensorFrom(rng, [7, 5]) as tf.Tensor2D;
        const p = tensorFrom(rng, [4, 6, 5]) as tf.Tensor3D, q = tensorFrom(rng, [4, 3, 5]) as tf.Tensor3D;
        return [tf.matMul(a, d), tf.matMul(a, bm, true, false), tf.matMul(a, c, false, true), tf.matMul(bm, d, true, true), tf.matMul(p, q, false, true)];
      }));
    };
    const ref = await run('cpu');
    const got = await run(backend);
    const err = Math.max(...ref.map((r, i) => maxErr(r, got[i])));
    t.log(`max abs error ${err.toExponential(2)}`);
    t.true(err < 1e-5);
  });

  // Every form the nets use: the encoder's (4-D, affine, ReLU), the heads' hidden layers
  // (2-D, affine, ReLU) and the projector's output (2-D, neither), with dx as well as
  // the parameters' gradients and the running statistics.
  serial('batch norm (train mode) and its gradients match cpu: 4-D and 2-D, with and without affine and ReLU', async (t) => {
    const forms: [number[], { affine: boolean; relu: boolean }][] = [
      [[4, 5, 5, 6], { affine: true, relu: true }], [[24, 16], { affine: true, relu: true }],
      [[9, 8], { affine: true, relu: false }], [[16, 32], { affine: false, relu: false }],
    ];
    const run = async (b: BackendName) => {
      await useBackend(b);
      const rng = new Rng(5);
      const out: Float32Array[] = [];
      for (const [i, [shape, o]] of forms.entries()) {
        const bn = batchNorm(`contract-bn${i}`, shape[shape.length - 1], o);
        const x = tensorFrom(rng, shape), up = tensorFrom(rng, shape);
        out.push(...await read(tf.tidy(() => {
          const f = (xi: tf.Tensor) => tf.sum(tf.mul(bn.apply(xi, 'train'), up)) as tf.Scalar;
          const { value, grads } = bn.trainable.length ? tf.variableGrads(() => f(x), bn.trainable) : { value: f(x), grads: {} };
          const dx = tf.grad(f)(x);
          return [value, dx, ...bn.trainable.map((v) => grads[v.name]), ...bn.state.map((s) => tf.clone(s))];
        })));
        tf.dispose([x, up, ...bn.trainable, ...bn.state]);
      }
      return out;
    };
    const ref = await run('cpu');
    const got = await run(backend);
    const err = Math.max(...ref.map((r, i) => maxErr(r, got[i]) / Math.max(1, Math.abs(r[0]))));
    t.log(`max error ${err.toExponential(2)} (loss, dx, dgamma, dbeta, running mean and variance, over ${forms.length} forms)`);
    t.true(err < 1e-4);
  });

  // A NaN (a diverging run) must travel as on cpu, where tfjs's relu and step keep it:
  // the step a run is marked diverged at must not depend on the kernels.
  serial('batch norm with ReLU keeps a NaN where cpu does, forward and backward', async (t) => {
    const run = async (b: BackendName) => {
      await useBackend(b);
      const rng = new Rng(6);
      const bn = batchNorm('contract-bn-nan', 4, { affine: true, relu: true });
      const xv = tensorFrom(rng, [8, 4]).dataSync().slice();
      xv[5] = NaN; // channel 1
      const x = tf.tensor2d(xv, [8, 4]), up = tensorFrom(rng, [8, 4]);
      const out = await read(tf.tidy(() => {
        const f = (xi: tf.Tensor) => tf.sum(tf.mul(bn.apply(xi, 'train'), up), 0);
        return [bn.apply(x, 'train'), tf.grad((xi: tf.Tensor) => tf.sum(f(xi).slice([0], [1])))(x)];
      }));
      tf.dispose([x, up, ...bn.trainable, ...bn.state]);
      return out;
    };
    const ref = await run('cpu');
    const got = await run(backend);
    for (const [i, name] of ['y', 'dx'].entries()) {
      t.deepEqual(Array.from(got[i], Number.isNaN), Array.from(ref[i], Number.isNaN), `${name}: NaN where cpu has NaN`);
      t.true(maxErr(ref[i].filter((v) => !Number.isNaN(v)), got[i].filter((v) => !Number.isNaN(v))) < 1e-4, `${name}: the rest agrees`);
    }
  });

  // Momentum and weight decay over steps where momentum matters, on whichever update the
  // backend runs (its fused kernel where it registers one).
  serial('the SGD update (momentum, weight decay) equals tfjs\'s momentum optimizer on cpu', async (t) => {
    const run = async (b: BackendName) => {
      await useBackend(b);
      const v = tf.tidy(() => tf.variable(tf.randomNormal([3, 3, 4, 8], 0, 1, 'float32', 1), true, `sgd-${b}`));
      const opt = new Sgd({ momentum: 0.9, weightDecay: 5e-4 } as OptimizerSpec, [v]);
      for (let i = 0; i < 5; i++) tf.tidy(() => opt.step({ [v.name]: tf.randomNormal([3, 3, 4, 8], 0, 1, 'float32', 10 + i) }, 0.05));
      const out = (await v.data()) as Float32Array;
      opt.dispose();
      v.dispose();
      return out;
    };
    const ref = await run('cpu');
    const before = tf.memory().numTensors;
    const got = await run(backend);
    for (const k of opts.fusedKernels ?? []) t.true(tf.getKernel(k, tf.getBackend()) !== undefined, `${backend} registers ${k}`);
    t.true(maxErr(got, ref) < 1e-6);
    t.is(tf.memory().numTensors, before, 'the momentum buffers are freed with the optimizer');
  });

  serial('three training steps of each model give cpu\'s losses to 5 decimals', async (t) => {
    for (const [label, cfg, size] of MODELS) {
      const ref = await stepsOn('cpu', cfg, size);
      const got = await stepsOn(backend, cfg, size);
      t.log(`${label}: losses cpu ${ref.losses.map((l) => l.toFixed(6))}, ${backend} ${got.losses.map((l) => l.toFixed(6))}`);
      for (let i = 0; i < 3; i++) t.true(Math.abs(ref.losses[i] - got.losses[i]) < 5e-6, `${label} step ${i + 1}`);
      t.true(maxErr(ref.w, got.w) < 1e-4, `${label}: first conv weights after three steps`);
    }
  });

  serial('over 100 steps the tensor count and the native memory stay flat', async (t) => {
    await useBackend(backend);
    const cfg = tinyConfig({ seed: 1 });
    const ctx = stepContext(cfg);
    const views = randomViews(2, 16, 16, 3);
    const at: { native: number; heap: number }[] = [];
    let tensors = 0;
    let device = opts.deviceMemory?.();
    for (let i = 1; i <= 100; i++) {
      await trainStep(ctx, views);
      if (i === 20) {
        tensors = tf.memory().numTensors;
        device = opts.deviceMemory?.();
        at.push(memoryAfterGc());
      }
    }
    at.push(memoryAfterGc());
    const mb = (x: number) => (x / 2 ** 20).toFixed(0);
    const growth = (at[1].native - at[0].native) / 2 ** 20;
    const heapGrowth = (at[1].heap - at[0].heap) / 2 ** 20;
    t.log(`tensors ${tensors} -> ${tf.memory().numTensors}; from step 20 to 100, RSS less the JS heap ${mb(at[0].native)} -> ${mb(at[1].native)} MB, ` +
      `JS heap in use ${mb(at[0].heap)} -> ${mb(at[1].heap)} MB`);
    t.is(tf.memory().numTensors, tensors, 'tensor count');
    // What RSS alone used to catch on the JS side: objects kept alive from step to step.
    t.true(heapGrowth < 16, `JS heap grew ${heapGrowth.toFixed(1)} MB`);
    if (device) {
      // The driver frees device memory when the GPU is done with it, so the host's RSS
      // swings (±40 MB over 1000 steps on lavapipe, whose device memory is host memory);
      // the backend's own allocations are what a leak would grow.
      const now = opts.deviceMemory!();
      t.log(`device buffers ${device.buffers} -> ${now.buffers}, ${device.bytes} -> ${now.bytes} bytes`);
      t.deepEqual(now, device, 'device allocations');
    } else {
      // A leak of one batch's activations per step would add over 60 MB here.
      t.true(growth < 16, `native memory grew ${growth.toFixed(1)} MB`);
    }
    tf.dispose(views);
    ctx.dispose();
  });
}

/** k and s: square, or [rows, columns]. */
interface ConvCase { n: number; h: number; w: number; ci: number; co: number; k: number | [number, number]; s: number | [number, number]; pad: 'same' | 'valid' | number }

const CONV_CASES: ConvCase[] = [
  { n: 2, h: 8, w: 8, ci: 3, co: 4, k: 3, s: 1, pad: 1 },
  { n: 2, h: 8, w: 8, ci: 5, co: 4, k: 3, s: 2, pad: 1 },
  { n: 3, h: 9, w: 7, ci: 3, co: 6, k: 3, s: 2, pad: 1 },
  { n: 2, h: 8, w: 8, ci: 4, co: 6, k: 1, s: 2, pad: 0 },
  { n: 2, h: 6, w: 6, ci: 4, co: 3, k: 1, s: 1, pad: 0 },
  { n: 1, h: 7, w: 7, ci: 2, co: 3, k: 3, s: 2, pad: 'same' },
  { n: 2, h: 8, w: 8, ci: 3, co: 5, k: 3, s: 1, pad: 'same' },
  { n: 2, h: 10, w: 10, ci: 3, co: 2, k: 5, s: 2, pad: 2 },
  { n: 1, h: 6, w: 6, ci: 2, co: 2, k: 3, s: 1, pad: 'valid' },
  { n: 2, h: 9, w: 9, ci: 3, co: 4, k: 3, s: 2, pad: 'valid' },
  { n: 2, h: 11, w: 11, ci: 3, co: 4, k: 3, s: 3, pad: 1 },
  // Channels in multiples of 16 (native-cpu's blocked layout on AVX-512, 8 on AVX2).
  { n: 2, h: 8, w: 8, ci: 16, co: 32, k: 3, s: 1, pad: 1 },
  { n: 2, h: 9, w: 9, ci: 32, co: 16, k: 3, s: 2, pad: 1 },
  { n: 1, h: 7, w: 7, ci: 16, co: 16, k: 3, s: 2, pad: 'same' },
  { n: 2, h: 8, w: 8, ci: 16, co: 32, k: 1, s: 2, pad: 0 },
  // Each tile shape and operand width of webgpu's dW, with a last split that is partial
  // (the pixel count not a multiple of the chunk) and ragged tile edges.
  { n: 3, h: 15, w: 15, ci: 8, co: 12, k: 3, s: 1, pad: 1 },
  { n: 3, h: 15, w: 15, ci: 32, co: 64, k: 1, s: 1, pad: 0 },
  { n: 2, h: 16, w: 16, ci: 5, co: 66, k: 3, s: 1, pad: 1 },
  { n: 2, h: 16, w: 16, ci: 3, co: 24, k: 3, s: 1, pad: 1 },
  { n: 2, h: 9, w: 9, ci: 5, co: 24, k: 3, s: 1, pad: 1 },
  // native-cpu's own dW (output channels in multiples of 16): input channels that leave a
  // partial tile of 8, one and two 16-wide output vectors, strides 1 to 3, 1x1 and 5x5,
  // valid, same and explicit padding, an image narrower than the filter's reach.
  { n: 2, h: 10, w: 10, ci: 3, co: 16, k: 3, s: 1, pad: 1 },
  { n: 3, h: 9, w: 11, ci: 12, co: 48, k: 3, s: 2, pad: 'same' },
  { n: 2, h: 11, w: 11, ci: 5, co: 32, k: 5, s: 3, pad: 2 },
  { n: 2, h: 9, w: 9, ci: 13, co: 16, k: 3, s: 2, pad: 'valid' },
  { n: 2, h: 6, w: 6, ci: 24, co: 64, k: 1, s: 1, pad: 0 },
  { n: 1, h: 3, w: 2, ci: 8, co: 16, k: 5, s: 1, pad: 'same' },
  // Its forward and dX (both channel counts in multiples of 16): dX's phases at stride 3,
  // 'same' padding that is asymmetric (none before, one after), unequal strides, an input
  // with edge columns only. (Not a 3x1 filter: wasm's stock forward conv gets it wrong at
  // stride 2, by up to 25 on these values.)
  { n: 2, h: 11, w: 11, ci: 16, co: 16, k: 5, s: 3, pad: 2 },
  { n: 2, h: 8, w: 8, ci: 32, co: 16, k: 3, s: 2, pad: 'same' },
  { n: 2, h: 9, w: 10, ci: 16, co: 32, k: 3, s: [1, 2], pad: 'same' },
  { n: 1, h: 7, w: 10, ci: 16, co: 32, k: 1, s: 3, pad: 0 },
  { n: 1, h: 4, w: 3, ci: 16, co: 16, k: 5, s: 2, pad: 'same' },
];

// The layers' channels, kernels and strides at a smaller image, so that the cpu reference
// stays cheap on every backend's run.
const RESNET_CASES: ConvCase[] = [
  { n: 2, h: 16, w: 16, ci: 3, co: 64, k: 3, s: 1, pad: 1 },
  { n: 2, h: 16, w: 16, ci: 64, co: 64, k: 3, s: 1, pad: 1 },
  { n: 2, h: 16, w: 16, ci: 64, co: 128, k: 3, s: 2, pad: 1 },
  { n: 2, h: 16, w: 16, ci: 64, co: 128, k: 1, s: 2, pad: 0 },
  { n: 1, h: 4, w: 4, ci: 512, co: 512, k: 3, s: 1, pad: 1 },
];

/** Models of the presets, shrunk so that the cpu backend runs three steps in seconds. */
const MODELS: [string, TrainConfig, number][] = [
  ['conv net', tinyConfig({ seed: 3 }), 16],
  ['ResNet-18', tinyConfig({
    seed: 4, backbone: { kind: 'resnet18-cifar', widths: [4, 8, 8, 16], zeroInitResidual: true },
    projector: { layers: 2, hidden: 32, dim: 32, outputAffine: true },
  }), 16],
];

function tensorFrom(rng: Rng, shape: number[]): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: size }, () => rng.normal()), shape);
}

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/**
 * The process's memory outside the JS heap, and the JS heap in use, after a full
 * collection: a GPU backend makes garbage JS objects at every dispatch, which would make
 * RSS alone swing by 100 MB.
 */
function memoryAfterGc(): { native: number; heap: number } {
  gc();
  const m = process.memoryUsage();
  return { native: m.rss - m.heapTotal, heap: m.heapUsed };
}

/** Read tensors asynchronously (the only way on every backend), then free them. */
async function read(ts: tf.Tensor[]): Promise<Float32Array[]> {
  const out = await Promise.all(ts.map((x) => x.data() as Promise<Float32Array>));
  tf.dispose(ts);
  return out;
}

/** The largest difference relative to the reference's largest magnitude. */
function rel(a: Float32Array, b: Float32Array): number {
  return maxErr(a, b) / b.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
}

function maxErr(a: Float32Array, b: Float32Array): number {
  let m = a.length === b.length ? 0 : Infinity;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

async function convOn(backend: BackendName, c: ConvCase, seed: number): Promise<{ y: Float32Array; dx: Float32Array; dw: Float32Array }> {
  await useBackend(backend);
  const rng = new Rng(seed);
  const [y, dx, dw] = await read(tf.tidy(() => {
    const x = tensorFrom(rng, [c.n, c.h, c.w, c.ci]) as tf.Tensor4D;
    const [kh, kw] = typeof c.k === 'number' ? [c.k, c.k] : c.k;
    const w = tensorFrom(rng, [kh, kw, c.ci, c.co]) as tf.Tensor4D;
    const y = tf.conv2d(x, w, c.s, c.pad);
    const up = tensorFrom(rng, y.shape);
    return [y, ...tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.s, c.pad), up)))([x, w])];
  }));
  return { y, dx, dw };
}

async function stepsOn(backend: BackendName, cfg: TrainConfig, size: number): Promise<{ losses: number[]; w: Float32Array }> {
  await useBackend(backend);
  const ctx = stepContext(cfg);
  const views = randomViews(2, 8, size, 11);
  const losses: number[] = [];
  for (let i = 0; i < 3; i++) losses.push((await trainStep(ctx, views)).loss);
  const w = (await ctx.net.encoderVars[0].data()).slice() as Float32Array;
  tf.dispose(views);
  ctx.dispose();
  return { losses, w };
}
