import test from 'ava';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { SqliteStore } from '../../runner/store/sqlite-store.ts';
import { writeFixtureDb } from '../helpers/fixture-db.ts';
import { alive, descendants, simsiam, stopTime, until, type Cli } from '../helpers/processes.ts';

/** Each long-running command, in each state, stops on SIGINT/SIGTERM within 10 s and leaves no child behind. */
const LIMIT_S = 10;
const tmpDb = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'stop-')), 'results.db');
const longCell = (db: string) => simsiam(['run', 'baseline', '--preset', 'tiny', '--set', 'epochs=200', '--db', db, '--backend', 'wasm']);

function run(db: string): { status: string; pid: number; loss: number } | null {
  if (!fs.existsSync(db)) return null;
  const s = new SqliteStore(db, { readonly: true });
  try {
    const r = s.findRuns()[0];
    return r ? { status: r.status, pid: r.pid, loss: s.metrics(r.id, 'loss').length } : null;
  } catch {
    return null;
  } finally {
    s.close();
  }
}

async function midCell(cli: Cli, db: string): Promise<number[]> {
  return until(() => {
    const r = run(db);
    const kids = descendants(cli.child.pid!);
    return r?.status === 'running' && r.pid === cli.child.pid && r.loss >= 1 && kids.length ? kids : null;
  }, 120_000, 'a cell to be past its first epoch');
}

test.serial('run, mid-cell: SIGINT kills the cell process, leaves the cell interrupted (resumable), exits 130', async (t) => {
  const db = tmpDb();
  const cli = longCell(db);
  const kids = await midCell(cli, db);
  const r = await stopTime(cli, 'SIGINT');
  t.log(`run mid-cell, SIGINT: stopped in ${r.seconds.toFixed(2)} s`);
  t.true(r.seconds < LIMIT_S, `${r.seconds} s`);
  t.is(r.code, 130, r.out);
  t.notRegex(r.out, /\n\s+at /, 'no stack trace');
  t.like(run(db), { status: 'interrupted' });
  await until(() => kids.every((p) => !alive(p)), 5000, 'the cell process to be gone');
  t.pass();
});

test.serial('run, waiting for another coordinator\'s cell: SIGTERM stops it and leaves the other\'s cell alone; that one stops on SIGTERM too', async (t) => {
  const db = tmpDb();
  const owner = longCell(db);
  await midCell(owner, db);
  const waiter = longCell(db);
  await until(() => /waiting for 1 cell/.test(waiter.out()), 60_000, 'the second coordinator to wait');
  const w = await stopTime(waiter, 'SIGTERM');
  t.log(`run waiting (idle), SIGTERM: stopped in ${w.seconds.toFixed(2)} s`);
  t.true(w.seconds < LIMIT_S, `${w.seconds} s`);
  t.is(w.code, 143, w.out);
  t.like(run(db), { status: 'running', pid: owner.child.pid }, 'the owner keeps its cell');

  const kids = descendants(owner.child.pid!);
  const o = await stopTime(owner, 'SIGTERM');
  t.log(`run mid-cell, SIGTERM: stopped in ${o.seconds.toFixed(2)} s`);
  t.true(o.seconds < LIMIT_S, `${o.seconds} s`);
  t.like(run(db), { status: 'interrupted' });
  await until(() => kids.every((p) => !alive(p)), 5000, 'the cell process to be gone');
});

test.serial('dashboard: stops on SIGTERM when idle and on SIGINT with a live-update stream open', async (t) => {
  const db = tmpDb();
  writeFixtureDb(db);
  for (const [signal, stream] of [['SIGTERM', false], ['SIGINT', true]] as const) {
    const cli = simsiam(['dashboard', '--db', db, '--port', '0']);
    const url = (await until(() => /dashboard on (http:\/\/\S+)/.exec(cli.out()), 30_000, 'the dashboard'))[1];
    let req: http.ClientRequest | undefined;
    if (stream) {
      await new Promise<void>((resolve) => {
        req = http.get(`${url}events`, (res) => {
          res.on('error', () => {});
          res.once('data', () => resolve());
        });
        req.on('error', () => {});
      });
    }
    const r = await stopTime(cli, signal);
    req?.destroy();
    t.log(`dashboard ${stream ? 'with an open event stream' : 'idle'}, ${signal}: stopped in ${r.seconds.toFixed(2)} s`);
    t.true(r.seconds < LIMIT_S, `${r.seconds} s`);
    t.is(r.code, signal === 'SIGINT' ? 130 : 143, r.out);
  }
});
