import fs from 'node:fs';
import path from 'node:path';
import { CHECKPOINT_FORMAT, decodeSnapshot, encodeSnapshot, keyMismatch, type CheckpointKey } from '../../core/checkpoint/codec.ts';
import { DamagedFileError, encodeSafetensors } from '../../core/checkpoint/safetensors.ts';
import type { StateArrays, TrainSnapshot } from '../../core/checkpoint/snapshot.ts';
import type { TrainConfig } from '../../core/config.ts';
import type { KeptNetwork } from '../store/run-store.ts';
import { strayTemps, writeAtomic } from './atomic.ts';

/** What a finished cell keeps: nothing, its encoder (the default), or its whole final state (momenta and predictor too). */
export const KEEP_POLICIES = ['none', 'encoder', 'all'] as const;
export type KeepPolicy = (typeof KEEP_POLICIES)[number];

/** Checkpoints live beside the database unless told otherwise: `results.db` → `results.db.checkpoints/`. */
export function defaultCheckpointDir(db: string): string {
  return `${path.resolve(db)}.checkpoints`;
}

/** What reading a cell's checkpoint gave: a snapshot to resume from, one refused (and why), or none. */
export type LoadOutcome =
  | { kind: 'resume'; snapshot: TrainSnapshot; epoch: number }
  | { kind: 'refused'; reason: string }
  | { kind: 'none' };

/** Metadata of a kept encoder: enough to rebuild and evaluate it without the database. */
export interface EncoderMeta {
  key: CheckpointKey;
  config: TrainConfig;
  channels: number;
}

/**
 * One cell's files in a checkpoint directory, named by its config hash: the latest
 * checkpoint while it runs, and what it keeps once finished.
 */
export class CellFiles {
  readonly latest: string;
  readonly encoder: string;
  readonly final: string;

  constructor(readonly dir: string, readonly cell: string) {
    this.latest = path.join(dir, `${cell}.checkpoint.safetensors`);
    this.encoder = path.join(dir, `${cell}.encoder.safetensors`);
    this.final = path.join(dir, `${cell}.final.safetensors`);
  }

  /** The latest checkpoint, if it is whole and was written under `key`; never throws for a bad file. */
  load(key: CheckpointKey): LoadOutcome {
    for (const t of strayTemps(this.latest)) fs.rmSync(t, { force: true }); // a write a kill cut short
    let buf: Buffer;
    try {
      buf = fs.readFileSync(this.latest);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' };
      return { kind: 'refused', reason: `it cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` };
    }
    try {
      const { key: was, format, snapshot } = decodeSnapshot(buf);
      const why = keyMismatch(was, key, format);
      return why ? { kind: 'refused', reason: why } : { kind: 'resume', snapshot, epoch: snapshot.epochs.length - 1 };
    } catch (err) {
      if (err instanceof DamagedFileError) return { kind: 'refused', reason: `it is damaged: ${err.message}` };
      return { kind: 'refused', reason: `it is damaged: ${(err as Error).message}` };
    }
  }

  /** Replace the latest checkpoint, atomically; the old one stays whole if this fails. */
  async save(s: TrainSnapshot, key: CheckpointKey): Promise<{ bytes: number; seconds: number }> {
    const t = performance.now();
    fs.mkdirSync(this.dir, { recursive: true });
    const { parts, bytes } = encodeSnapshot(s, key);
    await writeAtomic(this.latest, parts);
    return { bytes, seconds: (performance.now() - t) / 1000 };
  }

  /** Keep the encoder's variables (with their shapes) and what rebuilds it. */
  async keepEncoder(arrays: StateArrays, shapes: Record<string, number[]>, meta: EncoderMeta): Promise<KeptNetwork> {
    fs.mkdirSync(this.dir, { recursive: true });
    const { parts, bytes } = encodeSafetensors(arrays, {
      format: CHECKPOINT_FORMAT, kind: 'encoder', key: JSON.stringify(meta.key), config: JSON.stringify(meta.config), channels: String(meta.channels),
    }, shapes);
    await writeAtomic(this.encoder, parts);
    return { kind: 'encoder', file: this.encoder, bytes };
  }

  /** Keep the final checkpoint as the cell's whole final state. */
  keepAll(): KeptNetwork {
    fs.renameSync(this.latest, this.final);
    return { kind: 'all', file: this.final, bytes: fs.statSync(this.final).size };
  }

  /** Remove the running checkpoint (and any stray temp file). */
  discard(): void {
    for (const f of [this.latest, ...strayTemps(this.latest)]) fs.rmSync(f, { force: true });
  }
}
