import test from 'ava';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { EXPERIMENTS } from '../../experiments/registry.ts';
import { PLAN_FORMAT, planDifferences, planHash, planText, rowHashes, type Plan } from '../../results/plan/plan.ts';
import { spreadUpperLimit } from '../../results/plan/power-plan.ts';
import { provenance } from '../../results/report/provenance.ts';
import { rulesHash, rulesParts } from '../../results/rules.ts';
import { SqliteStore } from '../../runner/store/sqlite-store.ts';

const run = promisify(execFile);
const bin = new URL('../../bin/simsiam.mjs', import.meta.url).pathname;
async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...argv], { timeout: 300_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number | null; stdout: string; stderr: string };
    return { code: e.code ?? -1, stdout: e.stdout, stderr: e.stderr };
  }
}

/** A plan for stopgrad at tiny on wasm, as `simsiam plan` writes one (its figures stubbed). */
function tinyPlan(over: Partial<Plan> = {}): Plan {
  const parts = rulesParts();
  const spec = EXPERIMENTS.stopgrad;
  return {
    format: PLAN_FORMAT, writtenAt: '2026-12-07T00:00:00.000Z', version: '0.1.0', commit: null, preset: 'tiny', backend: 'wasm',
    rules: { hash: rulesHash(parts), parts }, alpha: 0.05, power: 0.8, family: 2, level: 0.025,
    calibration: { db: 'calibration.db', seeds: [100, 101, 102], commits: [] }, seeds: [1000, 1001, 1002], budgetSeconds: null,
    cost: { cells: 6, seconds: 60, workers: 2, perSeedSeconds: 20 },
    experiments: [{ name: 'stopgrad', rows: rowHashes(spec, 'tiny', spec.rows.map((r) => r.label)) }],
    findings: spec.findings!.map((f) => ({ id: f.id, experiment: 'stopgrad', claim: f.claim, finding: f, status: 'planned', why: null, parts: [], expects: 'reproduced', power: 0.9, seedsNeeded: 3 })),
    ...over,
  };
}

const specs = new Map(Object.entries(EXPERIMENTS));

