import { backendDevice, releaseBackend, useBackend } from '../core/backend.ts';
import { loadDataset } from '../core/data/load.ts';
import { train } from '../core/train.ts';
import type { CellJob, CellMessage } from './cell-protocol.ts';
import { knnModelled } from './estimate.ts';
import { CellCheckpoints } from './checkpoint/in-cell.ts';
import { runEnvironment } from './environment.ts';

// One cell per process: it trains, reports over IPC, and exits. The coordinator owns the database.
const send = (m: CellMessage) => process.send!(m);

// A coordinator that dies takes its cells with it.
const orphaned = () => process.exit(1);
process.on('disconnect', orphaned);

function finish(): void {
  releaseBackend();
  process.off('disconnect', orphaned);
  process.disconnect();
}

/** Thrown from a step hook to end a calibration's training early. */
class CalibrationDone extends Error {}

/**
 * Run the cell's own training loop until `budgetMs` is spent, timing its parts. What is
 * measured so far is sent after every step, so that a calibration cut off by the
 * coordinator's deadline (a slow model, a loaded machine) still gives its steps.
 */
async function calibrate(job: Extract<CellJob, { type: 'calibrate' }>): Promise<void> {
  const t0 = performance.now();
  const backend = await useBackend(job.backend);
  const data = loadDataset(job.config.data);
  const stamps: number[] = []; // when each step ended
  const firstOfEpoch = new Set<number>(); // intervals that span an epoch's end hold its kNN pass: not a step
  let knnSeconds = 0;
  const report = () => {
    const steps = stamps.map((s, i) => ({ i, seconds: (s - stamps[i - 1]) / 1000 })).filter(({ i }) => i >= 1 && !firstOfEpoch.has(i));
    // The first two steps compile kernels; they count only while nothing else is timed.
    const warm = steps.filter(({ i }) => i >= 2);
    send({
      type: 'calibration', backend: backend.name, knnSeconds: skipKnn ? NaN : knnSeconds, startupSeconds: ((stamps[0] ?? performance.now()) - t0) / 1000,
      stepSeconds: (warm.length ? warm : steps).map((x) => x.seconds),
    });
  };
  // On large data the epoch-0 kNN pass alone can outlast the budget: steps are timed without
  // it, and its time is modelled from theirs (runner/estimate.ts, fromCalibration).
  const skipKnn = knnModelled(job.config);
  await train({ ...job.config, monitor: { ...job.config.monitor, linear: null, ...(skipKnn ? { knn: { ...job.config.monitor.knn, everyEpochs: 0 } } : {}) } }, data, {
    hooks: {
      onEpoch: (m) => {
        if (m.epoch === 0) knnSeconds = m.knnSeconds;
      },
      onStep: (st) => {
        const now = performance.now();
        if (st.step === 1) firstOfEpoch.add(stamps.length);
        stamps.push(now);
        report();
        if ((stamps.length >= 5 && now - t0 > job.budgetMs) || stamps.length >= 40) throw new CalibrationDone();
      },
    },
  }).catch((err) => {
    if (!(err instanceof CalibrationDone)) throw err;
  });
  report();
}

process.once('message', async (job: CellJob) => {
  try {
    if (job.type === 'calibrate') {
      await calibrate(job);
      return finish();
    }
    const backend = await useBackend(job.backend);
    const device = backendDevice(backend);
    send({ type: 'started', backend: backend.name, device });
    const data = loadDataset(job.config.data);
    const env = runEnvironment();
    const ck = job.checkpoint
      ? new CellCheckpoints(job.checkpoint, { cell: job.checkpoint.cell, backend: backend.name, device, version: env.packageVersion, commit: env.gitCommit }, job.config,
        Math.floor(data.train.n / job.config.batchSize), send)
      : null;
    let lastStep = 0;
    const result = await train(job.config, data, {
      hooks: {
        onStep: (s) => {
          // Throttle: progress needs a few updates a second, not every step.
          const now = Date.now();
          if (now - lastStep > 250 || s.step === s.stepsPerEpoch) {
            lastStep = now;
            send({ type: 'step', ...s });
          }
        },
        onEpoch: (metrics) => send({ type: 'epoch', metrics }),
      },
      checkpoint: ck?.sink(),
      resume: ck?.resume ?? undefined,
      onFinished: ck ? (net) => ck.keepEncoder(net, data.train.channels) : undefined,
    });
    const kept = ck?.settle(result) ?? null;
    send({ type: 'done', status: result.status, linearAcc: result.linearAcc, seconds: result.seconds, kept });
    ck?.cleanUp();
  } catch (err) {
    send({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  }
  finish();
});
