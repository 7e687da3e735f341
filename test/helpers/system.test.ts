import test from 'ava';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ava = new URL('../../node_modules/ava/entrypoints/cli.mjs', import.meta.url).pathname;

/** Run ava on one test file with some environment; never rejects. */
async function avaOn(file: string, env: Record<string, string>): Promise<{ code: number; out: string }> {
  try {
    const r = await run(process.execPath, [ava, file], { env: { ...process.env, ...env }, timeout: 120_000 });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

test('a missing component skips its tests with the reason and the install command', async (t) => {
  const r = await avaOn('test/data/fashion-mnist.test.ts', { CI: '', SIMSIAM_FASHION_MNIST_DIR: '/nonexistent/fmnist' });
  t.is(r.code, 0, r.out);
  t.regex(r.out, /\[skip\] Debian's Fashion-MNIST loads \[skipped: fashion-mnist missing: \/nonexistent\/fmnist lacks train-images-idx3-ubyte.*; install with `apt-get install dataset-fashion-mnist`/);
  t.regex(r.out, /1 test skipped/);
});

test('hooks of a file whose component is missing do not run', async (t) => {
  const r = await avaOn('test/dashboard/browser.test.ts', { CI: '', SIMSIAM_CHROMIUM: '/nonexistent/chromium' });
  t.is(r.code, 0, r.out);
  t.regex(r.out, /chromium missing: \/nonexistent\/chromium cannot be run \(ENOENT\); install with `apt-get install chromium`/);
  t.regex(r.out, /3 tests skipped/);
  t.notRegex(r.out, /hook failed/);
});

test('under CI=true a missing component fails, naming it', async (t) => {
  const r = await avaOn('test/data/fashion-mnist.test.ts', { CI: 'true', SIMSIAM_FASHION_MNIST_DIR: '/nonexistent/fmnist' });
  t.not(r.code, 0);
  t.regex(r.out, /CI=true requires it: fashion-mnist missing: \/nonexistent\/fmnist lacks/);
  t.regex(r.out, /1 test failed/);
});
