import test from 'ava';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../core/backend.ts';
import { decodeSafetensors } from '../../core/checkpoint/safetensors.ts';
import { loadDataset } from '../../core/data/load.ts';
import { normalizeInto } from '../../core/data/augment.ts';
import { extractFeatures } from '../../core/eval/features.ts';
import { loadKept } from '../../runner/checkpoint/kept.ts';
import { onlyRun } from '../helpers/cells.ts';
import { oneRowSpec } from '../helpers/cells.ts';
import { simsiam } from '../helpers/processes.ts';
import { createApp } from '../../dashboard/app.ts';
import { SqliteStore } from '../../runner/store/sqlite-store.ts';
import { tinyConfig } from '../helpers/tiny.ts';
import { buildSiamese } from '../../core/nets/siamese.ts';
import { encoderOnnx } from '../../core/onnx/encoder.ts';

const require = createRequire(import.meta.url);
let ort: typeof import('onnxruntime-node') | null = null;
try {
  ort = require('onnxruntime-node');
} catch {
  if (process.env.CI === 'true') throw new Error('onnxruntime-node does not load: npm ci installs it (optional dependency)');
}

test.before(async () => {
  await useBackend('wasm');
});

/** One finished tiny run with a linear probe, its encoder kept. */
const trained = (async () => {
  const { dir, spec } = oneRowSpec('kept', { monitor: { knn: { k: 20, temperature: 0.1, everyEpochs: 1 }, linear: { epochs: 20, lr: 0.5 } } });
  const db = path.join(dir, 'r.db');
  const r = await simsiam(['run', spec, '--db', db, '--preset', 'tiny', '--seeds', '0', '--set', 'epochs=2', '--backend', 'wasm']).exited;
  if (r.code !== 0) throw new Error(r.out);
  return { dir, db, run: onlyRun(db)! };
})();

test('a finished cell keeps its encoder; `simsiam eval` gives its stored linear and kNN accuracy back exactly', async (t) => {
  const { db, run } = await trained;
  t.like(run, { status: 'finished', kept: { kind: 'encoder' } });
  t.true(fs.statSync(run.kept!.file).size === run.kept!.bytes);
  for (const probe of ['linear', 'knn']) {
    const r = await simsiam(['eval', String(run.id), '--probe', probe, '--db', db]).exited;
    t.is(r.code, 0, r.out);
    t.regex(r.out, new RegExp(`run ${run.id} ${probe} probe on wasm: [\\d.]+% \\([\\d.]+\\); equal to the stored value`), r.out);
  }
});

(ort ? test : test.skip)('`simsiam export --format onnx` loads in onnxruntime and gives the features of the project\'s own forward pass within 1e-5', async (t) => {
  const { dir, db, run } = await trained;
  const out = path.join(dir, 'encoder.onnx');
  const r = await simsiam(['export', run.cellHash, '--format', 'onnx', '--out', out, '--db', db]).exited;
  t.is(r.code, 0, r.out);
  await useBackend('wasm');
  const { net, config, channels, size } = loadKept(run);
  const data = loadDataset(config.data);
  const fmt = { size, channels, mean: data.mean, std: data.std };
  const ours = extractFeatures(net, data.test, fmt);
  const z = tf.tidy(() => net.projector.apply(ours, 'eval'));
  // The same normalised images, NHWC → NCHW.
  const nhwc = new Float32Array(data.test.n * size * size * channels);
  normalizeInto(data.test, Int32Array.from({ length: data.test.n }, (_, i) => i), fmt, nhwc);
  const nchw = tf.tidy(() => tf.transpose(tf.tensor4d(nhwc, [data.test.n, size, size, channels]), [0, 3, 1, 2]));
  const session = await ort!.InferenceSession.create(out);
  const got = await session.run({ images: new ort!.Tensor('float32', (await nchw.data()) as Float32Array, nchw.shape) });
  const diff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
  const dFeat = diff(got.features.data as Float32Array, (await ours.data()) as Float32Array);
  const dZ = diff(got.z.data as Float32Array, (await z.data()) as Float32Array);
  t.log(`max |onnxruntime - tfjs|: features ${dFeat.toExponential(2)}, z ${dZ.toExponential(2)} over ${data.test.n} images`);
  t.deepEqual(got.features.dims, [data.test.n, net.featureDim]);
  t.true(dFeat < 1e-5 && dZ < 1e-5);
  tf.dispose([ours, z, nchw]);
  net.dispose();
});

