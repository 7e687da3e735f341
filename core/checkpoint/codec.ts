import type { TrainSnapshot } from './snapshot.ts';
import { decodeSafetensors, DamagedFileError, encodeSafetensors, type Encoded } from './safetensors.ts';

/** Bumped whenever what a snapshot holds changes meaning: an older file is then refused, never misread. */
export const CHECKPOINT_FORMAT = '1';

/**
 * What a checkpoint must match to be resumed from: the cell (its config hash, seed
 * included), the backend it ran on (runs are bit-exact per backend, not across them), and
 * the code (project version and commit).
 */
export interface CheckpointKey {
  cell: string;
  backend: string;
  device: string | null;
  version: string;
  commit: string | null;
}

/** JSON that keeps NaN and ±Infinity (epoch 0's loss is NaN, an empty epoch's max is -Infinity). */
const replacer = (_: string, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? { nonFinite: String(v) } : v);
const reviver = (_: string, v: unknown) => (v && typeof v === 'object' && 'nonFinite' in v && Object.keys(v).length === 1 ? Number((v as { nonFinite: string }).nonFinite) : v);

export function encodeSnapshot(s: TrainSnapshot, key: CheckpointKey): Encoded {
  const { arrays, ...rest } = s;
  return encodeSafetensors(arrays, { format: CHECKPOINT_FORMAT, kind: 'checkpoint', key: JSON.stringify(key), state: JSON.stringify(rest, replacer) });
}

/** The snapshot and its key; DamagedFileError where the file is not a whole checkpoint. */
export function decodeSnapshot(buf: Buffer): { key: CheckpointKey; format: string; snapshot: TrainSnapshot } {
  const { metadata, arrays } = decodeSafetensors(buf);
  if (metadata.kind !== 'checkpoint' || !metadata.key || !metadata.state) throw new DamagedFileError('it is not a training checkpoint');
  const state = JSON.parse(metadata.state, reviver) as Omit<TrainSnapshot, 'arrays'>;
  return { key: JSON.parse(metadata.key) as CheckpointKey, format: metadata.format, snapshot: { ...state, arrays } };
}

/** Why a checkpoint written under `was` cannot resume a run under `now`, or null when it can. */
export function keyMismatch(was: CheckpointKey, now: CheckpointKey, format: string): string | null {
  if (format !== CHECKPOINT_FORMAT) return `it is in checkpoint format ${format}, this version reads ${CHECKPOINT_FORMAT}`;
  if (was.cell !== now.cell) return `it is of config hash ${was.cell}, not ${now.cell}`;
  if (was.backend !== now.backend || was.device !== now.device) {
    return `it was written on ${was.backend}${was.device ? ` (${was.device})` : ''}, this run is on ${now.backend}${now.device ? ` (${now.device})` : ''}`;
  }
  if (was.version !== now.version) return `it was written by version ${was.version}, this is ${now.version}`;
  if (was.commit !== now.commit) return `it was written at commit ${was.commit?.slice(0, 7) ?? '(none)'}, this is ${now.commit?.slice(0, 7) ?? '(none)'}`;
  return null;
}
