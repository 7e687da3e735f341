import { useBackend } from '../core/backend.ts';
import { loadDataset } from '../core/data/load.ts';
import { train } from '../core/train.ts';
import type { CellJob, CellMessage } from './cell-protocol.ts';

// One cell per process: it trains, reports over IPC, and exits. The coordinator owns the database.
const send = (m: CellMessage) => process.send!(m);

// A coordinator that dies takes its cells with it.
const orphaned = () => process.exit(1);
process.on('disconnect', orphaned);

function finish(): void {
  process.off('disconnect', orphaned);
  process.disconnect();
}

process.once('message', async (job: CellJob) => {
  try {
    const backend = await useBackend(job.backend);
    send({ type: 'started', backend: backend.name });
    const data = loadDataset(job.config.data);
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
    });
    send({ type: 'done', status: result.status, linearAcc: result.linearAcc, seconds: result.seconds });
  } catch (err) {
    send({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  }
  finish();
});
