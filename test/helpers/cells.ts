import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqliteStore } from '../../runner/store/sqlite-store.ts';
import type { Run } from '../../runner/store/run-store.ts';

const bin = new URL('../../bin/simsiam.mjs', import.meta.url).pathname;

/** A one-row spec file in a fresh directory: one cell per seed. */
export function oneRowSpec(name: string, set: Record<string, unknown>): { dir: string; spec: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${name}-`));
  const spec = path.join(dir, `${name}.json`);
  fs.writeFileSync(spec, JSON.stringify({ name, rows: [{ label: name, set }] }));
  return { dir, spec };
}

/** A `simsiam` process in its own process group, so that a kill -9 takes its cell processes with it. */
export function spawnGroup(args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; out(): string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, ...env } });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return { child, out: () => out, exited: new Promise((r) => child.on('close', (c) => r(c))) };
}

/** The database's only run, read without holding it, or null before it exists. */
export function onlyRun(db: string): Run | null {
  if (!fs.existsSync(db)) return null;
  try {
    const s = new SqliteStore(db, { readonly: true });
    try {
      return s.findRuns()[0] ?? null;
    } finally {
      s.close();
    }
  } catch {
    return null; // being created
  }
}

/** Every stored metric of the database's only run as `name@epoch:step=value`, sorted. */
export function storedMetrics(db: string): string[] {
  const s = new SqliteStore(db, { readonly: true });
  try {
    const r = s.findRuns()[0];
    return s.metrics(r.id).map((m) => `${m.name}@${m.epoch}:${m.step}=${Object.is(m.value, NaN) ? 'NaN' : m.value}`).sort();
  } finally {
    s.close();
  }
}
