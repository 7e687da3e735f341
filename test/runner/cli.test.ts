import test from 'ava';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { needs } from '../helpers/system.ts';

const run = promisify(execFile);
const bin = new URL('../../bin/simsiam.mjs', import.meta.url).pathname;

/** Run the CLI; a trailing object sets environment variables. */
async function cli(...args: (string | { env: Record<string, string> })[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const last = args.at(-1);
  const env = typeof last === 'object' ? { ...process.env, ...last.env } : process.env;
  const argv = args.filter((a): a is string => typeof a === 'string');
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...argv], { timeout: 120_000, env });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
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
  t.is(p.code, 1);
  t.regex(p.stderr, /Allowed choices are small, tiny, fashion, paper/);
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
  t.regex(r.stdout, /\| SimSiam \| \d+\.\d \(n=1\) \| 68\.1 \| ok \|/);
  const csv = await cli('tables', 'baseline', '--db', db, '--format', 'csv');
  t.is(csv.code, 0, csv.stderr);
  t.regex(csv.stdout, /^experiment,variant,/);
  t.regex(csv.stdout, /baseline,SimSiam,\d+\.\d \(n=1\),68\.1,ok/);
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
  t.true(Math.abs(row.ratio_vs_torch - row.images_per_sec / row.torch_images_per_sec) < 1e-9);
  t.regex(row.torch_version, /^\d+\.\d+/);
});

test('bench --compare without torch stops before timing and says how to install it', async (t) => {
  const r = await cli('bench', '--compare', '--model', 'quick', '--batch', '8', { env: { SIMSIAM_PYTHON: '/nonexistent/python3' } });
  t.is(r.code, 2);
  t.regex(r.stderr, /\/nonexistent\/python3 could not be run.*apt-get install python3-torch/);
  t.is(r.stdout, '');
});
