import test from 'ava';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeSnapshot, type CheckpointKey } from '../../core/checkpoint/codec.ts';
import type { TrainSnapshot } from '../../core/checkpoint/snapshot.ts';
import { CellFiles } from '../../runner/checkpoint/cell-files.ts';
import { oneRowSpec, onlyRun, storedMetrics } from '../helpers/cells.ts';
import { simsiam } from '../helpers/processes.ts';

const KEY: CheckpointKey = { cell: 'aaaaaaaaaaaaaaaa', backend: 'wasm', device: null, version: '0.1.0', commit: 'abc' };
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'ckpt-'));

function snapshot(epoch: number, values = 1000): TrainSnapshot {
  const e = { epoch, loss: epoch ? -0.5 : NaN, lossStd: 0, lossMax: -Infinity, zStd: 0.1, knnAcc: 0.5, lr: 0.1, seconds: 1, dataWaitShare: 0, knnSeconds: 0 };
  return {
    step: epoch * 8, epochs: Array.from({ length: epoch + 1 }, (_, i) => ({ ...e, epoch: i })), drawn: epoch, orderRng: 12345, block: null,
    partial: { lossSum: 0, lossSq: 0, lossMax: -Infinity, stdSum: 0, stdCount: 0, waitMs: 0, lr: 0, done: 0, elapsedMs: 0 },
    arrays: { 'var/w': Float32Array.from({ length: values }, (_, i) => i / 7), 'order/perm': Int32Array.from([3, 1, 2]), 'target/seen': Uint8Array.from([1, 0]) },
  };
}

test('a checkpoint reads back exactly, NaN and -Infinity included', async (t) => {
  const f = new CellFiles(tmp(), KEY.cell);
  await f.save(snapshot(2), KEY);
  const got = f.load(KEY);
  t.is(got.kind, 'resume');
  if (got.kind !== 'resume') return;
  t.is(got.epoch, 2);
  t.deepEqual(got.snapshot, snapshot(2));
});

test('a damaged or truncated checkpoint is refused with why, never loaded', async (t) => {
  const f = new CellFiles(tmp(), KEY.cell);
  await f.save(snapshot(3), KEY);
  const good = fs.readFileSync(f.latest);
  const flipped = Buffer.from(good);
  flipped[flipped.length - 100] ^= 1; // one bit of one weight
  fs.writeFileSync(f.latest, flipped);
  t.deepEqual(f.load(KEY), { kind: 'refused', reason: 'it is damaged: its checksum does not match its contents' });
  fs.writeFileSync(f.latest, good.subarray(0, good.length - 4000));
  t.regex((f.load(KEY) as { reason: string }).reason, /damaged/);
  fs.writeFileSync(f.latest, good.subarray(0, 5));
  t.regex((f.load(KEY) as { reason: string }).reason, /truncated/);
  t.throws(() => decodeSnapshot(flipped), { message: /checksum/ });
});

test('a checkpoint of another config hash, backend, version or commit is not used, and says which', async (t) => {
  const f = new CellFiles(tmp(), KEY.cell);
  await f.save(snapshot(1), { ...KEY, cell: 'bbbbbbbbbbbbbbbb' });
  t.deepEqual(f.load(KEY), { kind: 'refused', reason: 'it is of config hash bbbbbbbbbbbbbbbb, not aaaaaaaaaaaaaaaa' });
  await f.save(snapshot(1), { ...KEY, backend: 'native-cpu' });
  t.regex((f.load(KEY) as { reason: string }).reason, /written on native-cpu, this run is on wasm/);
  await f.save(snapshot(1), { ...KEY, version: '0.0.9' });
  t.regex((f.load(KEY) as { reason: string }).reason, /version 0\.0\.9/);
  await f.save(snapshot(1), { ...KEY, commit: 'def' });
  t.regex((f.load(KEY) as { reason: string }).reason, /commit def/);
});

test('a write that fails leaves the previous checkpoint whole, and its temp file is gone', async (t) => {
  const dir = tmp();
  const f = new CellFiles(dir, KEY.cell);
  await f.save(snapshot(1), KEY);
  // A directory where the temp file's rename must land: the write itself succeeds, the rename cannot.
  fs.rmSync(f.latest);
  fs.mkdirSync(f.latest);
  fs.writeFileSync(path.join(f.latest, 'x'), '');
  await t.throwsAsync(f.save(snapshot(2), KEY));
  t.deepEqual(fs.readdirSync(dir), [path.basename(f.latest)], 'no temp file left');
});

const unshare = spawnSync('unshare', ['-m', 'true']).status === 0;
(unshare ? test : test.skip)('a full disk while checkpointing: one line, the sweep stops, the previous checkpoint is whole and the same command resumes from it', async (t) => {
  const { dir, spec } = oneRowSpec('fulldisk', {});
  const mnt = path.join(dir, 'ckpt');
  fs.mkdirSync(mnt);
  const db = path.join(dir, 'r.db');
  const args = ['--preset', 'tiny', '--seeds', '0', '--set', 'epochs=4', '--backend', 'wasm'];
  const r = spawnSync('unshare', ['-m', new URL('../helpers/full-disk.sh', import.meta.url).pathname, mnt, spec, db, ...args], { encoding: 'utf8', timeout: 240_000 });
  t.is(r.status, 0, r.stderr);
  const first = fs.readFileSync(`${db}.first.log`, 'utf8');
  t.regex(first, /cannot write the checkpoint \S+: no space left on device \(ENOSPC\); the previous checkpoint \(epoch \d\) is intact/);
  t.regex(first, /first exit 3\b/, 'stopped as for a failed database write');
  t.notRegex(first, /\n\s+at /, 'no stack trace');
  const kept = decodeSnapshot(fs.readFileSync(`${db}.kept-checkpoint`));
  t.true(kept.snapshot.epochs.length >= 2, 'the earlier checkpoint decodes, checksum and all');
  const second = fs.readFileSync(`${db}.second.log`, 'utf8');
  t.regex(second, /resuming fulldisk seed 0 from epoch \d/);
  t.regex(second, /second exit 0\b/);
  t.like(onlyRun(db), { status: 'finished' });
  t.is(storedMetrics(db).filter((m) => m.startsWith('loss@')).length, 4);
});
