import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import type { RunEnvironment } from './store/run-store.ts';

const root = new URL('..', import.meta.url);

/** Package version, git commit (when in a checkout), host and pid, recorded with each run. */
export function runEnvironment(): RunEnvironment {
  const pkg = JSON.parse(fs.readFileSync(new URL('package.json', root), 'utf8')) as { version: string };
  let gitCommit: string | null = null;
  try {
    gitCommit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() || null;
  } catch {
    gitCommit = null;
  }
  return { packageVersion: pkg.version, gitCommit, host: os.hostname(), pid: process.pid };
}

/** Default parallelism: one cell per core, capped so each can have the 4 GiB a wasm heap may take. */
export function defaultWorkers(): number {
  const byMemory = Math.floor(os.totalmem() / 2 ** 32);
  return Math.max(1, Math.min(os.cpus().length, byMemory));
}

/**
 * wasm threads per cell when `slots` cells run at once: cores go to cell processes first
 * (more cells per hour than threads: README, Compute backends); cores left over when
 * there are fewer cells than cores become threads.
 */
export function threadsPerCell(slots: number): number {
  return Math.max(1, Math.floor(os.cpus().length / Math.max(slots, 1)));
}
