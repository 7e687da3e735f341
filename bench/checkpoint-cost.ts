/**
 * Checkpoint size and write time against epoch time, per preset:
 *   npx tsx bench/checkpoint-cost.ts [preset ...] [--backend NAME] [--dir DIR]
 * Trains a few steps of the preset's own network, batch and recipe (on generated images
 * of its size: a checkpoint's size does not depend on what the images show), checkpointing
 * after each step as a cell does. An epoch is the preset's steps per epoch at the median
 * step time measured here; the write is the whole save: the snapshot's reads from the
 * backend, the encoding with its checksum, the write, fsync and rename.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { backendDevice, useBackend, type BackendChoice } from '../core/backend.ts';
import type { TrainConfig } from '../core/config.ts';
import { imageShape, trainSize } from '../core/data/sizes.ts';
import { loadDataset } from '../core/data/load.ts';
import { train } from '../core/train.ts';
import { PRESETS, type PresetName } from '../experiments/presets.ts';
import { CellFiles } from '../runner/checkpoint/cell-files.ts';
import { fmtBytes } from '../runner/format.ts';

const args = process.argv.slice(2);
const opt = (name: string) => (args.includes(name) ? args.splice(args.indexOf(name), 2)[1] : undefined);
const backendName = (opt('--backend') ?? 'auto') as BackendChoice;
const dir = opt('--dir') ?? fs.mkdtempSync(path.join(os.tmpdir(), 'ckpt-cost-'));
// The paper's batch of 512 overflows the 4 GiB wasm heap on ResNet-18: --batch times a smaller one, and the epoch is scaled by images.
const batch = opt('--batch');
const presets = (args.length ? args : ['small', 'paper']) as PresetName[];
const STEPS = 4;

class Done extends Error {}

const backend = await useBackend(backendName);
process.stdout.write(`backend ${backend.name} (${backendDevice(backend) ?? '-'}), ${os.cpus().length} cores; checkpoints in ${dir}\n`);
process.stdout.write('| preset | network | checkpoint | encoder kept | save (s) | step (s) | steps/epoch | epoch (s) | save / epoch |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n');
for (const name of presets) {
  const p = PRESETS[name];
  const { size } = imageShape(p.data);
  const B = batch ? Number(batch) : p.batchSize;
  const cfg: TrainConfig = {
    ...p, batchSize: B, epochs: 1, monitor: { ...p.monitor, knn: { ...p.monitor.knn, everyEpochs: 0 }, linear: null },
    data: { kind: 'patterns', train: B * (STEPS + 1), test: 16, size, seed: 0 },
  };
  const files = new CellFiles(dir, name);
  const key = { cell: name, backend: backend.name, device: null, version: 'bench', commit: null };
  const steps: number[] = [], saves: number[] = [];
  let last = performance.now(), bytes = 0, saveEnd = last;
  await train(cfg, loadDataset(cfg.data), {
    checkpoint: {
      everyMs: 0,
      write: async (s) => {
        const r = await files.save(s, key);
        bytes = r.bytes;
        saveEnd = performance.now();
        saves.push((saveEnd - last) / 1000); // from the step's end: the snapshot's reads included
        if (saves.length >= STEPS - 1) throw new Done();
      },
    },
    hooks: {
      onStep: () => {
        const now = performance.now();
        steps.push((now - saveEnd) / 1000); // the step alone: from the last save's end
        last = now;
      },
    },
  }).catch((e) => {
    if (!(e instanceof Done)) throw e;
  });
  const encoder = fs.existsSync(files.latest) ? bytes : 0;
  files.discard();
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const step = median(steps.slice(1)), save = median(saves);
  const perEpoch = Math.floor(trainSize(p.data) / B);
  const epoch = step * perEpoch;
  const enc = (await import('../core/checkpoint/sizes.ts')).checkpointBytes(p).encoder;
  process.stdout.write(`| ${name} | ${p.backbone.kind} ${JSON.stringify(p.backbone.widths)}, batch ${B} | ${fmtBytes(encoder)} | ${fmtBytes(enc)} | ${save.toFixed(3)} | ${step.toFixed(2)} | ${perEpoch} | ${epoch.toFixed(0)} | ${(100 * save / epoch).toFixed(3)}% |\n`);
}