test('a plan is refused when the rules, a row\'s configuration or a finding changed since it was written, naming what', (t) => {
  t.deepEqual(planDifferences(tinyPlan(), specs), []);
  const old = tinyPlan();
  old.rules.parts['results/verdicts.ts'] = '0000000000000000';
  old.rules.hash = rulesHash(old.rules.parts);
  t.regex(planDifferences(old, specs).join('\n'), /the judging rules changed since the plan was written \(rules [0-9a-f]{16}, now [0-9a-f]{16}\): results\/verdicts\.ts differ/);
  const row = tinyPlan();
  row.experiments[0].rows[1].configHash = 'deadbeefdeadbeef';
  t.regex(planDifferences(row, specs).join('\n'), /stopgrad, row "w\/o stop-grad": its configuration resolves to [0-9a-f]{16}, the plan has deadbeefdeadbeef/);
  const finding = tinyPlan();
  finding.findings[0].finding = { ...finding.findings[0].finding, test: { kind: 'trains', row: 'w/ stop-grad' } };
  t.regex(planDifferences(finding, specs).join('\n'), /finding stopgrad-collapse's declaration .* changed since the plan/);
  // A plan's hash is its file's: the same content, the same hash, whatever the key order.
  t.is(planHash(planText(tinyPlan())), planHash(planText(JSON.parse(JSON.stringify(tinyPlan())))));
});

test('a calibration\'s spread is taken at its 80% upper limit: 3 pairs never understate it', (t) => {
  // sd · √((n − 1)/χ²(0.2; n − 1)); χ²(0.2; 2) = 0.446.
  t.true(Math.abs(spreadUpperLimit(1, 3) - Math.sqrt(2 / 0.44629)) < 1e-3);
  t.true(spreadUpperLimit(1, 30) < 1.2 && spreadUpperLimit(1, 30) > 1);
});

function planStore(planRules: Record<string, string>) {
  const s = new SqliteStore(':memory:');
  const text = planText(tinyPlan({ rules: { hash: rulesHash(planRules), parts: planRules } }));
  const hash = planHash(text);
  s.savePlan({ hash, json: text, path: 'plans/tiny.json' });
  s.saveExperiment('stopgrad', 'Stop-gradient', EXPERIMENTS.stopgrad);
  const env = { packageVersion: '0.1.0', gitCommit: 'cellscommit0', host: 'h', pid: 1 };
  for (const seed of [1000, 1001, 1002]) {
    const r = s.enqueue({ experiment: 'stopgrad', cellHash: `c${seed}`, rowLabel: 'w/ stop-grad', axes: {}, seed, preset: 'tiny', config: { projector: { dim: 32 } } }, env);
    s.claim(r.id, { ...env, owner: 'o', planHash: hash }, { staleMs: 30_000, endedBefore: new Date() });
    s.finish(r.id, 'o', 'finished');
  }
  return { s, hash };
}

test('the report head names the plan and flags, in plain words, rules changed after its first cell', (t) => {
  const now = rulesParts();
  const git = (args: string[]) => (args[0] === 'rev-parse' ? 'judgingcommit' : args[0] === 'log' ? 'plancommit00 2026-12-01T00:00:00+00:00' : args[0] === 'diff' ? '' : null);
  const same = planStore(now);
  const p = provenance(same.s, same.s.runSummaries('stopgrad'), git);
  t.is(p.planHash, same.hash);
  t.regex(p.lines.join(' '), /Registered plan [0-9a-f]{16} \(plans\/tiny\.json\): committed 2026-12-01T00:00:00\+00:00 \(commit plancommit00\), first cell started .* The plan came first\. The judging rules are the plan's, unchanged\./);
  const changed = planStore({ ...now, 'results/stats.ts': 'an older version' });
  t.regex(provenance(changed.s, changed.s.runSummaries('stopgrad'), git).lines.join(' '),
    /\*\*The judging rules changed after the plan was written, and so after its first cell: results\/stats\.ts differ\.\*\*/);
  const late = (args: string[]) => (args[0] === 'log' ? 'plancommit00 2099-01-01T00:00:00+00:00' : git(args));
  t.regex(provenance(same.s, same.s.runSummaries('stopgrad'), late).lines.join(' '), /The plan was committed after its first cell started: this is not a registered report/);
  // Without a plan, the cells' commit against the judging commit.
  const bare = new SqliteStore(':memory:');
  bare.saveExperiment('stopgrad', 'Stop-gradient', EXPERIMENTS.stopgrad);
  const env = { packageVersion: '0.1.0', gitCommit: 'cellscommit0', host: 'h', pid: 1 };
  const r = bare.enqueue({ experiment: 'stopgrad', cellHash: 'x', rowLabel: 'w/ stop-grad', axes: {}, seed: 1000, preset: 'tiny', config: {} }, env);
  bare.claim(r.id, { ...env, owner: 'o' }, { staleMs: 30_000, endedBefore: new Date() });
  bare.finish(r.id, 'o', 'finished');
  const moved = (args: string[]) => (args[0] === 'diff' && args[1] === '--name-only' ? 'results/verdicts.ts' : git(args));
  const head = provenance(bare, bare.runSummaries('stopgrad'), moved).lines.join(' ');
  t.regex(head, /\*\*No registered plan: these cells ran without one/);
  t.regex(head, /\*\*The judging rules changed after the first cell \(.*\): results\/verdicts\.ts differ between the cells' commit and the judging commit\.\*\*/);
});

test('plan --help; reproduce --plan refuses an uncommitted or outdated plan, and runs a plan\'s cells under its hash', async (t) => {
  const help = await cli('plan', '--help');
  t.is(help.code, 0);
  t.regex(help.stdout, /--calibration-seeds <list>/);
  t.regex(help.stdout, /--budget <duration>/);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plan-'));
  const file = path.join(dir, 'plan.json');
  const db = path.join(dir, 'confirmation.db');
  fs.writeFileSync(file, planText(tinyPlan()));
  const uncommitted = await cli('reproduce', '--plan', file, '--db', db);
  t.is(uncommitted.code, 2);
  t.regex(uncommitted.stderr, /is not committed: a registered plan is committed before its cells run/);
  const old = tinyPlan();
  old.rules.parts['results/outcome.ts'] = 'was';
  old.rules.hash = rulesHash(old.rules.parts);
  fs.writeFileSync(path.join(dir, 'old.json'), planText(old));
  const refused = await cli('reproduce', '--plan', path.join(dir, 'old.json'), '--db', db, '--uncommitted');
  t.is(refused.code, 2);
  t.regex(refused.stderr, /cannot run as written:\n {2}the judging rules changed since the plan was written .*results\/outcome\.ts differ/);
  t.false(refused.stderr.includes('    at '), 'no stack trace');
  const seeds = await cli('reproduce', '--plan', file, '--db', db, '--uncommitted', '--seeds', '1,2,3');
  t.regex(seeds.stderr, /--seeds: a plan fixes its seeds/);
  const ok = await cli('reproduce', '--plan', file, '--db', db, '--uncommitted', '--workers', '2');
  t.is(ok.code, 0, ok.stderr);
  t.regex(ok.stdout, /plan [0-9a-f]{16} \(.*plan\.json\): preset 'tiny', seeds 1000–1002, backend wasm/);
  t.regex(ok.stdout, /stopgrad \(Sec\. 4\.1, Fig\. 2\) at preset 'tiny': 6 cells/);
  const store = new SqliteStore(db, { readonly: true });
  const hash = planHash(fs.readFileSync(file, 'utf8'));
  t.true(store.runSummaries('stopgrad').every((r) => r.planHash === hash), 'every cell records the plan');
  t.is(store.plans()[0].hash, hash);
  store.close();
  const report = await cli('report', '--db', db, '--format', 'json');
  const json = JSON.parse(report.stdout);
  t.is(json.provenance.plan, hash);
  t.regex(json.command, /^simsiam reproduce --plan .*plan\.json$/, 'the report names the command that made its cells: the plan');
});
