import test from 'ava';
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { simsiam } from '../helpers/processes.ts';

const require = createRequire(import.meta.url);

/** Live processes whose environment carries the tag: a command's whole tree, also what it left behind. */
function tagged(tag: string): number[] {
  return fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((d) => {
    try {
      return fs.readFileSync(`/proc/${d}/environ`, 'utf8').includes(`SIMSIAM_TEST_TAG=${tag}`);
    } catch {
      return false;
    }
  }).map(Number);
}

/** One line, no stack frame, short. */
function oneLine(t: import('ava').ExecutionContext, out: string, pattern: RegExp): void {
  const err = out.trim().split('\n').filter((l) => l.startsWith('simsiam: '));
  t.is(err.length, 1, out);
  t.regex(err[0], pattern);
  t.notRegex(out, /\n\s+at /, 'no stack trace');
  t.true(Buffer.byteLength(out) < 2048, `output under 2 KB (${Buffer.byteLength(out)} bytes)`);
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'store-failure-'));
const base = path.join(dir, 'base.db');

test.before(async () => {
  // A database with one finished cell, whose size the full-disk limit is set from.
  const r = await simsiam(['run', 'baseline', '--preset', 'tiny', '--seeds', '0', '--db', base, '--backend', 'wasm']).exited;
  if (r.code !== 0) throw new Error(r.out);
});

const pages = (db: string) => {
  const d = new Database(db, { readonly: true });
  try {
    return { pages: d.pragma('page_count', { simple: true }) as number, ok: d.pragma('integrity_check', { simple: true }) };
  } finally {
    d.close();
  }
};

test.serial('a full disk mid-sweep stops it in order: one line, exit 3, no cell left running, finished results intact; a rerun completes it', async (t) => {
  const db = path.join(dir, 'full.db');
  fs.copyFileSync(base, db);
  const tag = `full-${process.pid}`;
  // Room for the new cells' records and a little more: the first metrics that do not fit fill the disk.
  const limit = pages(db).pages + 4;
  const r = await simsiam(['run', 'stopgrad', '--preset', 'tiny', '--seeds', '0,1', '--db', db, '--backend', 'wasm'],
    { SIMSIAM_DB_MAX_PAGES: String(limit), SIMSIAM_TEST_TAG: tag }).exited;
  t.is(r.code, 3, r.out);
  oneLine(t, r.out, /^simsiam: the disk holding .*full\.db is full: free space, then run the same command to resume$/);
  await new Promise((res) => setTimeout(res, 500));
  t.deepEqual(tagged(tag), [], 'no cell process outlives the sweep');
  const d = new Database(db, { readonly: true });
  const runs = d.prepare('select id, status from runs where experiment = ?').all('stopgrad') as { id: number; status: string }[];
  const losses = (id: number) => (d.prepare("select count(*) n from metrics where run_id = ? and name = 'loss'").get(id) as { n: number }).n;
  t.is(d.pragma('integrity_check', { simple: true }), 'ok');
  t.true(runs.some((x) => x.status === 'finished'), 'some cells finished before the disk filled');
  t.false(runs.some((x) => x.status === 'running'), 'none is left running');
  for (const x of runs.filter((y) => y.status === 'finished')) t.is(losses(x.id), 10, `finished run ${x.id} keeps one loss per epoch`);
  d.close();
  const again = await simsiam(['run', 'stopgrad', '--preset', 'tiny', '--seeds', '0,1', '--db', db, '--backend', 'wasm']).exited;
  t.is(again.code, 0, again.out);
  const after = new Database(db, { readonly: true });
  const done = after.prepare('select id, status from runs where experiment = ?').all('stopgrad') as { id: number; status: string }[];
  t.true(done.every((x) => x.status === 'finished'), JSON.stringify(done));
  for (const x of done) t.is((after.prepare("select count(*) n from metrics where run_id = ? and name = 'loss'").get(x.id) as { n: number }).n, 10);
  after.close();
});

test.serial('at start, a database on a full disk is one line, exit 2, and no empty file is left behind', async (t) => {
  const db = path.join(dir, 'new-on-full.db');
  const r = await simsiam(['run', 'baseline', '--preset', 'tiny', '--seeds', '0', '--db', db, '--backend', 'wasm'], { SIMSIAM_DB_MAX_PAGES: '1' }).exited;
  t.is(r.code, 2, r.out);
  oneLine(t, r.out, /^simsiam: the disk holding the --db file is full .*free space, then run the command again$/);
  t.false(fs.existsSync(db), 'no 0-byte database left');
});

test.serial('at start, a database another process holds locked past the wait is one line, exit 2', async (t) => {
  const db = path.join(dir, 'locked.db');
  fs.copyFileSync(base, db);
  // A second process holds an exclusive lock for longer than the 10 s busy wait.
  const holder = spawn(process.execPath, ['-e', `
    const D = require(${JSON.stringify(require.resolve('better-sqlite3'))});
    const d = new D(${JSON.stringify(db)}); d.exec('BEGIN EXCLUSIVE'); process.stdout.write('held\\n');
    setInterval(() => {}, 1000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((res) => holder.stdout!.once('data', res));
  const r = await simsiam(['run', 'baseline', '--preset', 'tiny', '--seeds', '0', '--db', db, '--backend', 'wasm']).exited;
  holder.kill();
  t.is(r.code, 2, r.out);
  oneLine(t, r.out, /^simsiam: the --db file is locked by another process \(waited 10 s\); let it finish or stop it, then run the command again$/);
  t.is(pages(db).ok, 'ok');
});

test.serial('a diverged cell\'s NaN survives the cell protocol and is stored with its non_finite marker', async (t) => {
  const db = path.join(dir, 'nan.db');
  const r = await simsiam(['run', 'baseline', '--preset', 'tiny', '--seeds', '0', '--set', 'optimizer.baseLr=1e9', '--set', 'epochs=2', '--db', db, '--backend', 'wasm']).exited;
  t.is(r.code, 0, r.out);
  const d = new Database(db, { readonly: true });
  t.deepEqual(d.prepare('select status from runs').all(), [{ status: 'diverged' }]);
  t.deepEqual(d.prepare("select value, non_finite from metrics where name = 'loss'").all(), [{ value: null, non_finite: 'nan' }]);
  d.close();
});
