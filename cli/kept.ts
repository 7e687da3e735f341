import fs from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { BACKENDS, useBackend, type BackendChoice } from '../core/backend.ts';
import { variableArrays, encoderVariables } from '../core/checkpoint/variables.ts';
import { loadDataset } from '../core/data/load.ts';
import { encoderOnnx } from '../core/onnx/encoder.ts';
import { evaluateKnn, evaluateLinear } from '../core/train.ts';
import type { TrainConfig } from '../core/config.ts';
import { findRun, loadKept } from '../runner/checkpoint/kept.ts';
import { fmtBytes, pct } from '../runner/format.ts';
import { openStore } from '../runner/store/open.ts';

const dbOption = () => new Option('--db <file>', 'results database (SQLite)').default('results.db');

/** The backend a kept encoder is evaluated on: the run's own (its figures are exact per backend) unless asked. */
function backendFor(asked: BackendChoice | undefined, ran: string | null): BackendChoice {
  return asked ?? ((BACKENDS as readonly string[]).includes(ran ?? '') ? (ran as BackendChoice) : 'auto');
}

/** `simsiam export` and `simsiam eval`: what is done with a finished cell's kept encoder. */
export function keptCommands(program: Command): void {
  program.command('export')
    .description('write a finished run\'s kept encoder (backbone + projector, eval mode) as ONNX or as tfjs weights with their manifest')
    .argument('<run>', 'run id, or a cell\'s config hash')
    .addOption(new Option('--format <f>', 'onnx: one .onnx file (onnxruntime, PyTorch via onnx2torch); tfjs: a folder with model.json and weights.bin').choices(['onnx', 'tfjs']).makeOptionMandatory())
    .requiredOption('--out <path>', 'the .onnx file, or the tfjs folder')
    .addOption(dbOption())
    .addHelpText('after', `
The ONNX model takes images [N, C, H, W] normalised with the dataset's mean and std (printed), and gives
'features' (pooled backbone features, what kNN and the linear probe read) and 'z' (the projector's output).
Example: simsiam export 12 --format onnx --out encoder.onnx`)
    .action(async (ref: string, opts: { format: 'onnx' | 'tfjs'; out: string; db: string }) => {
      await useBackend('cpu'); // exact float32 reads, nothing to train
      const store = openStore(opts.db, { readonly: true });
      try {
        const run = findRun(store, ref);
        const { net, config, channels, size } = loadKept(run);
        try {
          if (opts.format === 'onnx') {
            const bytes = encoderOnnx(net, channels, size);
            fs.mkdirSync(path.dirname(path.resolve(opts.out)), { recursive: true });
            fs.writeFileSync(opts.out, bytes);
            process.stdout.write(`wrote ${opts.out} (${fmtBytes(bytes.length)}): run ${run.id} (${run.experiment}, ${run.rowLabel}, seed ${run.seed}); input images [N, ${channels}, ${size}, ${size}]\n`);
          } else {
            const vars = encoderVariables(net);
            const arrays = await variableArrays(vars);
            const names = Object.keys(arrays);
            const weights = Buffer.concat(names.map((n) => Buffer.from(arrays[n].buffer, arrays[n].byteOffset, arrays[n].byteLength)));
            fs.mkdirSync(opts.out, { recursive: true });
            fs.writeFileSync(path.join(opts.out, 'weights.bin'), weights);
            fs.writeFileSync(path.join(opts.out, 'model.json'), `${JSON.stringify({
              format: 'simsiam-encoder', generatedBy: `simsiam-lab ${run.packageVersion}`, run: run.id, cellHash: run.cellHash, config,
              weightsManifest: [{ paths: ['weights.bin'], weights: names.map((n, i) => ({ name: n.slice(4), shape: vars[i].shape, dtype: 'float32' })) }],
            }, null, 2)}\n`);
            process.stdout.write(`wrote ${opts.out}/model.json and weights.bin (${fmtBytes(weights.length)}): tf.io.decodeWeights reads them\n`);
          }
          const d = loadDatasetStats(config);
          if (d) process.stdout.write(`normalise inputs with mean ${d.mean.map((x) => x.toFixed(4)).join(', ')} and std ${d.std.map((x) => x.toFixed(4)).join(', ')}\n`);
        } finally {
          net.dispose();
        }
      } finally {
        store.close();
      }
    });

  program.command('eval')
    .description('evaluate a finished run\'s kept encoder again with a probe, beside the value the run stored')
    .argument('<run>', 'run id, or a cell\'s config hash')
    .addOption(new Option('--probe <kind>', 'linear: logistic regression on frozen features (the run\'s settings); knn: the weighted kNN monitor').choices(['linear', 'knn']).default('linear'))
    .addOption(dbOption())
    .addOption(new Option('-b, --backend <name>', 'compute backend (default: the one the run trained on, whose figures it reproduces exactly)').choices(['auto', ...BACKENDS]))
    .action(async (ref: string, opts: { probe: 'linear' | 'knn'; db: string; backend?: BackendChoice }) => {
      const store = openStore(opts.db, { readonly: true });
      try {
        const run = findRun(store, ref);
        const backend = await useBackend(backendFor(opts.backend, run.backend));
        const { net, config } = loadKept(run);
        try {
          const data = loadDataset(config.data);
          const fmt = { size: data.train.height, channels: data.train.channels, mean: data.mean, std: data.std };
          let value: number;
          if (opts.probe === 'linear') {
            const probe = config.monitor.linear ?? { epochs: 100, lr: 0.5 };
            value = await evaluateLinear({ ...config, monitor: { ...config.monitor, linear: probe } }, net, data, fmt);
          } else {
            value = await evaluateKnn(config, net, data, fmt);
          }
          const name = opts.probe === 'linear' ? 'linear_acc' : 'knn_acc';
          const stored = store.metrics(run.id, name).filter((m) => m.epoch === config.epochs).at(-1)?.value ?? null;
          const verdict = stored == null ? 'the run stored none' : stored === value ? 'equal to the stored value' : `the run stored ${pct(stored)} (${backend.name === run.backend ? 'same backend' : `trained on ${run.backend}`})`;
          process.stdout.write(`run ${run.id} ${opts.probe} probe on ${backend.name}: ${pct(value)} (${value}); ${verdict}\n`);
          if (opts.probe === 'linear' && !config.monitor.linear) process.stdout.write('the run\'s preset trains no probe: 100 epochs at lr 0.5 were used\n');
        } finally {
          net.dispose();
        }
      } finally {
        store.close();
      }
    });
}

function loadDatasetStats(config: TrainConfig): { mean: number[]; std: number[] } | null {
  try {
    const d = loadDataset(config.data);
    return { mean: [...d.mean], std: [...d.std] };
  } catch {
    return null; // the data is not on this machine: the model is written all the same
  }
}

