import test from 'ava';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const depcruise = path.join(root, 'node_modules', '.bin', 'depcruise');

/** Run the project's import check over a tree of files written in a scratch folder. */
function check(files: Record<string, string>): { status: number | null; out: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'layout-'));
  fs.copyFileSync(path.join(root, '.dependency-cruiser.cjs'), path.join(dir, '.dependency-cruiser.cjs'));
  for (const [f, body] of Object.entries(files)) {
    fs.mkdirSync(path.join(dir, path.dirname(f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), body);
  }
  const dirs = [...new Set(Object.keys(files).map((f) => f.split('/')[0]))];
  const r = spawnSync(depcruise, ['--config', '.dependency-cruiser.cjs', ...dirs], { cwd: dir, encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

test('the import check passes the layers one way and fails a planted wrong-way import, a cycle and an import of test/', (t) => {
  const ok = check({
    'core/a.ts': 'export const a = 1;\n',
    'results/r.ts': "import { a } from '../core/a.ts';\nexport const r = a;\n",
    'cli/main.ts': "import { r } from '../results/r.ts';\nexport const m = r;\n",
  });
  t.is(ok.status, 0, ok.out);
  const wrong = check({ 'core/a.ts': "import { r } from '../results/r.ts';\nexport const a = r;\n", 'results/r.ts': 'export const r = 1;\n' });
  t.not(wrong.status, 0);
  t.regex(wrong.out, /core-imports-only-itself: core\/a\.ts → results\/r\.ts/);
  const cycle = check({ 'runner/a.ts': "import { b } from './b.ts';\nexport const a = b;\n", 'runner/b.ts': "import { a } from './a.ts';\nexport const b = () => a;\n" });
  t.regex(cycle.out, /no-circular/);
  const usesTest = check({ 'bench/x.ts': "import { h } from '../test/h.ts';\nexport const x = h;\n", 'test/h.ts': 'export const h = 1;\n' });
  t.regex(usesTest.out, /not-test: bench\/x\.ts → test\/h\.ts/);
});

test('the repository itself passes the import check', (t) => {
  const r = spawnSync('npm', ['run', '--silent', 'check:imports'], { cwd: root, encoding: 'utf8' });
  t.is(r.status, 0, r.stdout + r.stderr);
});

test('a cell\'s configuration is resolved in one module: only experiments/resolve.ts merges rows and applies overrides', (t) => {
  const root = path.resolve(import.meta.dirname, '..');
  const files = (dir: string): string[] => fs.readdirSync(path.join(root, dir), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
  const users = ['core', 'experiments', 'runner', 'results', 'dashboard', 'cli', 'bench'].flatMap(files)
    .filter((f) => /\b(mergeConfig|applyOverrides|setOverride)\(/.test(fs.readFileSync(path.join(root, f), 'utf8')));
  t.deepEqual(users.sort(), [path.join('experiments', 'resolve.ts'), path.join('experiments', 'validate.ts')]);
});
