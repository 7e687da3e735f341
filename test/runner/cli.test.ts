import test from 'ava';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { needs } from '../helpers/system.ts';

const run = promisify(execFile);
const bin = new URL('../../bin/simsiam.mjs', import.meta.url).pathname;

/** Run the CLI; a trailing object sets environment variables, or a time limit (default 2 min). */
async function cli(...args: (string | { env?: Record<string, string>; timeoutMs?: number })[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const last = args.at(-1);
  const opts = typeof last === 'object' ? last : {};
  const env = { ...process.env, ...opts.env };
  const argv = args.filter((a): a is string => typeof a === 'string');
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...argv], { timeout: opts.timeoutMs ?? 120_000, env });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number | null; signal?: string; killed?: boolean; stdout: string; stderr: string };
    // A run stopped at the time limit says so, rather than passing for an exit code.
    if (e.killed) return { code: -1, stdout: e.stdout, stderr: `killed at the time limit (${e.signal})\n${e.stderr}` };
    return { code: e.code ?? -1, stdout: e.stdout, stderr: e.stderr };
  }
}

test('--help lists the commands, and each command has its own help', async (t) => {
  const top = await cli('--help');
  t.is(top.code, 0);
  t.regex(top.stdout, /run \[options\] <experiment>/);
  t.regex(top.stdout, /tables/);
  t.regex(top.stdout, /bench/);
  for (const cmd of ['run', 'tables', 'bench']) {
    const r = await cli(cmd, '--help');
    t.is(r.code, 0);
    t.regex(r.stdout, cmd === 'tables' ? /--format/ : /--backend/);
  }
});

test('a bad override fails before anything runs, naming the path and the allowed values', async (t) => {
  const db = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cli-')), 'r.db');
  const r = await cli('run', 'baseline', '--preset', 'tiny', '--db', db, '--set', 'similarity.kind=dot');
  t.is(r.code, 2);
  t.regex(r.stderr, /similarity\.kind = "dot": .*'cosine' \| 'cross-entropy'/);
  t.false(fs.existsSync(db), 'nothing ran, no database');
  const p = await cli('run', 'baseline', '--preset', 'huge');
  t.is(p.code, 2);
  t.regex(p.stderr, /Allowed choices are small, medium, tiny, fashion-small, fashion, paper/);
  const e = await cli('run', 'nope');
  t.is(e.code, 2);
  t.regex(e.stderr, /unknown experiment 'nope'/);
  const tables = await cli('tables', '--db', db);
  t.is(tables.code, 2);
  t.regex(tables.stderr, /does not exist: run an experiment first/);
});

test('a single-cell run prints the backend, the monitors per epoch and its table; tables re-renders it', async (t) => {
  const db = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cli-')), 'r.db');
  const r = await cli('run', 'baseline', '--preset', 'tiny', '--db', db, '--set', 'epochs=1', '--backend', 'wasm');
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /backend wasm/);
  t.regex(r.stdout, /epoch {3}0 \(random init\) {2}kNN \d+\.\d%/);
  t.regex(r.stdout, /epoch {3}1 {2}loss +-?\d\.\d{4} {2}z_std \d\.\d{4} \(1\/√d 0\.1768\)/);
  t.regex(r.stdout, /\| SimSiam \| \d+\.\d \(n=1\) \| 68\.1 \| [a-z ]+ 1\/1 \|/);
  t.regex(r.stdout, /ours at preset tiny \(kNN accuracy: the runs trained no linear probe\)/, 'tiny trains no probe: the table says it shows kNN');
  const csv = await cli('tables', 'baseline', '--db', db, '--format', 'csv');
  t.is(csv.code, 0, csv.stderr);
  t.regex(csv.stdout, /^experiment,variant,/);
  t.regex(csv.stdout, /baseline,SimSiam,\d+\.\d \(n=1\),68\.1,[a-z ]+ 1\/1/);
  const other = await cli('tables', 'baseline', '--db', db, '--preset', 'small');
  t.is(other.code, 0, other.stderr);
  t.regex(other.stdout, /ours at preset small.*\n\n.*\n.*\n\| SimSiam \| missing \|/, 'a preset it did not run at shows as missing, not as tiny\'s numbers');

  // stopgrad's row with stop-gradient is the same cell: it is reused, not trained again.
  const dry = await cli('run', 'stopgrad', '--preset', 'tiny', '--db', db, '--set', 'epochs=1', '--backend', 'wasm', '--dry-run', '--workers', '1');
  t.regex(dry.stdout, /2 cells, 0 done, 1 reused from other experiments, 1 to run/);
  t.regex(dry.stdout, /reuses baseline +- +- {2}w\/ stop-grad seed 0/);
  const sg = await cli('run', 'stopgrad', '--preset', 'tiny', '--db', db, '--set', 'epochs=1', '--backend', 'wasm');
  t.is(sg.code, 0, sg.stderr);
  t.regex(sg.stdout, /finished w\/ stop-grad seed 0: the result of the same cell in baseline \(run 1\)/);
  const base = /\| SimSiam \| (\d+\.\d) \(n=1\)/.exec(r.stdout)![1];
  t.regex(sg.stdout, new RegExp(`\\| w/ stop-grad \\| ${base.replace('.', '\\.')} \\(n=1\\)`));
});

