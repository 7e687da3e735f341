import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import type { RunEnvironment } from './store/run-store.ts';

const root = new URL('..', import.meta.url);

/** The project's root directory (the checkout or the installed package). */
export const PROJECT_ROOT = fileURLToPath(root);

/** Git's answer in the project's checkout, trimmed; null where there is no git or no checkout. */
export function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return null;
  }
}

/** Package version, git commit (when in a checkout), host and pid, recorded with each run. */
export function runEnvironment(): RunEnvironment {
  const pkg = JSON.parse(fs.readFileSync(new URL('package.json', root), 'utf8')) as { version: string };
  return { packageVersion: pkg.version, gitCommit: git(['rev-parse', 'HEAD']) || null, host: os.hostname(), pid: process.pid };
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
