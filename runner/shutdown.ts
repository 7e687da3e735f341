import os from 'node:os';

/** What a long-running command undoes when it is told to stop: kill its children, release its cells. */
export type Cleanup = (signal: NodeJS.Signals) => void | Promise<void>;

const cleanups = new Set<Cleanup>();
let stopping = false;
let installed = false;

/** Cleanups may take this long before the process exits anyway. */
const GRACE_MS = 6000;

function exitCode(signal: NodeJS.Signals): number {
  return 128 + (os.constants.signals[signal] ?? 15);
}

function onSignal(signal: NodeJS.Signals): void {
  const code = exitCode(signal);
  if (stopping) process.exit(code); // a second Ctrl-C does not wait
  stopping = true;
  process.stderr.write(`\nsimsiam: ${signal}, stopping\n`);
  setTimeout(() => process.exit(code), GRACE_MS).unref();
  const pending = [...cleanups].map(async (fn) => fn(signal));
  void Promise.allSettled(pending).then(() => process.exit(code));
}

/**
 * Make SIGINT and SIGTERM stop the process within GRACE_MS whatever it is doing: every
 * registered cleanup runs (at once, concurrently), then the process exits with 128 + the
 * signal's number. Idempotent.
 */
export function installShutdown(): void {
  if (installed) return;
  installed = true;
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/** Register a cleanup; the returned function unregisters it. */
export function onShutdown(fn: Cleanup): () => void {
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

/** Whether a stop signal has arrived. */
export function isStopping(): boolean {
  return stopping;
}
