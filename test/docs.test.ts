import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { verdictCounts } from '../results/findings-summary.ts';
import type { Verdict } from '../results/verdicts.ts';

const root = path.resolve(import.meta.dirname, '..');
const read = (f: string) => fs.readFileSync(path.join(root, f), 'utf8');

/** The committed reports, and what the README and docs/reproduction.md say of them. */
const REPORTS = ['docs/reproduction-medium', 'docs/reproduction-small'];

interface ReportJson { preset: string; command: string; seeds: string; findings: { id: string; verdict: Verdict; shared_with: string[] }[] }

/** A section of docs/reproduction.md, from the heading that starts with `heading` to the next. */
function section(heading: string): string {
  const all = read('docs/reproduction.md');
  const start = all.indexOf(`## ${heading}`);
  if (start < 0) return '';
  const end = all.indexOf('\n## ', start + 1);
  return all.slice(start, end < 0 ? undefined : end);
}

const commitOf = (md: string) => /; commit ([0-9a-f]{12}) \(\d+ cells\);/.exec(md)?.[1] ?? 'none';

for (const report of REPORTS) {
  test(`${report}: the README and docs/reproduction.md agree with it, finding by finding`, (t) => {
    const json = JSON.parse(read(`${report}.json`)) as ReportJson;
    const md = read(`${report}.md`);
    t.regex(md, /^# SimSiam reproduction report\n\nProduced by `simsiam reproduce --preset \w+ --seeds [\d,]+ --backend [\w-]+` in .*; confirmation seeds [\d, ]+; backend [\w-]+ \(\d+ cells\); commit [0-9a-f]{12} \(\d+ cells\);/,
      'headed by the command, wall time, seeds, one backend and one commit');
    const counts = verdictCounts(json.findings.map((f) => ({ ...f, sharedWith: f.shared_with })));
    // The README gives each report's counts right after its link.
    const readme = read('README.md');
    const link = readme.indexOf(`(${report}.md)`);
    t.true(link >= 0 && readme.slice(link, link + 700).includes(counts), `README, after the link to ${report}.md: "${counts}"`);
    // The preset's own section of docs/reproduction.md: its command, commit, counts and verdicts.
    const repro = section(`\`${json.preset}\``);
    t.true(repro.length > 0, `docs/reproduction.md has a section for ${json.preset}`);
    t.true(repro.replace(/\s+/g, ' ').includes(json.command), `docs/reproduction.md gives the command: ${json.command}`);
    t.true(repro.includes(commitOf(md).slice(0, 7)), 'and the commit');
    t.true(repro.includes(counts), `docs/reproduction.md: "${counts}"`);
    t.is(json.findings.length, 11);
    for (const f of json.findings) t.regex(repro, new RegExp(`^\\| ${f.id} \\| \\*\\*${f.verdict}\\*\\* \\|`, 'm'), f.id);
  });
}

test('docs/reproduction-medium-wasm: the wasm column of docs/reproduction.md agrees with it, on the medium report\'s commit and seeds', (t) => {
  const json = JSON.parse(read('docs/reproduction-medium-wasm.json')) as ReportJson;
  const md = read('docs/reproduction-medium-wasm.md');
  const medium = read('docs/reproduction-medium.md');
  t.is(commitOf(md), commitOf(medium), 'one commit on both backends');
  t.is(json.seeds, (JSON.parse(read('docs/reproduction-medium.json')) as ReportJson).seeds, 'the same seeds');
  const wasm = section('The same seeds on `wasm`');
  t.true(wasm.length > 0);
  t.is(json.findings.length, 4);
  for (const f of json.findings) t.regex(wasm, new RegExp(`^\\| ${f.id} \\| [^|]+ \\| (\\*\\*)?${f.verdict}\\b`, 'm'), f.id);
});
