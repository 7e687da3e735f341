import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { verdictCounts } from '../results/findings-summary.ts';
import type { Verdict } from '../results/verdicts.ts';

const root = path.resolve(import.meta.dirname, '..');
const read = (f: string) => fs.readFileSync(path.join(root, f), 'utf8');

/** The committed reports, and what the README and docs/reproduction.md say of them. */
const REPORTS = ['docs/reproduction-medium', 'docs/reproduction-small'];

for (const report of REPORTS) {
  test(`${report}: the README and docs/reproduction.md agree with it, finding by finding`, (t) => {
    const json = JSON.parse(read(`${report}.json`)) as { preset: string; command: string; seeds: string; findings: { id: string; verdict: Verdict; shared_with: string[] }[] };
    const md = read(`${report}.md`);
    t.regex(md, /^# SimSiam reproduction report\n\nProduced by `simsiam reproduce --preset \w+ --seeds [\d,]+ --backend [\w-]+` in .*; confirmation seeds [\d, ]+; backend [\w-]+ \(\d+ cells\); commit [0-9a-f]{12} \(\d+ cells\);/,
      'headed by the command, wall time, seeds, one backend and one commit');
    const counts = verdictCounts(json.findings.map((f) => ({ ...f, sharedWith: f.shared_with }))).split('.')[0];
    t.true(read('README.md').includes(counts), `README: "${counts}"`);
    // The preset's own section of docs/reproduction.md, from its heading to the next.
    const all = read('docs/reproduction.md');
    const start = all.indexOf(`## \`${json.preset}\``);
    t.true(start >= 0, `docs/reproduction.md has a section for ${json.preset}`);
    const end = all.indexOf('\n## ', start + 1);
    const repro = all.slice(start, end < 0 ? undefined : end);
    t.true(repro.includes(counts), `docs/reproduction.md: "${counts}"`);
    t.is(json.findings.length, 11);
    for (const f of json.findings) t.regex(repro, new RegExp(`^\\| ${f.id} \\| \\*\\*${f.verdict}\\*\\* \\|`, 'm'), f.id);
  });
}
