import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createApp } from '../../dashboard/app.ts';
import { SqliteStore } from '../../runner/store/sqlite-store.ts';
import { writeFixtureDb } from '../helpers/fixture-db.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dash-'));
const dbPath = path.join(dir, 'results.db');
writeFixtureDb(dbPath);
const store = new SqliteStore(dbPath, { readonly: true });
let base = '';
let server: import('node:http').Server;

test.before(async () => {
  const app = createApp({ store, dbPath, pollMs: 100 });
  await new Promise<void>((resolve) => {
    server = app.listen(0, '127.0.0.1', () => {
      const a = server.address() as { port: number };
      base = `http://127.0.0.1:${a.port}`;
      resolve();
    });
  });
});

test.after.always(() => {
  server.closeAllConnections();
  server.close();
});

const get = async (p: string) => {
  const r = await fetch(base + p);
  const body = await r.text();
  return { status: r.status, type: r.headers.get('content-type') ?? '', disposition: r.headers.get('content-disposition') ?? '', body, text: unescape(body) };
};

/** The text of an HTML page as a reader sees it (entities decoded). */
function unescape(html: string): string {
  return html.replace(/&#x3D;/g, '=').replace(/&quot;/g, '"').replace(/&#x27;/g, "'").replace(/&#x60;/g, '`').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

test('experiments list shows each experiment with its cell counts and a table link', async (t) => {
  const r = await get('/');
  t.is(r.status, 200);
  t.regex(r.body, /<a href="\/experiments\/stopgrad">stopgrad<\/a>/);
  t.regex(r.body, /<td class="num">9<\/td><td class="num">8<\/td><td class="num">0<\/td>\s*<td class="num">1<\/td>/);
  t.regex(r.body, /href="\/tables\/stopgrad"/);
  t.regex(r.body, /<span class="badge verdict-inconclusive" title="[^"]*">stopgrad-collapse: inconclusive \(not judged\)<\/span>/, 'verdicts at a glance');
});

test('a hostile experiment name and row label are escaped everywhere', async (t) => {
  for (const p of ['/', `/experiments/${encodeURIComponent('<script>alert("x")</script>')}`, '/tables', '/runs/10']) {
    const r = await get(p);
    t.is(r.status, 200, p);
    t.false(r.body.includes('<script>alert'), p);
    t.true(r.body.includes('&lt;script&gt;alert'), p);
  }
});

test('experiment page: filter by status, row and axis; sort; group by an axis with mean ± std', async (t) => {
  const all = await get('/experiments/stopgrad');
  t.regex(all.body, /9 cells, 9 matching/);
  const failed = await get('/experiments/stopgrad?status=failed');
  t.regex(failed.body, /9 cells, 1 matching/);
  const axis = await get(`/experiments/stopgrad?${new URLSearchParams({ 'axis.batchSize': '128', row: 'w/o stop-grad' })}`);
  t.regex(axis.body, /9 cells, 2 matching/);
  const sorted = await get('/experiments/stopgrad?sort=knn_acc&dir=desc');
  const ids = [...sorted.body.matchAll(/<a href="\/runs\/(\d+)">/g)].map((m) => Number(m[1]));
  t.deepEqual(ids.slice(0, 2), [2, 4], 'best kNN first (seed 1 beats seed 0)');
  const grouped = await get('/experiments/stopgrad?group=batchSize&status=finished');
  t.regex(grouped.text, /Grouped by batchSize/);
  t.regex(grouped.text, /<td>64<\/td><td class="num">4<\/td><td class="num">4<\/td><td class="num">57\.8 ± 26\.3%<\/td>/);
  t.regex(sorted.text, /<a href="\?sort=knn_acc&dir=asc">kNN ▼<\/a>/, 'the sorted column links to the other direction');
});

test('run page shows configuration, environment, error and the curve container; metrics API serves curves', async (t) => {
  const r = await get('/runs/9');
  t.is(r.status, 200);
  t.regex(r.body, /cell process exited \(SIGKILL\)/);
  t.regex(r.body, /c0ffee/);
  t.regex(r.body, /fixture-host/);
  t.regex(r.body, /data-zref="0\.0625"/);
  const m = JSON.parse((await get('/api/runs/1/metrics')).body);
  t.is(m.loss.length, 10);
  t.deepEqual(m.knn_acc.slice(0, 2), [[0, 0.5], [1, 0.53]], 'kNN from random init (epoch 0)');
});

test('compare names what differs between the runs', async (t) => {
  const r = await get('/compare?ids=1,5');
  t.is(r.status, 200);
  t.regex(r.text, /row="w\/ stop-grad" stopGradient=true/);
  t.regex(r.text, /row="w\/o stop-grad" stopGradient=false/);
  t.notRegex(r.text, /batchSize=/, 'equal fields are not listed');
});

test('tables page and downloads', async (t) => {
  const page = await get('/tables');
  t.regex(page.text, /w\/ stop-grad.*?\(n=2\)/s);
  t.regex(page.body, /class="outcome-collapsed">z collapsed 2\/2, representation lost 2\/2</);
  t.regex(page.body, /<td class="num has-failed">– \(1 failed\)<\/td>/, 'the killed run is shown, not hidden');
  const csv = await get('/tables/stopgrad?format=csv');
  t.is(csv.status, 200);
  t.regex(csv.disposition, /attachment; filename="?stopgrad\.csv"?/);
  t.regex(csv.body, /^experiment,variant,batchSize,/);
  t.regex((await get('/tables/stopgrad?format=latex')).body, /\\begin\{tabular\}/);
  t.regex((await get('/tables/stopgrad?format=md')).body, /^### stopgrad/);
});

test('bad ids and parameters give 400/404 pages, never a stack trace', async (t) => {
  const cases: [string, number][] = [
    ['/runs/abc', 400], ['/runs/99999', 404], ['/experiments/nope', 404], ['/experiments/stopgrad?sort=evil', 400],
    ['/experiments/stopgrad?page=0', 400], ['/experiments/stopgrad?page=9', 400], ['/experiments/stopgrad?status=done', 400],
    ['/experiments/stopgrad?group=color', 400], ['/compare?ids=1', 400], ['/compare?ids=1,x', 400], ['/tables/stopgrad?format=pdf', 400],
    ['/api/runs/424242/metrics', 404], ['/static/nothing.js', 404], ['/no/such/page', 404],
  ];
  for (const [p, status] of cases) {
    const r = await get(p);
    t.is(r.status, status, p);
    t.regex(r.type, /html/, p);
    t.notRegex(r.body, /at .*\.ts:\d+/, `${p} leaks no stack`);
  }
});

test('server-sent events announce a change in the database', async (t) => {
  const writer = new SqliteStore(dbPath);
  const ctl = new AbortController();
  const r = await fetch(`${base}/events?since=${encodeURIComponent(store.dataVersion())}`, { signal: ctl.signal });
  const reader = r.body!.getReader();
  writer.saveExperiment('late', 'Late', { name: 'late', title: 'Late', source: '', metric: 'knn_acc', rows: [] });
  const e = writer.enqueue({ experiment: 'late', cellHash: 'x', rowLabel: 'x', axes: {}, seed: 0, preset: 'tiny', config: {} }, { packageVersion: '0', gitCommit: null, host: 'h', pid: 1 });
  t.truthy(e.id);
  let text = '';
  const deadline = Date.now() + 5000;
  while (!text.includes('event: change') && Date.now() < deadline) text += new TextDecoder().decode((await reader.read()).value);
  ctl.abort();
  writer.close();
  t.regex(text, /event: change/);
});

test('a missing database shows how to create one', async (t) => {
  const app = createApp({ store: null, dbPath: '/nowhere/results.db' });
  await new Promise<void>((resolve) => {
    const server = app.listen(0, '127.0.0.1', async () => {
      const a = server.address() as { port: number };
      const r = await fetch(`http://127.0.0.1:${a.port}/`);
      const body = await r.text();
      t.is(r.status, 200);
      t.regex(body, /\/nowhere\/results\.db does not exist/);
      t.regex(body, /npx simsiam run stopgrad --db \/nowhere\/results\.db/);
      t.is((await fetch(`http://127.0.0.1:${a.port}/runs/1`)).status, 404);
      server.close();
      resolve();
    });
  });
});

test('the report page shows the findings with verdicts, the tables and the curves; downloads in every format', async (t) => {
  const r = await get('/report');
  t.is(r.status, 200);
  // The fixture sweeps a batch-size axis under each row label: two configurations are not pooled as seeds.
  t.regex(r.body, /<tr class="verdict-inconclusive"><td>stopgrad-collapse<\/td>.*not judged: seed\(s\) 0 of &quot;w\/ stop-grad&quot; failed/);
  t.regex(r.body, /<svg [^>]*aria-label="stopgrad: kNN accuracy"/);
  t.regex(r.body, /<a href="\/report\/download\?preset=small&amp;format=json">JSON<\/a>/);
  const json = await get('/report/download?preset=small&format=json');
  t.regex(json.type, /json/);
  t.is(JSON.parse(json.body).findings[0].id, 'stopgrad-collapse');
  t.regex((await get('/report/download?format=md')).disposition, /simsiam-report-small\.md/);
  t.is((await get('/report?preset=huge')).status, 400);
  t.is((await get('/report/download?format=pdf')).status, 400);
});
