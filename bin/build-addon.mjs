#!/usr/bin/env node
// Builds native-cpu's addon (core/backends/native-cpu/addon/: fused batch norm and SGD, and
// the convolutions) with node-gyp, at install (npm's postinstall) or by hand (`npm run build:addon`). It
// is optional: a build that fails prints one line and leaves native-cpu on onnxruntime and
// wasm alone. SIMSIAM_ADDON=off skips the build (and its use at run time).
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'core', 'backends', 'native-cpu', 'addon');
const say = (line) => process.stderr.write(`simsiam: ${line}\n`);

if (process.env.SIMSIAM_ADDON === 'off') {
  rmSync(join(dir, 'build'), { recursive: true, force: true });
  say('SIMSIAM_ADDON=off: native-cpu\'s addon not built; native-cpu runs on onnxruntime and wasm alone');
  process.exit(0);
}

// npm names its own node-gyp to install scripts; by hand, look beside npm, then on PATH.
function nodeGyp() {
  const candidates = [process.env.npm_config_node_gyp];
  const npmCli = process.env.npm_execpath;
  if (npmCli) candidates.push(join(dirname(npmCli), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  candidates.push(join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  const found = candidates.find((p) => p && existsSync(p));
  return found ? [process.execPath, found] : ['node-gyp'];
}

// Node's own headers where it was installed with them, so that nothing is downloaded.
const prefix = join(dirname(process.execPath), '..');
const nodedir = process.env.npm_config_nodedir ||
  (existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : null);
const [cmd, ...pre] = nodeGyp();
const args = [...pre, 'rebuild', '--release', ...(nodedir ? [`--nodedir=${nodedir}`] : [])];
// Without Node's headers node-gyp downloads them: bounded, so that an offline install ends.
const r = spawnSync(cmd, args, { cwd: dir, encoding: 'utf8', timeout: 300_000 });
if (r.status === 0) {
  // What it was built from: the loader refuses a build whose sources have changed since.
  register();
  const { ADDON_SOURCE_STAMP, sourceHash } = await import('../core/backends/native-cpu/addon-source.ts');
  writeFileSync(ADDON_SOURCE_STAMP, `${sourceHash()}\n`);
  say('native-cpu\'s addon built (fused batch norm and SGD, the convolutions)');
} else {
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  const why = r.error ? r.error.message
    : r.signal ? `killed by ${r.signal}`
    : (out.split('\n').find((l) => /error/i.test(l)) ?? `exit ${r.status}`).trim();
  rmSync(join(dir, 'build'), { recursive: true, force: true });
  say(`native-cpu's addon not built (${why.slice(0, 200)}); native-cpu runs without it. It needs a C compiler and Python for node-gyp (\`apt-get install build-essential python3\`); then \`npm run build:addon\``);
}

