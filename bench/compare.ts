import type { BackendInfo } from '../core/backend.ts';
import { benchConfig, median, openStepTimer, peakRssMb, type BenchModel } from './step.ts';
import { TorchReference, type TorchDevice } from './torch-reference.ts';

export interface CompareResult {
  backend: string;
  threads: number;
  model: BenchModel;
  batch: number;
  /** Ours: images per second (two views each), median over every timed step. */
  images_per_sec: number;
  /** The PyTorch reference of the same model and step, measured in the same sitting. */
  torch_images_per_sec: number;
  /**
   * Ours over PyTorch's images/s: the median of the rounds' ratios, each the ratio of the two medians
   * of one round. Pairing adjacent blocks cancels the machine's drift, which a ratio of the
   * overall medians does not (a shared 2-core VM moved PyTorch's step 241-480 ms within one
   * process).
   */
  ratio_vs_torch: number;
  /** The lowest and highest round's ratio: how far one sitting's figure can be trusted. */
  ratio_range: [number, number];
  torch_version: string;
  /** PyTorch's CPU threads: as many as ours unless told otherwise. */
  torch_threads: number;
  /** Where PyTorch ran: `cpu`, or the CUDA device's name (a GPU backend is compared with PyTorch on CUDA). */
  torch_device: string;
  rounds: number;
  steps_per_round: number;
  peak_rss_mb: number;
}

/**
 * Time our step and PyTorch's, alternating blocks of `steps` (after one untimed step) for
 * `rounds` rounds after `warmup` untimed steps each, so that drift in the machine's speed
 * hits both alike.
 */
export async function compareStep(
  backend: BackendInfo, model: BenchModel, batch: number,
  opts: { rounds: number; steps: number; warmup: number; torchThreads?: number },
): Promise<CompareResult> {
  const ours = openStepTimer(model, batch);
  // As many threads as ours on the CPU: a ratio of one process against one process.
  const device = torchDeviceFor(backend);
  const torch = await TorchReference.open(benchConfig(model, batch), batch, opts.torchThreads ?? (device === 'cpu' ? backend.threads : undefined), device);
  try {
    await ours.time(Math.max(opts.warmup, 1));
    await torch.time(Math.max(opts.warmup, 1));
    const a: number[] = [], b: number[] = [], ratios: number[] = [];
    for (let r = 0; r < opts.rounds; r++) {
      // Each round's first step is untimed: after the other process has run, caches and
      // idle threads are cold, which made PyTorch's 1-step rounds about 4x slower than its warm steps.
      const ra = (await ours.time(opts.steps + 1)).slice(1), rb = (await torch.time(opts.steps + 1)).slice(1);
      a.push(...ra);
      b.push(...rb);
      ratios.push(median(rb) / median(ra)); // time per step: PyTorch's over ours
    }
    return {
      backend: backend.name, threads: backend.threads, model, batch,
      images_per_sec: (1000 * batch) / median(a), torch_images_per_sec: (1000 * batch) / median(b),
      ratio_vs_torch: median(ratios), ratio_range: [Math.min(...ratios), Math.max(...ratios)],
      torch_version: torch.version, torch_threads: torch.threads, torch_device: torch.device,
      rounds: opts.rounds, steps_per_round: opts.steps, peak_rss_mb: peakRssMb(),
    };
  } finally {
    torch.close();
    ours.dispose();
  }
}

/**
 * An NVIDIA GPU backend is measured against PyTorch on CUDA, everything else against
 * PyTorch on the CPU (an AMD, Intel or Apple adapter has no CUDA; the output names the
 * device either way). On a host with several GPUs, CUDA's device 0 is assumed to be the
 * adapter Dawn chose: the output prints both names.
 */
export function torchDeviceFor(backend: BackendInfo): TorchDevice {
  if (backend.name === 'tensorflow-gpu') return 'cuda';
  const a = backend.adapter;
  return backend.name === 'webgpu' && a !== undefined && !a.software && /nvidia/i.test(`${a.vendor} ${a.description}`) ? 'cuda' : 'cpu';
}
