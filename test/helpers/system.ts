import test, { type ExecutionContext } from 'ava';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { FASHION_MNIST_DIR } from '../../core/data/fashion-mnist.ts';
import { torchPython, torchUnavailable } from '../../bench/torch-reference.ts';

/**
 * Optional system components some tests need. Each is probed for real (a binary that
 * runs, a module that imports, files that exist); each probe's path can be pointed
 * elsewhere through an environment variable, which is how the skip path is tested.
 * `npm run setup:system` installs them all.
 */
export type Component = 'chromium' | 'redis-server' | 'torch' | 'fashion-mnist';

interface ComponentProbe {
  /** Environment variable that overrides the path probed. */
  env: string;
  fallback: string;
  install: string;
  /** Why the component at `where` is unusable, or null when it works. */
  probe(where: string): string | null;
}

function runs(cmd: string, args: string[]): string | null {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 30_000 });
  if (r.error) return `${cmd} cannot be run (${(r.error as NodeJS.ErrnoException).code ?? r.error.message})`;
  return r.status === 0 ? null : `${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}`;
}

const FASHION_FILES = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];

const COMPONENTS: Record<Component, ComponentProbe> = {
  chromium: {
    env: 'SIMSIAM_CHROMIUM', fallback: '/usr/bin/chromium', install: 'apt-get install chromium',
    probe: (p) => runs(p, ['--headless', '--no-sandbox', '--version']),
  },
  'redis-server': {
    env: 'SIMSIAM_REDIS_SERVER', fallback: 'redis-server', install: 'apt-get install redis-server',
    probe: (p) => runs(p, ['--version']),
  },
  torch: {
    env: 'SIMSIAM_PYTHON', fallback: torchPython(), install: 'apt-get install python3-torch libopenblas0-pthread',
    probe: () => torchUnavailable()?.split(';')[0] ?? null, // it reads SIMSIAM_PYTHON itself
  },
  'fashion-mnist': {
    env: 'SIMSIAM_FASHION_MNIST_DIR', fallback: FASHION_MNIST_DIR, install: 'apt-get install dataset-fashion-mnist',
    probe: (dir) => {
      const missing = FASHION_FILES.filter((f) => !fs.existsSync(path.join(dir, f)) && !fs.existsSync(path.join(dir, `${f}.gz`)));
      return missing.length ? `${dir} lacks ${missing.join(', ')}` : null;
    },
  },
};

const cache = new Map<Component, string | null>();

/** The path a component is used from (its environment variable, else the default). */
export function componentPath(c: Component): string {
  return process.env[COMPONENTS[c].env] || COMPONENTS[c].fallback;
}

/** Null when the component works here; otherwise one line: what is wrong and the command that installs it. */
export function missing(c: Component): string | null {
  if (!cache.has(c)) {
    const why = COMPONENTS[c].probe(componentPath(c));
    cache.set(c, why && `${c} missing: ${why}; install with \`${COMPONENTS[c].install}\` (or \`npm run setup:system\`)`);
  }
  return cache.get(c)!;
}

/** Under CI every component is required: a missing one fails instead of skipping. */
const REQUIRED = process.env.CI === 'true' || process.env.CI === '1';

type Impl = (t: ExecutionContext) => unknown;

/**
 * Tests that need components: registered as usual where they work, skipped with the
 * reason in their title where one is missing, and failed with that reason under CI=true.
 * `ready` is false when a file's hooks must not run.
 */
export function needs(...components: Component[]): { ready: boolean; test: (title: string, impl: Impl) => void; serial: (title: string, impl: Impl) => void } {
  const why = components.map(missing).filter((x): x is string => x != null).join('; ');
  const register = (serial: boolean) => (title: string, impl: Impl) => {
    if (!why) (serial ? test.serial : test)(title, impl);
    else if (REQUIRED) test(title, (t) => t.fail(`CI=true requires it: ${why}`));
    else test.skip(`${title} [skipped: ${why}]`, impl);
  };
  return { ready: !why, test: register(false), serial: register(true) };
}
