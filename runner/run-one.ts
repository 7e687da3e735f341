import cliProgress from 'cli-progress';
import type { BackendInfo } from '../core/backend.ts';
import type { TrainConfig } from '../core/config.ts';
import { loadDataset } from '../core/data/load.ts';
import { zStdReference } from '../core/eval/collapse.ts';
import { train, type TrainResult } from '../core/train.ts';
import { epochLine, pct } from './format.ts';

/** Run one configuration, printing the monitors per epoch and a progress bar with ETA on a TTY. */
export async function runOne(cfg: TrainConfig, backend: BackendInfo, out: NodeJS.WriteStream = process.stdout): Promise<TrainResult> {
  const data = loadDataset(cfg.data);
  out.write(`backend ${backend.name}${backend.simd ? ' (SIMD)' : ''}, ${backend.threads} thread(s)` +
    `${backend.skipped.length ? `; skipped ${backend.skipped.join('; ')}` : ''}\n`);
  out.write(`data ${data.name}: ${data.train.n} train / ${data.test.n} test, ${data.train.height}x${data.train.width}x${data.train.channels}, ${data.classes} classes\n`);
  const zRef = zStdReference(cfg.projector.dim);
  const bar = out.isTTY
    ? new cliProgress.SingleBar({
      format: 'epoch {epoch}/{epochs} [{bar}] {value}/{total} steps  loss {loss}  ETA {eta_formatted}',
      stream: out, clearOnComplete: true, hideCursor: true,
    }, cliProgress.Presets.shades_classic)
    : null;
  const result = await train(cfg, data, {
    hooks: {
      onStep: (s) => {
        if (!bar) return;
        if (s.step === 1) bar.start(s.stepsPerEpoch, 0, { epoch: s.epoch, epochs: cfg.epochs, loss: '-' });
        bar.update(s.step, { loss: s.loss.toFixed(4) });
      },
      onEpoch: (m) => {
        bar?.stop();
        out.write(`${epochLine(m, zRef)}\n`);
      },
    },
  });
  const last = result.epochs[result.epochs.length - 1];
  const lastKnn = [...result.epochs].reverse().find((e) => e.epoch > 0 && e.knnAcc != null)?.knnAcc;
  out.write(`${result.status} in ${result.seconds.toFixed(0)}s: loss ${last.loss.toFixed(4)}, z_std ${last.zStd.toFixed(4)}` +
    ` (1/√d ${zRef.toFixed(4)}), kNN ${pct(lastKnn)} (random init ${pct(result.epochs[0].knnAcc)})` +
    `${result.linearAcc != null ? `, linear ${pct(result.linearAcc)}` : ''}\n`);
  return result;
}
