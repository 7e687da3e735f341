import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqliteStore } from '../../runner/store/sqlite-store.ts';
import { alive, descendants, simsiam, until } from '../helpers/processes.ts';

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

/** Every run of the database: status, owner's pid, and how many points of each metric it holds. */
function runsWithCounts(db: string): { id: number; status: string; pid: number; loss: number; knn: number }[] {
  if (!fs.existsSync(db)) return [];
  const s = new SqliteStore(db, { readonly: true });
  try {
    return s.findRuns().map((r) => ({ id: r.id, status: r.status, pid: r.pid, loss: s.metrics(r.id, 'loss').length, knn: s.metrics(r.id, 'knn_acc').length }));
  } catch {
    return []; // not yet migrated by the coordinators
  } finally {
    s.close();
  }
}

const coordinator = (db: string) => simsiam(['run', spec, '--db', db, '--workers', '1', '--backend', 'wasm', '--set', 'epochs=3']);

test.serial('two coordinators of one sweep on one database: every cell trains once, one point per epoch, both print the whole table', async (t) => {
  const db = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sweep-')), 'results.db');
  const [a, b] = [coordinator(db), coordinator(db)];
  const [ra, rb] = await Promise.all([a.exited, b.exited]);
  t.is(ra.code, 0, ra.out);
  t.is(rb.code, 0, rb.out);
  const runs = runsWithCounts(db);
  t.is(runs.length, 4);
  for (const r of runs) t.like(r, { status: 'finished', loss: 3, knn: 4 }, `run ${r.id}: one loss point per epoch, kNN at epochs 0-3`);
  // Each cell was trained by exactly one of them; the other reported it as run elsewhere.
  const ranBy = (out: string) => (out.match(/^\S*\s*(?:\[\d+\/\d+\] )?finished (?!.*run by another process)/gm) ?? []).length;
  t.is(ranBy(ra.out) + ranBy(rb.out), 4, `${ra.out}\n---\n${rb.out}`);
  for (const out of [ra.out, rb.out]) {
    t.regex(out, /\| w\/ stop-grad \| \d+\.\d ± \d+\.\d \(n=2\) \| 67\.7 \|/);
    t.regex(out, /\| w\/o stop-grad \| \d+\.\d ± \d+\.\d \(n=2\) \| 0\.1 \|/);
  }
});

test.serial('a coordinator killed mid-cell: the other takes its cell over and no cell process outlives it', async (t) => {
  const db = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sweep-')), 'results.db');
  const [victim, survivor] = [coordinator(db), coordinator(db)];
  // Kill the victim once it holds a running cell whose process exists.
  const cells = await until(() => {
    const held = runsWithCounts(db).some((r) => r.status === 'running' && r.pid === victim.child.pid);
    const kids = descendants(victim.child.pid!);
    return held && kids.length ? kids : null;
  }, 120_000, 'the victim to run a cell');
  victim.child.kill('SIGKILL');
  await victim.exited;
  await until(() => cells.every((p) => !alive(p)), 10_000, 'the victim\'s cell process to exit');
  t.pass('its cell process exited with it');
  const r = await survivor.exited;
  t.is(r.code, 0, r.out);
  const runs = runsWithCounts(db);
  t.is(runs.length, 4);
  for (const x of runs) t.like(x, { status: 'finished', pid: survivor.child.pid, loss: 3, knn: 4 });
  t.regex(r.out, /\| w\/o stop-grad \| \d+\.\d ± \d+\.\d \(n=2\) \| 0\.1 \|/);
});
