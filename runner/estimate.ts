import type { BackendChoice } from '../core/backend.ts';
import type { TrainConfig } from '../core/config.ts';
import type { Calibration } from './cell-protocol.ts';
import { trainSteps } from '../core/data/sizes.ts';
import { canonicalJson, type Cell } from './grid.ts';
import { calibrateCellProcess } from './local-executor.ts';
import { onShutdown } from './shutdown.ts';
import type { RunStore } from './store/run-store.ts';

/** What running a cell will cost here, and where the figure comes from. */
export interface CellCost {
  steps: number;
  seconds: number | null;
  source: 'database' | 'calibration' | null;
}

/** All calibrations of a dry run together take at most this long. */
export const CALIBRATION_BUDGET_MS = 20_000;

/** SGD steps of a cell: full batches per epoch (drop_last) times epochs. */
export const cellSteps = trainSteps;

/** kNN monitor passes after the one at epoch 0 (every `everyEpochs`, and the last epoch). */
function knnPasses(cfg: TrainConfig): number {
  const every = cfg.monitor.knn.everyEpochs;
  if (every === 0) return 0;
  return Math.floor(cfg.epochs / every) + (cfg.epochs % every === 0 ? 0 : 1);
}

/**
 * What a cell's time per step depends on: the networks, the batch, the views per step,
 * the data's size and the monitors. Seeds, epochs, lr and the loss's stop-gradient do not
 * change it; cells equal here share a time per step.
 */
export function costKey(cfg: TrainConfig): string {
  const { backbone, projector, predictor, bn, loss, target, data, batchSize, monitor } = cfg;
  return canonicalJson({ backbone, projector, predictor: { kind: predictor.kind, hidden: 'hidden' in predictor ? predictor.hidden : null }, bn, loss: loss.kind, target, data, batchSize, monitor });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Seconds per step (whole cell time over its steps, median) of the store's finished, trained cells, by cost key; read once. */
export function databaseRates(store: RunStore | null, backend: string | null): Map<string, number> {
  const byKey = new Map<string, number[]>();
  for (const r of store?.findRuns({ status: ['finished'] }) ?? []) {
    if (!r.startedAt || !r.finishedAt || r.reusedFrom != null || (backend && r.backend !== backend)) continue;
    const cfg = r.config as TrainConfig;
    const key = costKey(cfg);
    byKey.set(key, [...(byKey.get(key) ?? []), (r.finishedAt.getTime() - r.startedAt.getTime()) / 1000 / cellSteps(cfg)]);
  }
  return new Map([...byKey].map(([k, xs]) => [k, median(xs)]));
}

/** A cell's time from a calibration of its cost key: start-up, steps, kNN passes, the linear probe at init and at the end (about one pass each). */
export function fromCalibration(c: Calibration, cfg: TrainConfig): number | null {
  if (c.stepSeconds.length === 0) return null;
  const linear = cfg.monitor.linear ? 2 * c.knnSeconds : 0;
  return c.startupSeconds + cellSteps(cfg) * median(c.stepSeconds) + knnPasses(cfg) * c.knnSeconds + linear;
}

/** Two calibrations of one cost key: their steps pooled, the rest averaged. */
function pool(a: Calibration | string | undefined, b: Calibration | string): Calibration | string {
  if (a == null || typeof a === 'string') return b;
  if (typeof b === 'string') return a;
  return {
    backend: a.backend, startupSeconds: (a.startupSeconds + b.startupSeconds) / 2,
    knnSeconds: (a.knnSeconds + b.knnSeconds) / 2, stepSeconds: [...a.stepSeconds, ...b.stepSeconds],
  };
}

/**
 * Time cells of each cost key, `slots` at a time as the sweep runs them: cells sharing
 * the cores are timed sharing them (on 2 cores two cells at once each run about half as
 * fast as one alone), so with fewer keys than slots some are timed twice at once.
 * Within CALIBRATION_BUDGET_MS overall.
 */
export async function calibrate(configs: TrainConfig[], backend: BackendChoice, slots: number, threads: number): Promise<Map<string, Calibration | string>> {
  const out = new Map<string, Calibration | string>();
  configs = Array.from({ length: Math.max(configs.length, slots) }, (_, i) => configs[i % configs.length]);
  const queue = [...configs];
  const rounds = Math.ceil(configs.length / Math.max(1, slots));
  const budget = CALIBRATION_BUDGET_MS / rounds - 1000;
  const deadline = Date.now() + CALIBRATION_BUDGET_MS;
  const live = new Set<() => void>();
  const unregister = onShutdown(() => live.forEach((k) => k()));
  try {
    await Promise.all(Array.from({ length: Math.max(1, slots) }, async () => {
      for (let cfg = queue.shift(); cfg; cfg = queue.shift()) {
        const c = calibrateCellProcess(cfg, backend, threads, budget);
        live.add(c.kill);
        const timer = setTimeout(c.kill, Math.max(0, deadline - Date.now()));
        const r = await c.done.catch((err: Error) => `calibration failed: ${err.message}`);
        clearTimeout(timer);
        live.delete(c.kill);
        const failed = typeof r === 'string' && Date.now() >= deadline ? `no step finished within the ${CALIBRATION_BUDGET_MS / 1000} s calibration` : r;
        out.set(costKey(cfg), pool(out.get(costKey(cfg)), failed));
      }
    }));
  } finally {
    unregister();
  }
  return out;
}

/** Wall time of running cells of these durations on `slots` workers, in order, each to the first free worker (as the sweep does). */
export function makespan(seconds: number[], slots: number): number {
  const free = Array.from({ length: Math.max(1, Math.min(slots, seconds.length)) }, () => 0);
  for (const s of seconds) {
    const i = free.indexOf(Math.min(...free));
    free[i] += s;
  }
  return Math.max(0, ...free);
}

/** Every cell's cost: from the database where cells of its cost key finished, else from a fresh calibration. */
export async function estimateCells(
  cells: Cell[], store: RunStore | null, backend: BackendChoice, backendName: string | null, slots: number, threads: number,
  onCalibrate?: () => void,
): Promise<{ costs: CellCost[]; calibrated: number; notes: string[] }> {
  const rates = databaseRates(store, backendName);
  const db = cells.map((c) => rates.get(costKey(c.config)));
  const toCalibrate = new Map<string, TrainConfig>();
  cells.forEach((c, i) => db[i] != null || toCalibrate.set(costKey(c.config), c.config));
  if (toCalibrate.size) onCalibrate?.();
  const cal = toCalibrate.size ? await calibrate([...toCalibrate.values()], backend, Math.min(slots, cells.length), threads) : new Map<string, Calibration | string>();
  const notes = [...new Set([...cal.values()].filter((v): v is string => typeof v === 'string'))];
  const costs = cells.map((c, i): CellCost => {
    const steps = cellSteps(c.config);
    const rate = db[i];
    if (rate != null) return { steps, seconds: rate * steps, source: 'database' };
    const r = cal.get(costKey(c.config));
    const seconds = r && typeof r !== 'string' ? fromCalibration(r, c.config) : null;
    return { steps, seconds, source: seconds == null ? null : 'calibration' };
  });
  return { costs, calibrated: toCalibrate.size, notes };
}