test('bench prints JSON with images per second', async (t) => {
  const r = await cli('bench', '--model', 'quick', '--batch', '8', '--steps', '2', '--warmup', '1', '--json', '--backend', 'wasm');
  t.is(r.code, 0, r.stderr);
  const [row] = JSON.parse(r.stdout);
  t.is(row.backend, 'wasm');
  t.is(row.model, 'quick');
  t.is(row.batch, 8);
  t.true(row.images_per_sec > 0);
  t.is(row.tensors_after_last, row.tensors_after_first);
});

test('bench --threads 2 trains on the threaded wasm binary and exits when done', async (t) => {
  const r = await cli('bench', '--threads', '2', '--model', 'quick', '--batch', '8', '--steps', '2', '--warmup', '1', '--json', '--backend', 'wasm');
  t.is(r.code, 0, r.stderr);
  const [row] = JSON.parse(r.stdout);
  t.like(row, { backend: 'wasm', threads: 2, model: 'quick' });
  t.true(row.images_per_sec > 0);
  t.is(row.tensors_after_last, row.tensors_after_first);
});

needs('torch').test('bench --compare times the PyTorch reference beside ours and gives the ratio', async (t) => {
  const r = await cli('bench', '--compare', '--model', 'quick', '--batch', '8', '--steps', '1', '--rounds', '2', '--warmup', '1', '--json', '--backend', 'wasm');
  t.is(r.code, 0, r.stderr);
  const [row] = JSON.parse(r.stdout);
  t.like(row, { backend: 'wasm', model: 'quick', batch: 8, rounds: 2, steps_per_round: 1 });
  t.true(row.images_per_sec > 0 && row.torch_images_per_sec > 0);
  // With 2 rounds the median ratio is the mean of the two, so it lies inside their range.
  const [lo, hi] = row.ratio_range;
  t.true(lo > 0 && lo <= hi);
  t.true(Math.abs(row.ratio_vs_torch - (lo + hi) / 2) < 1e-9);
  t.regex(row.torch_version, /^\d+\.\d+/);
});

test('bench --compare without torch stops before timing and says how to install it', async (t) => {
  const r = await cli('bench', '--compare', '--model', 'quick', '--batch', '8', { env: { SIMSIAM_PYTHON: '/nonexistent/python3' } });
  t.is(r.code, 2);
  t.regex(r.stderr, /\/nonexistent\/python3 could not be run.*apt-get install python3-torch/);
  t.is(r.stdout, '');
});

test('every bad spec file gets one line naming the file and where, exit 2, no stack trace', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-spec-'));
  const put = (name: string, text: string) => (fs.writeFileSync(path.join(dir, name), text), path.join(dir, name));
  const cases: [string, RegExp][] = [
    [put('bad.yaml', 'name: x\nrows:\n  - {label: a, set: {epochs: 1}\n  - b: ['), /bad\.yaml, line 4, column 3: invalid YAML: /],
    [put('bad.json', '{\n  "name": "x",\n  "rows": [}\n'), /bad\.json, line 3, column 12: invalid JSON: Unexpected token '\}'$/m],
    [put('throws.ts', 'const x = 1;\nthrow new Error(\'no GPU here\');\nexport default x;\n'), /throws\.ts, line 2, column 7: the spec failed to load: no GPU here/],
    [put('nodefault.ts', 'export const spec = { name: "x" };\n'), /nodefault\.ts: no default export; export the spec with `export default defineExperiment/],
    [path.join(dir, 'missing.yaml'), /spec file not found: .*missing\.yaml/],
    [dir, /is a directory; give a spec file/],
    [put('wrong.yaml', 'name: x\nrows: []\n'), /invalid experiment spec .*wrong\.yaml:\n  rows: /],
  ];
  for (const [file, want] of cases) {
    const r = await cli('run', file, '--dry-run', '--db', path.join(dir, 'r.db'));
    t.is(r.code, 2, `${file}: ${r.stderr}`);
    t.regex(r.stderr, want);
    t.notRegex(r.stderr, /\n\s+at /, `${file}: no stack trace`);
  }
});

test('a database or port that cannot be used is one line saying what to do, exit 2', async (t) => {
  const r = await cli('tables', '--db', '/nonexistent/dir/r.db');
  t.is(r.code, 2);
  const notDb = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cli-')), 'x.db');
  fs.writeFileSync(notDb, 'this is not sqlite, it is text long enough to have a header of sorts....................................');
  const bad = await cli('tables', '--db', notDb);
  t.is(bad.code, 2, bad.stderr);
  t.regex(bad.stderr, /not a SQLite database/);
  t.notRegex(bad.stderr, /\n\s+at /);
  const busy = http.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => busy.once('listening', r));
  const port = (busy.address() as { port: number }).port;
  const dash = await cli('dashboard', '--db', path.join(os.tmpdir(), 'no-such.db'), '--port', String(port));
  busy.close();
  t.is(dash.code, 2, dash.stderr);
  t.regex(dash.stderr, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is in use; pick another with --port`));
});

