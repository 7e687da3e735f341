import { spawn } from 'node:child_process';
import readline from 'node:readline';
import type { BackendChoice } from '../core/backend.ts';
import { benchConfig, median, type BenchModel } from './step.ts';
import { TorchReference } from './torch-reference.ts';

const WORKER = new URL('./step-worker.mjs', import.meta.url).pathname;

/** A process that times training steps in blocks on request: ours (step-worker.ts) or PyTorch's. */
interface StepProcess {
  time(n: number): Promise<number[]>;
  close(): void;
}

export interface SweepCompareResult {
  model: BenchModel;
  batch: number;
  /** Processes run at once on each side, one thread each: a sweep's layout, one cell per core. */
  processes: number;
  /** Ours: images per second per process, summed over the processes, divided by the processes (one core each). */
  images_per_sec_per_core: number;
  torch_images_per_sec_per_core: number;
  /** Median of the rounds' ratios (PyTorch's step time over ours, each the median over every process's steps), and their range. */
  ratio_vs_torch: number;
  ratio_range: [number, number];
  rounds: number;
  steps_per_round: number;
}

/** One of our step timers in a child process, on `backend` with one thread. */
async function openOurs(backend: BackendChoice, model: BenchModel, batch: number): Promise<StepProcess> {
  const child = spawn(process.execPath, [WORKER], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, SIMSIAM_THREADS: '1' } });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-2000)));
  const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const r = await lines.next();
    if (r.done) throw new Error(`a bench process exited: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
    const o = JSON.parse(r.value) as { error?: string; ms?: number[] };
    if (o.error) throw new Error(`a bench process failed: ${o.error}`);
    return o;
  };
  child.stdin.write(`${JSON.stringify({ model, batch, backend, threads: 1 })}\n`);
  await next();
  return {
    time: async (n) => {
      child.stdin.write(`${JSON.stringify({ steps: n })}\n`);
      return (await next()).ms!;
    },
    close: () => {
      child.stdin.end();
      child.kill();
    },
  };
}

/**
 * Throughput per core the way a sweep runs: `processes` of ours at once, one thread each,
 * then as many of PyTorch's, alternating blocks of `steps` (after one untimed step) for
 * `rounds` rounds, so that both sides meet the same machine.
 */
export async function compareSweep(
  backend: BackendChoice, model: BenchModel, batch: number,
  opts: { processes: number; rounds: number; steps: number; warmup: number },
): Promise<SweepCompareResult> {
  const ours: StepProcess[] = [];
  const torch: StepProcess[] = [];
  try {
    for (let i = 0; i < opts.processes; i++) {
      ours.push(await openOurs(backend, model, batch));
      torch.push(await TorchReference.open(benchConfig(model, batch), batch, 1, 'cpu'));
    }
    const all = async (ps: StepProcess[], n: number) => Promise.all(ps.map((p) => p.time(n)));
    await all(ours, Math.max(opts.warmup, 1));
    await all(torch, Math.max(opts.warmup, 1));
    const ratios: number[] = [];
    const a: number[][] = ours.map(() => []), b: number[][] = torch.map(() => []);
    for (let r = 0; r < opts.rounds; r++) {
      const ra = (await all(ours, opts.steps + 1)).map((ms) => ms.slice(1));
      const rb = (await all(torch, opts.steps + 1)).map((ms) => ms.slice(1));
      ra.forEach((ms, i) => a[i].push(...ms));
      rb.forEach((ms, i) => b[i].push(...ms));
      ratios.push(median(rb.flat()) / median(ra.flat()));
    }
    const perCore = (ms: number[][]) => ms.reduce((s, m) => s + (1000 * batch) / median(m), 0) / opts.processes;
    return {
      model, batch, processes: opts.processes,
      images_per_sec_per_core: perCore(a), torch_images_per_sec_per_core: perCore(b),
      ratio_vs_torch: median(ratios), ratio_range: [Math.min(...ratios), Math.max(...ratios)],
      rounds: opts.rounds, steps_per_round: opts.steps,
    };
  } finally {
    for (const p of [...ours, ...torch]) p.close();
  }
}
