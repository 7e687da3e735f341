import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqliteStore } from '../../runner/store/sqlite-store.ts';

const bin = new URL('../../bin/simsiam.mjs', import.meta.url).pathname;
const spec = new URL('../fixtures/sweep.json', import.meta.url).pathname;

function start(db: string): { child: ChildProcess; output: Promise<string> } {
  const child = spawn(process.execPath, [bin, 'run', spec, '--db', db, '--workers', '1', '--backend', 'wasm', '--set', 'epochs=3'],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return { child, output: new Promise((resolve) => child.on('exit', () => resolve(out))) };
}

function finishedRuns(db: string): { id: number; finishedAt: number }[] {
  if (!fs.existsSync(db)) return [];
  const s = new SqliteStore(db, { readonly: true });
  try {
    return s.findRuns({ status: ['finished'] }).map((r) => ({ id: r.id, finishedAt: r.finishedAt!.getTime() }));
  } catch {
    return [];
  } finally {
    s.close();
  }
}

test.serial('a sweep killed with -9 keeps its finished cells; a rerun runs only the rest, then the table is whole', async (t) => {
  const db = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sweep-')), 'results.db');
  const first = start(db);
  const deadline = Date.now() + 120_000;
  while (finishedRuns(db).length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  first.child.kill('SIGKILL');
  await first.output;
  const before = finishedRuns(db);
  t.true(before.length >= 1 && before.length < 4, `${before.length} of 4 cells finished before the kill`);

  // The database is readable and every finished cell kept its curves.
  const s = new SqliteStore(db, { readonly: true });
  for (const r of before) t.true(s.metrics(r.id, 'loss').length === 3, `run ${r.id} has its 3 epochs of loss`);
  s.close();

  const second = start(db);
  const out = await second.output;
  t.regex(out, new RegExp(`4 cells, ${before.length} already done, ${4 - before.length} to run`));
  const after = finishedRuns(db);
  t.is(after.length, 4);
  for (const r of before) t.is(after.find((a) => a.id === r.id)!.finishedAt, r.finishedAt, `run ${r.id} was not rerun`);
  t.regex(out, /\| w\/ stop-grad \| \d+\.\d ± \d+\.\d \(n=2\) \| 67\.7 \|/);
  t.regex(out, /\| w\/o stop-grad \| \d+\.\d ± \d+\.\d \(n=2\) \| 0\.1 \|/);

  const third = await start(db).output;
  t.regex(third, /4 cells, 4 already done, 0 to run/);
});
