import type { BackendChoice } from '../core/backend.ts';
import type { TrainConfig } from '../core/config.ts';
import type { Calibration } from './cell-protocol.ts';
import { testSize, trainSize, trainSteps } from '../core/data/sizes.ts';
import { canonicalJson, type Cell } from './grid.ts';
import { calibrateCellProcess } from './local-executor.ts';
import { onShutdown } from './shutdown.ts';
import type { RunStore } from './store/run-store.ts';

/**
 * What running a cell will cost here, and where the figure comes from. Never unknown: a
 * shape whose calibration finished no step counts what it spent as a lower bound.
 */
export interface CellCost {
  steps: number;
  seconds: number;
  source: 'database' | 'calibration' | 'lower bound';
}

/** The calibrations of a dry run share this budget when few shapes are timed... */
export const CALIBRATION_BUDGET_MS = 20_000;
/** ...and each shape gets at least this long, however many there are: no shape goes untimed. */
export const CALIBRATION_MIN_PER_SHAPE_MS = 5_000;

/** A shape whose calibration finished no step: how long it ran, and why it stopped. */
export interface FailedCalibration {
  why: string;
  seconds: number;
}

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

/** Images above which a calibration times steps without the epoch-0 kNN pass, and models the pass instead. */
export const KNN_MODELLED_FROM = 20_000;

/** Whether a calibration of this configuration models its kNN passes rather than timing one. */
export function knnModelled(cfg: TrainConfig): boolean {
  return trainSize(cfg.data) + testSize(cfg.data) > KNN_MODELLED_FROM;
}

/**
 * A kNN pass modelled from a step: it runs one view of every train and test image forward,
 * a step two views forward and back (about three forwards each), so a pass is about
 * (train + test) / (6 · batch) steps.
 */
function modelledKnnSeconds(cfg: TrainConfig, step: number): number {
  return ((trainSize(cfg.data) + testSize(cfg.data)) / (6 * cfg.batchSize)) * step;
}

/** A cell's time from a calibration of its cost key: start-up, steps, kNN passes, the linear probe at init and at the end (about one pass each). */
export function fromCalibration(c: Calibration, cfg: TrainConfig): number | null {
  if (c.stepSeconds.length === 0) return null;
  const step = median(c.stepSeconds);
  const knn = Number.isFinite(c.knnSeconds) ? c.knnSeconds : modelledKnnSeconds(cfg, step);
  const linear = cfg.monitor.linear ? 2 * knn : 0;
  // A modelled pass was not in the start-up: the one at epoch 0 is added.
  const initKnn = Number.isFinite(c.knnSeconds) || cfg.monitor.knn.everyEpochs === 0 ? 0 : knn;
  return c.startupSeconds + initKnn + cellSteps(cfg) * step + knnPasses(cfg) * knn + linear;
}

type CalibrationResult = Calibration | FailedCalibration;
const failed = (c: CalibrationResult | undefined): c is FailedCalibration => c != null && 'why' in c;

/** Two calibrations of one cost key: their steps pooled, the rest averaged. */
function pool(a: CalibrationResult | undefined, b: CalibrationResult): CalibrationResult {
  if (a == null || failed(a)) return failed(b) && failed(a) ? { why: b.why, seconds: Math.max(a.seconds, b.seconds) } : b;
  if (failed(b)) return a;
  return {
    backend: a.backend, startupSeconds: (a.startupSeconds + b.startupSeconds) / 2,
    knnSeconds: (a.knnSeconds + b.knnSeconds) / 2, stepSeconds: [...a.stepSeconds, ...b.stepSeconds],
  };
}

/** How long each shape's calibration may run, when `shapes` are timed `slots` at a time. */
export function calibrationBudgetMs(shapes: number, slots: number): number {
  const rounds = Math.ceil(Math.max(shapes, slots) / Math.max(1, slots));
  return Math.max(CALIBRATION_MIN_PER_SHAPE_MS, CALIBRATION_BUDGET_MS / rounds - 1000);
}

