import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { simsiam, until } from '../helpers/processes.ts';
import { oneRowSpec, onlyRun, spawnGroup, storedMetrics } from '../helpers/cells.ts';

/**
 * A cell killed mid-epoch resumes from its last checkpoint and ends with every stored
 * metric bit-identical to an uninterrupted run's, none doubled, having trained only the
 * epochs after the checkpoint.
 */

const EPOCHS = 5;
// 32 steps an epoch (1024 images, batch 32): long enough to be killed inside one.
const common = ['--preset', 'tiny', '--seeds', '0', '--set', `epochs=${EPOCHS}`, '--set', 'data.train=1024', '--backend', 'wasm'];
const TARGETS = {
  simsiam: {},
  'moving-average': { predictor: { kind: 'none' }, target: { kind: 'moving-average', momentum: 0.8, init: 'first', normalize: true } },
} as const;
type Target = keyof typeof TARGETS;

/** The uninterrupted run of each target, once: its database and seconds per epoch. */
const references = new Map<Target, Promise<{ spec: string; metrics: string[]; epochSeconds: number }>>();
function reference(target: Target) {
  if (!references.has(target)) {
    references.set(target, (async () => {
      const { dir, spec } = oneRowSpec(target, TARGETS[target]);
      const db = path.join(dir, 'reference.db');
      const t0 = Date.now();
      const r = await simsiam(['run', spec, '--db', db, ...common]).exited;
      if (r.code !== 0) throw new Error(r.out);
      return { spec, metrics: storedMetrics(db), epochSeconds: (Date.now() - t0) / 1000 / EPOCHS };
    })());
  }
  return references.get(target)!;
}

/** Run the cell into a fresh database and stop it by `stop` a while into epoch 4, after its 3rd checkpoint. */
async function interrupted(spec: string, epochSeconds: number, stop: (pid: number) => void) {
  const db = path.join(path.dirname(spec), `interrupted-${Math.random().toString(36).slice(2)}.db`);
  const first = spawnGroup(['run', spec, '--db', db, ...common]);
  await until(() => onlyRun(db)?.checkpointEpoch === 3, 180_000, 'the third checkpoint');
  await new Promise((r) => setTimeout(r, Math.max(100, epochSeconds * 300)));
  stop(first.child.pid!);
  await first.exited;
  return { db, out: first.out() };
}

for (const target of Object.keys(TARGETS) as Target[]) {
  test(`${target}: killed with SIGKILL mid-epoch after its 3rd checkpoint, the same command resumes it to bit-identical metrics`, async (t) => {
    const ref = await reference(target);
    const { db } = await interrupted(ref.spec, ref.epochSeconds, (pid) => process.kill(-pid, 'SIGKILL'));
    const left = onlyRun(db)!;
    t.is(left.status, 'running', 'a kill -9 leaves the cell as running, to a process that is gone');
    t.is(left.checkpointEpoch, 3, 'killed before epoch 4 ended');
    t.deepEqual(storedMetrics(db).filter((m) => m.startsWith('loss@')).length, 3, 'epoch 4 had not been stored');
    await check(t, ref, db);
  });
}

test('SimSiam: stopped with SIGTERM mid-epoch, the same command resumes it to bit-identical metrics', async (t) => {
  const ref = await reference('simsiam');
  const { db, out } = await interrupted(ref.spec, ref.epochSeconds, (pid) => process.kill(pid, 'SIGTERM'));
  t.regex(out, /SIGTERM, stopping/);
  t.like(onlyRun(db), { status: 'interrupted', checkpointEpoch: 3 });
  await check(t, ref, db);
});

async function check(t: import('ava').ExecutionContext, ref: { spec: string; metrics: string[] }, db: string) {
  const again = await simsiam(['run', ref.spec, '--db', db, '--verbose', ...common]).exited;
  t.is(again.code, 0, again.out);
  t.regex(again.out, new RegExp(`resuming ${path.basename(ref.spec, '.json')} seed 0 from epoch 3\\b`));
  const trained = [...again.out.matchAll(/: epoch +(\d+) /g)].map((m) => Number(m[1]));
  t.deepEqual(trained, [4, 5], 'the rerun trained only the epochs after the checkpoint');
  const got = storedMetrics(db);
  t.is(new Set(got.map((m) => m.split('=')[0])).size, got.length, 'no metric stored twice');
  t.deepEqual(got, ref.metrics, 'every metric (name, epoch, step, value) equals the uninterrupted run\'s');
  t.like(onlyRun(db), { status: 'finished', kept: { kind: 'encoder' } });
  t.false(fs.existsSync(path.join(`${db}.checkpoints`, `${onlyRun(db)!.cellHash}.checkpoint.safetensors`)), 'the running checkpoint is gone once the cell finished');
}
