import { randomBytes } from 'node:crypto';
import { runEnvironment } from './environment.ts';
import type { Claimant, Run } from './store/run-store.ts';

/** A running cell whose heartbeat is older than this was left by a process that died. */
export const STALE_MS = 30_000;

/** This process as a claimant of cells. */
export function claimant(): Claimant {
  const env = runEnvironment();
  return { ...env, owner: `${env.host}:${env.pid}:${randomBytes(4).toString('hex')}` };
}

/** Whether a process of this host is alive (signal 0 probes without killing). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the process holding a running cell is alive: by pid on this host, by heartbeat elsewhere. */
export function ownerAlive(r: Run, me: Claimant): boolean {
  if (r.host === me.host) return pidAlive(r.pid);
  return r.heartbeatAt != null && Date.now() - r.heartbeatAt.getTime() < STALE_MS;
}
