import type { BackendInfo } from '../core/backend.ts';
import { benchConfig, median, openStepTimer, peakRssMb, type BenchModel } from './step.ts';
import { TorchReference } from './torch-reference.ts';

export interface CompareResult {
  backend: string;
  threads: number;
  model: BenchModel;
  batch: number;
  /** Ours: images per second (two views each), median over every timed step. */
  images_per_sec: number;
  /** The PyTorch reference of the same model and step, measured in the same sitting. */
  torch_images_per_sec: number;
  ratio_vs_torch: number;
  torch_version: string;
  torch_threads: number;
  rounds: number;
  steps_per_round: number;
  peak_rss_mb: number;
}

/**
 * Time our step and PyTorch's, alternating blocks of `steps` for `rounds` rounds after
 * `warmup` untimed steps each, so that drift in the machine's speed hits both alike.
 */
export async function compareStep(
  backend: BackendInfo, model: BenchModel, batch: number,
  opts: { rounds: number; steps: number; warmup: number; torchThreads?: number },
): Promise<CompareResult> {
  const ours = openStepTimer(model, batch);
  const torch = await TorchReference.open(benchConfig(model, batch), batch, opts.torchThreads);
  try {
    await ours.time(Math.max(opts.warmup, 1));
    await torch.time(Math.max(opts.warmup, 1));
    const a: number[] = [], b: number[] = [];
    for (let r = 0; r < opts.rounds; r++) {
      a.push(...(await ours.time(opts.steps)));
      b.push(...(await torch.time(opts.steps)));
    }
    const ips = (1000 * batch) / median(a), tips = (1000 * batch) / median(b);
    return {
      backend: backend.name, threads: backend.threads, model, batch,
      images_per_sec: ips, torch_images_per_sec: tips, ratio_vs_torch: ips / tips,
      torch_version: torch.version, torch_threads: torch.threads,
      rounds: opts.rounds, steps_per_round: opts.steps, peak_rss_mb: peakRssMb(),
    };
  } finally {
    torch.close();
    ours.dispose();
  }
}