test.serial('run --dry-run gives steps and estimated times per cell and for the sweep, and creates no database', async (t) => {
  const db = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cli-')), 'r.db');
  const r = await cli('run', 'stopgrad', '--preset', 'tiny', '--dry-run', '--db', db, '--workers', '1', '--backend', 'wasm');
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /2 cells, 0 done, 2 to run on 1 worker\(s\); backend wasm, \d+ thread\(s\) per cell/);
  t.regex(r.stdout, /[0-9a-f]{16} {2}new +80 +\d+s {2}w\/ stop-grad seed 0/);
  t.regex(r.stdout, /estimated: \d+s for 2 cell\(s\) on 1 worker\(s\); per-cell times: 2 from 1 calibration\(s\) just now/);
  t.false(fs.existsSync(db));
});

test('reproduce runs every built-in experiment once per cell, then report writes the findings up', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-rep-'));
  const db = path.join(dir, 'r.db');
  const r = await cli('reproduce', '--preset', 'tiny', '--seeds', '0', '--db', db, '--backend', 'wasm', '--set-unknown-is-an-error');
  t.is(r.code, 2, 'an unknown option is a usage error');
  // Every cell shape is timed (none left out of the estimate): about 5 s each here, one at a time.
  const dry = await cli('reproduce', '--preset', 'tiny', '--seeds', '0', '--db', db, '--backend', 'wasm', '--workers', '1', '--dry-run', { timeoutMs: 400_000 });
  t.is(dry.code, 0, dry.stderr);
  t.regex(dry.stdout, /predictor \(Table 1\) at preset 'tiny': 4 cells, 0 done, 1 reused from other experiments, 3 to run/, 'a cell an earlier experiment will train counts once');
  t.regex(dry.stdout, /reuses stopgrad +- +- {2}\(c\) lr not decayed seed 0/);
  t.regex(dry.stdout, /estimated: (at least )?\d+(m\d+)?s for \d+ cell\(s\) on 1 worker\(s\) across 8 experiments run one after another/);
  t.false(fs.existsSync(db), 'a dry run creates no database');
  // Every experiment at tiny: about a minute alone, several beside the other test files on 2 cores.
  const rep = await cli('reproduce', '--preset', 'tiny', '--seeds', '0', '--db', db, '--backend', 'wasm', { timeoutMs: 600_000 });
  t.is(rep.code, 0, `${rep.stderr}\n${rep.stdout.split('\n').filter((l) => /failed|error/i.test(l)).join('\n')}`);
  // The default SimSiam cell is shared by stopgrad, predictor, batchnorm, similarity and symmetry: trained once.
  t.is((rep.stdout.match(/the result of the same cell in stopgrad/g) ?? []).length, 4);
  t.regex(rep.stdout, /### Findings\n/);
  t.regex(rep.stdout, /\d+ reproduced, \d+ not reproduced, \d+ inconclusive, 3 not testable at this preset, of 12 findings\./);
  t.regex(rep.stdout, /\| batch-size-flat \| .* \| \*\*not testable at this preset\*\* \| "64" gets 40 SGD steps, .* at this preset; the claim needs ≥ 1000 per cell/);
  const json = await cli('report', '--db', db, '--format', 'json');
  t.is(json.code, 0, json.stderr);
  const report = JSON.parse(json.stdout);
  t.is(report.preset, 'tiny');
  t.is(report.findings.length, 12);
  const out = path.join(dir, 'report.html');
  const html = await cli('report', '--db', db, '--format', 'html', '--out', out);
  t.is(html.code, 0, html.stderr);
  t.regex(fs.readFileSync(out, 'utf8'), /^<!doctype html>/);
  const none = await cli('report', '--db', path.join(dir, 'none.db'));
  t.is(none.code, 2);
  t.regex(none.stderr, /does not exist: run an experiment first/);
});

const tfjsNodeInstalled = (() => {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
})();

(tfjsNodeInstalled ? test.skip : test)('a named backend that does not load is one line and exit 2, naming what to install', async (t) => {
  const r = await cli('bench', '--backend', 'tensorflow', '--model', 'quick', '--steps', '1');
  t.is(r.code, 2);
  t.regex(r.stderr, /^simsiam: backend 'tensorflow' could not be loaded: not installed\. Install @tensorflow\/tfjs-node/);
  t.notRegex(r.stderr, /\n\s+at /, 'no stack trace');
});
