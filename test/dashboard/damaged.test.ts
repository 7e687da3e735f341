import test from 'ava';
import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFixtureDb } from '../helpers/fixture-db.ts';
import { alive, simsiam, until } from '../helpers/processes.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dashboard-damaged-'));

/** A fixture database grown past 32 KiB (so that its page at 32768 holds data), then damaged there. */
function damagedDb(): string {
  const db = path.join(dir, 'damaged.db');
  writeFixtureDb(db);
  const d = new Database(db);
  d.pragma('journal_mode = DELETE'); // everything in the main file
  const pad = d.prepare("insert into metrics (run_id, name, epoch, step, value) values (1, 'lr', ?, ?, 0.1)");
  for (let i = 0; i < 3000; i++) pad.run(100 + i, i);
  d.close();
  const fd = fs.openSync(db, 'r+');
  fs.writeSync(fd, Buffer.from('0123456789ab'), 0, 12, 32768);
  fs.closeSync(fd);
  return db;
}

test('a damaged database: every page and /events answer without a stack frame or path, the dashboard stays up, and says the file is damaged', async (t) => {
  const db = damagedDb();
  const dash = simsiam(['dashboard', '--db', db, '--port', '0']);
  const url = await until(() => /dashboard on (http:\/\/\S+\/)/.exec(dash.out())?.[1], 30_000, 'the dashboard to listen');
  try {
    const events = await fetch(`${url}events`);
    const reader = events.body!.getReader();
    await Promise.race([reader.read(), new Promise((r) => setTimeout(r, 3000))]);
    await reader.cancel();
    const bodies: string[] = [];
    for (const p of ['', 'experiments/stopgrad', 'runs/1', 'tables', 'tables/stopgrad', 'report', 'compare?ids=1,2', 'api/runs/1/metrics', 'events?since=%3Cscript%3E']) {
      const r = await fetch(`${url}${p}`);
      const body = p.startsWith('events') ? String(r.status) : await r.text();
      bodies.push(body);
      t.notRegex(body, /\n\s+at |\/work\/|node_modules|\.ts:\d+/, `/${p} shows no stack frame or path`);
      if (p.startsWith('events')) t.is(r.status, 400, 'a malformed since is refused');
    }
    t.true(bodies.some((b) => /damaged/.test(b)), 'a page says the database is damaged');
    await new Promise((r) => setTimeout(r, 2500)); // past the live-update check that used to kill it
    t.true(alive(dash.child.pid!), 'the dashboard is still up');
  } finally {
    dash.child.kill('SIGTERM');
    await dash.exited;
  }
});

test('a zero-byte database is refused as such and left as it is', async (t) => {
  const db = path.join(dir, 'zero.db');
  fs.writeFileSync(db, '');
  for (const args of [['tables'], ['report'], ['dashboard', '--port', '0']]) {
    const r = await simsiam([...args, '--db', db]).exited;
    t.is(r.code, 2, r.out);
    t.regex(r.out, /is empty \(0 bytes\), not a results database/);
    t.is(fs.statSync(db).size, 0, `${args[0]} did not rewrite it`);
  }
});

test('a run whose JSON column is damaged is named in one line, exit 2, while the other runs render with it marked', async (t) => {
  const db = path.join(dir, 'bad-json.db');
  writeFixtureDb(db);
  const d = new Database(db);
  d.prepare("update runs set config_json = '{\"projector\": {\"dim\": 256' where id = 1").run();
  t.is(d.pragma('integrity_check', { simple: true }), 'ok', 'SQLite sees nothing wrong');
  d.close();
  for (const args of [['tables', 'stopgrad'], ['report', '--format', 'md']]) {
    const r = await simsiam([...args, '--db', db]).exited;
    t.is(r.code, 2, r.out);
    const lines = r.out.split('\n').filter((l) => l.startsWith('simsiam: '));
    t.deepEqual(lines.length, 1, r.out);
    t.regex(lines[0], /^simsiam: run 1 has a damaged config_json \(not valid JSON: .*\); restore the database from a copy/);
    t.regex(r.out, /1 damaged\)/, `${args[0]}: the other runs render, the damaged one marked`);
    t.notRegex(r.out, /\n\s+at /);
  }
  const dash = simsiam(['dashboard', '--db', db, '--port', '0']);
  const url = await until(() => /dashboard on (http:\/\/\S+\/)/.exec(dash.out())?.[1], 30_000, 'the dashboard to listen');
  try {
    const run = await (await fetch(`${url}runs/1`)).text();
    t.regex(run, /run 1 has a damaged config_json/);
    const tables = await (await fetch(`${url}tables`)).text();
    t.regex(tables, /1 damaged\)/);
  } finally {
    dash.child.kill('SIGTERM');
    await dash.exited;
  }
});

test('a dashboard started before its database exists sends live updates once it appears', async (t) => {
  const db = path.join(dir, 'later.db');
  const dash = simsiam(['dashboard', '--db', db, '--port', '0']);
  const url = await until(() => /dashboard on (http:\/\/\S+\/)/.exec(dash.out())?.[1], 30_000, 'the dashboard to listen');
  try {
    const ctl = new AbortController();
    const r = await fetch(`${url}events?since=none`, { signal: ctl.signal });
    const reader = r.body!.getReader();
    writeFixtureDb(db); // the database appears after the page opened
    let text = '';
    const deadline = Date.now() + 10_000;
    while (!text.includes('event: change') && Date.now() < deadline) text += new TextDecoder().decode((await reader.read()).value);
    ctl.abort();
    t.regex(text, /event: change/);
  } finally {
    dash.child.kill('SIGTERM');
    await dash.exited;
  }
});
