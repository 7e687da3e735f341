import { Worker } from 'node:worker_threads';
import type { AugmentSpec } from '../config.ts';
import { Rng } from '../rng.ts';
import { augmentView, viewScratch, type ViewFormat } from './augment.ts';
import type { ImageSet } from './dataset.ts';

/** What a batch of views is made from: which images, how many views each, and the seed of their randomness. */
export interface ViewRequest {
  indices: Int32Array;
  views: number;
  seed: number;
}

/** Augmented views of a batch, one NHWC Float32Array per view. */
export function makeViews(set: ImageSet, spec: AugmentSpec, fmt: ViewFormat, req: ViewRequest, scratch = viewScratch(fmt)): Float32Array[] {
  const rng = new Rng(req.seed);
  const per = fmt.size * fmt.size * fmt.channels;
  const out = Array.from({ length: req.views }, () => new Float32Array(req.indices.length * per));
  for (let b = 0; b < req.indices.length; b++) {
    for (let v = 0; v < req.views; v++) augmentView(set, req.indices[b], spec, fmt, rng, out[v], b * per, scratch);
  }
  return out;
}

/**
 * Produces batches of views off the training thread: a worker augments batch t+1
 * while the step on batch t runs, so augmentation leaves the critical path. `inline`
 * computes on the calling thread (tests, and where workers are unwanted).
 */
export class ViewPipeline {
  private worker: Worker | null = null;
  private pending = new Map<number, { resolve: (v: Float32Array[]) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private scratch: Float32Array[];

  constructor(private readonly set: ImageSet, private readonly spec: AugmentSpec, private readonly fmt: ViewFormat, inline: boolean) {
    this.scratch = viewScratch(fmt);
    if (inline) return;
    const shared = new Uint8Array(new SharedArrayBuffer(set.images.length));
    shared.set(set.images);
    this.worker = new Worker(new URL('./views-worker.mjs', import.meta.url), {
      workerData: { set: { ...set, images: shared }, spec, fmt },
    });
    this.worker.on('message', (m: { id: number; views?: Float32Array[]; error?: string }) => {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.views) p?.resolve(m.views);
      else p?.reject(new Error(m.error));
    });
    this.worker.on('error', (err) => this.failAll(err));
  }

  /** Views for one batch; starts at once, resolves when ready. */
  request(req: ViewRequest): Promise<Float32Array[]> {
    if (!this.worker) return Promise.resolve(makeViews(this.set, this.spec, this.fmt, req, this.scratch));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker!.postMessage({ id, req });
    });
  }

  async close(): Promise<void> {
    await this.worker?.terminate();
    this.worker = null;
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
