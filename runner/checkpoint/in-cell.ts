import type { CheckpointKey } from '../../core/checkpoint/codec.ts';
import type { TrainSnapshot } from '../../core/checkpoint/snapshot.ts';
import { encoderVariables, variableArrays } from '../../core/checkpoint/variables.ts';
import type { TrainConfig } from '../../core/config.ts';
import type { SiameseNet } from '../../core/nets/siamese.ts';
import type { CheckpointSink, TrainResult } from '../../core/train.ts';
import type { CellMessage, CheckpointJob } from '../cell-protocol.ts';
import type { KeptNetwork } from '../store/run-store.ts';
import { CellFiles } from './cell-files.ts';

/** Thrown from the sink after a failed write: the cell stops, its previous checkpoint intact. */
export class CheckpointWriteError extends Error {}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOSPC') return 'no space left on device (ENOSPC)';
  if (e.code === 'EDQUOT') return 'disk quota exceeded (EDQUOT)';
  return e.code ? `${e.message.replace(/^\w+: /, '').split(',')[0]} (${e.code})` : String(e.message ?? err);
}

/**
 * A cell process's side of checkpoints: what it resumes from (said to the coordinator),
 * where it writes each checkpoint, and what it keeps once finished.
 */
export class CellCheckpoints {
  private readonly files: CellFiles;
  private lastEpoch: number | null = null;
  /** The epoch the cell goes on from, null from step 0. */
  readonly resume: TrainSnapshot | null = null;

  constructor(
    private readonly job: CheckpointJob, private readonly key: CheckpointKey, private readonly config: TrainConfig, stepsPerEpoch: number,
    private readonly send: (m: CellMessage) => void,
  ) {
    this.files = new CellFiles(job.dir, job.cell);
    if (!job.resume) {
      this.files.discard();
      return;
    }
    const got = this.files.load(key);
    if (got.kind === 'resume') {
      this.resume = got.snapshot;
      this.lastEpoch = got.epoch;
      send({ type: 'resumed', epoch: got.epoch, step: got.snapshot.step, stepsPerEpoch, epochs: got.snapshot.epochs });
    } else if (got.kind === 'refused') {
      send({ type: 'fresh', reason: `its checkpoint ${this.files.latest} is not used: ${got.reason}` });
    }
  }

  sink(): CheckpointSink {
    return {
      everyMs: this.job.everyMs,
      write: async (s) => {
        try {
          const { bytes, seconds } = await this.files.save(s, this.key);
          this.lastEpoch = s.epochs.length - 1;
          this.send({ type: 'checkpoint', epoch: this.lastEpoch, step: s.step, bytes, seconds });
        } catch (err) {
          const kept = this.lastEpoch == null ? 'there was no earlier checkpoint' : `the previous checkpoint (epoch ${this.lastEpoch}) is intact`;
          const message = `cannot write the checkpoint ${this.files.latest}: ${describe(err)}; ${kept}. Free space (or give --checkpoint-dir), then run the same command to resume`;
          this.send({ type: 'checkpoint-failed', message });
          throw new CheckpointWriteError(message);
        }
      },
    };
  }

  /** The encoder of a finished run, written before its end is reported. */
  async keepEncoder(net: SiameseNet, channels: number): Promise<void> {
    if (this.job.keep !== 'encoder') return;
    const vars = encoderVariables(net);
    const arrays = await variableArrays(vars);
    const shapes = Object.fromEntries(Object.keys(arrays).map((k, i) => [k, vars[i].shape]));
    this.kept = await this.files.keepEncoder(arrays, shapes, { key: this.key, config: this.config, channels });
  }

  private kept: KeptNetwork | null = null;

  /** After the run, before its end is reported: what it kept (for `all`, the final checkpoint itself). */
  settle(result: TrainResult): KeptNetwork | null {
    if (result.status === 'finished' && this.job.keep === 'all') this.kept = this.files.keepAll();
    return this.kept;
  }

  /** Once the end is reported: the running checkpoint is no longer needed. */
  cleanUp(): void {
    this.files.discard();
  }
}