/**
 * Time cells of each cost key, `slots` at a time as the sweep runs them: cells sharing
 * the cores are timed sharing them (on 2 cores two cells at once each run about half as
 * fast as one alone), so with fewer keys than slots some are timed twice at once. Every
 * key is timed, each within calibrationBudgetMs (start-up included, plus a grace for a
 * slow start-up); one that finishes no step in that time is a lower bound.
 */
export async function calibrate(configs: TrainConfig[], backend: BackendChoice, slots: number, threads: number): Promise<Map<string, CalibrationResult>> {
  const out = new Map<string, CalibrationResult>();
  configs = Array.from({ length: Math.max(configs.length, slots) }, (_, i) => configs[i % configs.length]);
  const queue = [...configs];
  const budget = calibrationBudgetMs(configs.length, slots);
  const live = new Set<() => void>();
  const unregister = onShutdown(() => live.forEach((k) => k()));
  try {
    await Promise.all(Array.from({ length: Math.max(1, slots) }, async () => {
      for (let cfg = queue.shift(); cfg; cfg = queue.shift()) {
        const started = Date.now();
        const c = calibrateCellProcess(cfg, backend, threads, budget);
        live.add(c.kill);
        // A slow start-up (a large dataset, a busy machine) gets its grace before the shape counts as a lower bound.
        const limit = budget + 30_000;
        let cut = false;
        const timer = setTimeout(() => ((cut = true), c.kill()), limit);
        const r: CalibrationResult = await c.done.catch((err: Error) => ({ why: cut ? `no step finished within ${(limit / 1000).toFixed(0)} s` : `calibration failed: ${err.message}`, seconds: (Date.now() - started) / 1000 }));
        clearTimeout(timer);
        live.delete(c.kill);
        out.set(costKey(cfg), pool(out.get(costKey(cfg)), r));
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

/**
 * Each cell's cost from what was measured: the database's rate for its cost key, else its
 * calibration, else (no step finished) the time the calibration ran, as a lower bound.
 */
export function cellCosts(cells: Cell[], rates: Map<string, number>, cal: Map<string, CalibrationResult>): CellCost[] {
  return cells.map((c): CellCost => {
    const steps = cellSteps(c.config);
    const rate = rates.get(costKey(c.config));
    if (rate != null) return { steps, seconds: rate * steps, source: 'database' };
    const r = cal.get(costKey(c.config));
    const seconds = r && !failed(r) ? fromCalibration(r, c.config) : null;
    if (seconds != null) return { steps, seconds, source: 'calibration' };
    // Not even one step in this long: the cell takes at least that (and far more, with all its steps).
    return { steps, seconds: Math.max(1, failed(r) ? r.seconds : CALIBRATION_MIN_PER_SHAPE_MS / 1000), source: 'lower bound' };
  });
}

/** Every cell's cost: from the database where cells of its cost key finished, else from a fresh calibration of every other key. */
export async function estimateCells(
  cells: Cell[], store: RunStore | null, backend: BackendChoice, backendName: string | null, slots: number, threads: number,
  onCalibrate?: (shapes: number, seconds: number) => void,
): Promise<{ costs: CellCost[]; calibrated: number; notes: string[] }> {
  const rates = databaseRates(store, backendName);
  const toCalibrate = new Map<string, TrainConfig>();
  for (const c of cells) if (!rates.has(costKey(c.config))) toCalibrate.set(costKey(c.config), c.config);
  const lanes = Math.min(slots, cells.length);
  if (toCalibrate.size) onCalibrate?.(toCalibrate.size, (Math.ceil(Math.max(toCalibrate.size, lanes) / Math.max(1, lanes)) * calibrationBudgetMs(toCalibrate.size, lanes)) / 1000);
  const cal = toCalibrate.size ? await calibrate([...toCalibrate.values()], backend, lanes, threads) : new Map<string, CalibrationResult>();
  const notes = [...new Set([...cal.values()].filter(failed).map((f) => f.why))];
  return { costs: cellCosts(cells, rates, cal), calibrated: toCalibrate.size, notes };
}
