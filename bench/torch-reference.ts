import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import readline from 'node:readline';
import type { TrainConfig } from '../core/config.ts';

const SCRIPT = new URL('./torch_step.py', import.meta.url).pathname;

/**
 * The interpreter for the PyTorch reference: $SIMSIAM_PYTHON, else Debian's
 * /usr/bin/python3 (where `python3-torch` installs), else `python3` on the PATH.
 */
export function torchPython(): string {
  if (process.env.SIMSIAM_PYTHON) return process.env.SIMSIAM_PYTHON;
  return fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
}

/**
 * Environment for the reference: OpenBLAS's pthread build first on the library path
 * where Debian has it, since torch is fastest on it and the reference BLAS is a poor
 * yardstick (measured: 154 images/s on the reference BLAS vs 191 on OpenBLAS).
 */
function torchEnv(threads?: number): NodeJS.ProcessEnv {
  const dirs = ['/usr/lib/x86_64-linux-gnu/openblas-pthread', '/usr/lib/aarch64-linux-gnu/openblas-pthread'].filter((d) => fs.existsSync(d));
  const ld = [...dirs, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  // OpenBLAS keeps a thread pool of its own, one per core unless told: as many as torch's.
  const pool = threads ? { OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads) } : {};
  return { ...process.env, LD_LIBRARY_PATH: ld, ...pool };
}

export const TORCH_MISSING =
  'the PyTorch reference needs python3 with torch: on Debian, `apt-get install python3-torch libopenblas0-pthread`; ' +
  'elsewhere `pip install torch`, and point SIMSIAM_PYTHON at that interpreter';

/**
 * Null when torch works as the reference uses it; otherwise why not and how to get it.
 * A bare `import torch` is not enough: an emptied package directory imports as a
 * namespace package, so the probe builds a layer and runs it, as torch_step.py does.
 */
export function torchUnavailable(): string | null {
  const probe = 'import torch, torch.nn as nn; nn.Conv2d(1, 1, 3)(torch.zeros(1, 1, 4, 4)).sum().backward(); print(torch.__version__)';
  const r = spawnSync(torchPython(), ['-c', probe], { encoding: 'utf8', env: torchEnv() });
  if (r.error) return `${torchPython()} could not be run (${r.error.message}); ${TORCH_MISSING}`;
  return r.status === 0 ? null : `${torchPython()} cannot import torch; ${TORCH_MISSING}`;
}

export type TorchDevice = 'cpu' | 'cuda';

/** A running `bench/torch_step.py` holding one built model, timed in blocks on request. */
export class TorchReference {
  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly lines: AsyncIterator<string>,
    readonly version: string,
    readonly threads: number,
    /** `cpu`, or the CUDA device's name. */
    readonly device: string,
  ) {}

  static async open(config: TrainConfig, batch: number, threads = os.cpus().length, device: TorchDevice = 'cpu'): Promise<TorchReference> {
    const child = spawn(torchPython(), [SCRIPT], { env: torchEnv(device === 'cpu' ? threads : undefined), stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-2000)));
    const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    child.stdin.write(`${JSON.stringify({ config, batch, threads, device })}\n`);
    const ready = await next(lines, () => stderr);
    if (ready.error) throw new Error(String(ready.error));
    return new TorchReference(child, lines, String(ready.torch), Number(ready.threads), String(ready.device));
  }

  /** Run `n` steps in the reference; the wall time of each, ms. */
  async time(n: number): Promise<number[]> {
    this.child.stdin.write(`${JSON.stringify({ steps: n })}\n`);
    return (await next(this.lines, () => '')).ms as number[];
  }

  close(): void {
    this.child.stdin.end();
    this.child.kill();
  }
}

async function next(lines: AsyncIterator<string>, stderr: () => string): Promise<Record<string, unknown>> {
  const r = await lines.next();
  if (r.done) throw new Error(`the PyTorch reference exited: ${stderr().trim().split('\n').slice(-3).join(' | ')}`);
  return JSON.parse(r.value) as Record<string, unknown>;
}
