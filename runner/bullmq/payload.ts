import { z } from 'zod';
import { BACKENDS } from '../../core/backend.ts';
import type { TrainConfig } from '../../core/config.ts';
import type { EpochMetrics } from '../../core/train.ts';
import { validateConfig } from '../../experiments/validate.ts';
import { KEEP_POLICIES } from '../checkpoint/cell-files.ts';
import type { CheckpointPolicy } from '../cell-protocol.ts';
import type { KeptNetwork } from '../store/run-store.ts';

/** A cell as a job: everything a worker needs, nothing it must look up. */
export interface CellPayload {
  experiment: string;
  cellHash: string;
  config: TrainConfig;
  backend: (typeof BACKENDS)[number] | 'auto';
  /** The sweep's checkpoint policy; the worker puts the files in its own --checkpoint-dir. */
  checkpoint: CheckpointPolicy;
}

/** What a worker hands back: kept in Redis until the coordinator has stored it. */
export interface CellReturn {
  backend: string;
  device?: string | null;
  status: 'finished' | 'diverged';
  epochs: EpochMetrics[];
  linearAcc: number | null;
  seconds: number;
  /** What the cell kept, on the worker's machine. */
  kept?: KeptNetwork | null;
}

/** Job progress: the latest step for the display, and every epoch's monitors so far for the database. */
export type CellProgressUpdate =
  | { type: 'started'; backend: string; device?: string | null }
  | { type: 'step'; epoch: number; step: number; stepsPerEpoch: number; loss: number; backend: string; device?: string | null; epochs: EpochMetrics[] };

const payloadSchema = z.strictObject({
  experiment: z.string().min(1),
  cellHash: z.string().regex(/^[0-9a-f]{16}$/),
  config: z.unknown(),
  backend: z.enum(['auto', ...BACKENDS]),
  // Jobs queued by an older coordinator carry none: epoch-end checkpoints, the encoder kept.
  checkpoint: z.strictObject({ everyMs: z.number().positive().nullable(), keep: z.enum(KEEP_POLICIES), resume: z.boolean() })
    .default({ everyMs: null, keep: 'encoder', resume: true }),
});

/** Job id of a cell: re-adding the same cell never makes a second job. */
export function jobId(experiment: string, cellHash: string): string {
  return `${experiment.replace(/[^A-Za-z0-9._-]/g, '_')}.${cellHash}`;
}

/** Check a job's data; throws with what is wrong. */
export function parsePayload(data: unknown): CellPayload {
  const r = payloadSchema.safeParse(data);
  if (!r.success) throw new Error(`malformed job payload: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return { ...r.data, config: validateConfig(r.data.config, 'job payload config') };
}

const NON_FINITE = ['NaN', 'Infinity', '-Infinity'];

/**
 * Epochs as they cross Redis: JSON has no NaN or ±Infinity (they would arrive as null), so
 * those values travel as strings and {@link fromJson} makes them numbers again.
 */
export function toJson<T>(x: T): T {
  if (typeof x === 'number') return (Number.isFinite(x) ? x : String(x)) as T;
  if (Array.isArray(x)) return x.map(toJson) as T;
  if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, toJson(v)])) as T;
  return x;
}

export function fromJson<T>(x: T): T {
  if (typeof x === 'string' && NON_FINITE.includes(x)) return Number(x) as T;
  if (Array.isArray(x)) return x.map(fromJson) as T;
  if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, fromJson(v)])) as T;
  return x;
}
