import { parentPort, workerData } from 'node:worker_threads';
import { viewScratch } from './augment.ts';
import { makeViews, type ViewRequest } from './views.ts';

// Augments batches for ViewPipeline; the dataset arrives once, in shared memory.
const { set, spec, fmt } = workerData;
const scratch = viewScratch(fmt);
parentPort!.on('message', ({ id, req }: { id: number; req: ViewRequest }) => {
  try {
    const views = makeViews(set, spec, fmt, req, scratch);
    parentPort!.postMessage({ id, views }, views.map((v) => v.buffer as ArrayBuffer));
  } catch (err) {
    parentPort!.postMessage({ id, error: err instanceof Error ? err.stack : String(err) });
  }
});
