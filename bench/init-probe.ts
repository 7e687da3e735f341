/**
 * The random-init linear probe of runs stored before epoch 0 measured it, written into a
 * copy of their database, so that "learned" can be judged on linear accuracy there:
 *   SIMSIAM_ADDON=off npx tsx bench/init-probe.ts SRC.db COPY.db [experiment ...]
 * Same configuration and seed, so the same initial weights; run on the backend (and
 * device) the runs recorded. The copy's head then says which values were added after.
 */
import fs from 'node:fs';
import { backendDevice, useBackend, type BackendChoice } from '../core/backend.ts';
import type { TrainConfig } from '../core/config.ts';
import { loadDataset } from '../core/data/load.ts';
import { randomInitLinear } from '../core/train.ts';
import { openStore } from '../runner/store/open.ts';

const [src, out, ...only] = process.argv.slice(2);
if (!src || !out) throw new Error('usage: bench/init-probe.ts SRC.db COPY.db [experiment ...]');
fs.copyFileSync(src, out);
const store = openStore(out);
const runs = store.findRuns({ status: ['finished', 'diverged'] }).filter((r) => !only.length || only.includes(r.experiment));
const backends = [...new Set(runs.map((r) => r.backend))];
if (backends.length !== 1) throw new Error(`runs of ${backends.length} backends: give one experiment at a time`);
const backend = await useBackend(backends[0] as BackendChoice);
process.stdout.write(`backend ${backend.name} (${backendDevice(backend) ?? 'no device'}); runs recorded ${[...new Set(runs.map((r) => r.device))].join(', ')}\n`);
const cache = new Map<string, ReturnType<typeof loadDataset>>();
for (const r of runs) {
  const cfg = r.config as TrainConfig;
  const key = JSON.stringify(cfg.data);
  if (!cache.has(key)) cache.set(key, loadDataset(cfg.data));
  const t0 = performance.now();
  const v = await randomInitLinear(cfg, cache.get(key)!);
  if (v == null) continue;
  const added = store.backfillInit(r.id, 'linear_acc', v);
  process.stdout.write(`${r.experiment} "${r.rowLabel}" seed ${r.seed}: linear at init ${(100 * v).toFixed(1)}%${added ? '' : ' (the run had one: kept)'} (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);
}
store.close();