(ort ? test : test.skip)('the ONNX graph of a ResNet-18 (its shortcuts, strided stages, BN with non-trivial statistics) matches tfjs within 1e-5', async (t) => {
  const cfg = { ...tinyConfig(), backbone: { kind: 'resnet18-cifar' as const, widths: [8, 16, 16, 32] as [number, number, number, number], zeroInitResidual: false } };
  const net = buildSiamese(cfg, 3);
  // Running statistics away from (0, 1), so that eval-mode BN is exercised.
  for (const v of net.allVars) {
    if (/running_mean/.test(v.name)) v.assign(tf.randomUniform(v.shape, -0.2, 0.2, 'float32', 7));
    if (/running_var/.test(v.name)) v.assign(tf.randomUniform(v.shape, 0.5, 2, 'float32', 8));
  }
  const x = tf.randomNormal([4, 16, 16, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
  const ours = tf.tidy(() => net.backbone.apply(x, 'eval'));
  const session = await ort!.InferenceSession.create(encoderOnnx(net, 3, 16));
  const nchw = tf.tidy(() => tf.transpose(x, [0, 3, 1, 2]));
  const got = await session.run({ images: new ort!.Tensor('float32', (await nchw.data()) as Float32Array, nchw.shape) });
  const a = got.features.data as Float32Array, b = (await ours.data()) as Float32Array;
  const d = a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
  t.log(`ResNet-18 features: max |onnxruntime - tfjs| ${d.toExponential(2)}, largest feature ${Math.max(...b).toFixed(3)}`);
  t.true(Math.max(...b) > 0.01, 'features that say something');
  t.true(d < 1e-5);
  tf.dispose([x, ours, nchw]);
  net.dispose();
});

test('`simsiam export --format tfjs` writes a weights manifest that tfjs decodes to the kept values', async (t) => {
  const { dir, db, run } = await trained;
  const out = path.join(dir, 'tfjs');
  const r = await simsiam(['export', String(run.id), '--format', 'tfjs', '--out', out, '--db', db]).exited;
  t.is(r.code, 0, r.out);
  const model = JSON.parse(fs.readFileSync(path.join(out, 'model.json'), 'utf8'));
  const bin = fs.readFileSync(path.join(out, 'weights.bin'));
  const decoded = tf.io.decodeWeights(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length), model.weightsManifest[0].weights);
  const kept = decodeSafetensors(fs.readFileSync(run.kept!.file)).arrays;
  t.deepEqual(Object.keys(decoded).sort(), Object.keys(kept).map((k) => k.slice(4)).sort());
  for (const [name, tensor] of Object.entries(decoded)) t.deepEqual(tensor.dataSync(), kept[`var/${name}`], name);
});

test('export and eval of a run that kept nothing say what to do', async (t) => {
  const { dir, spec } = oneRowSpec('none', {});
  const db = path.join(dir, 'r.db');
  await simsiam(['run', spec, '--db', db, '--preset', 'tiny', '--seeds', '0', '--set', 'epochs=1', '--keep', 'none', '--backend', 'wasm']).exited;
  const r = await simsiam(['export', '1', '--format', 'onnx', '--out', path.join(dir, 'x.onnx'), '--db', db]).exited;
  t.is(r.code, 2);
  t.regex(r.out, /run 1 kept no network .*--keep encoder/);
  t.notRegex(r.out, /\n\s+at /);
});

test('the dashboard shows a finished cell\'s kept encoder with its export command', async (t) => {
  const { db, run } = await trained;
  const store = new SqliteStore(db, { readonly: true });
  const server = createApp({ store, dbPath: db, pollMs: 100 }).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  try {
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const page = await (await fetch(`${base}/runs/${run.id}`)).text();
    t.regex(page, /Kept network/);
    t.true(page.includes(`simsiam export ${run.id} --format onnx --out run-${run.id}.onnx --db ${db}`));
    t.regex(await (await fetch(`${base}/experiments/kept`)).text(), /encoder kept/);
  } finally {
    server.close();
    store.close();
  }
});
