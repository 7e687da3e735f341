import fs from 'node:fs';
import path from 'node:path';
import { SetupError } from '../core/user-error.ts';
import type { PresetName } from '../experiments/presets.ts';
import { EXPERIMENTS } from '../experiments/registry.ts';
import type { ExperimentSpec } from '../experiments/spec.ts';
import { SpecError } from '../experiments/validate.ts';
import { REPRODUCED } from '../results/findings-summary.ts';
import { buildPlan, testableAt } from '../results/plan/build-plan.ts';
import { planDifferences, planHash, planText, readPlan, type Plan } from '../results/plan/plan.ts';
import { describeSeeds, seedRole } from '../results/seeds.ts';
import { git, runEnvironment } from '../runner/environment.ts';
import { fmtDuration } from '../runner/progress.ts';
import { openStore } from '../runner/store/open.ts';
import { runExperiments, type RunExperimentsOptions } from './run-experiments.ts';

/** `8h`, `90m`, `1h30m`, `3600s` or seconds: a budget in seconds. */
export function parseDuration(v: string): number {
  const m = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s?)?$/.exec(v.trim());
  if (!m || !v.trim() || (m[1] == null && m[2] == null && m[3] == null)) throw new SpecError(`--budget ${v}: expected a duration such as 8h, 90m, 1h30m or 3600s`);
  return 3600 * Number(m[1] ?? 0) + 60 * Number(m[2] ?? 0) + Number(m[3] ?? 0);
}

export interface PlanOptions extends Omit<RunExperimentsOptions, 'seeds' | 'preset'> {
  preset: PresetName;
  calibrationSeeds: number[];
  budget?: string;
  seeds?: number;
  seedsFrom: number;
  untestable?: boolean;
  /** The plan file to write. */
  file: string;
  experiments?: string[];
}

function specsOf(names?: string[]): ExperimentSpec[] {
  const unknown = (names ?? []).filter((n) => !(n in EXPERIMENTS));
  if (unknown.length) throw new SpecError(`--experiments: unknown ${unknown.map((n) => `'${n}'`).join(', ')}; built-ins: ${Object.keys(EXPERIMENTS).join(', ')}`);
  return (names ?? [...REPRODUCED]).map((n) => EXPERIMENTS[n]);
}

const pct = (x: number | null) => (x == null ? '?' : `${(100 * x).toFixed(0)}%`);

/** The plan in lines a reader checks before committing it. */
export function describePlan(plan: Plan): string {
  const lines = [
    `plan at preset '${plan.preset}' on ${plan.backend}: ${plan.seeds.length} confirmation seeds (${plan.seeds[0]}–${plan.seeds.at(-1)}), ` +
      `${plan.cost.cells} cells, about ${fmtDuration(plan.cost.seconds)} on ${plan.cost.workers} worker(s) here` +
      `${plan.budgetSeconds != null ? ` (budget ${fmtDuration(plan.budgetSeconds)})` : ''}`,
    `family: ${plan.family} distinct tests, each decided at α/${plan.family} = ${plan.level.toPrecision(2)} (Bonferroni); power sought ${100 * plan.power}%`,
    `calibration: ${describeSeeds(plan.calibration.seeds)} in ${plan.calibration.db}; rules ${plan.rules.hash}`,
    '',
  ];
  for (const f of plan.findings) {
    lines.push(`${f.id}: ${f.status}${f.power != null ? `, power ${pct(f.power)} to reach ${f.expects} at ${plan.seeds.length} seeds` : ''}${f.seedsNeeded != null ? `, ${f.seedsNeeded} seeds for ${100 * plan.power}%` : ''}${f.why ? ` (${f.why})` : ''}`);
    for (const p of f.parts) {
      const effect = p.effect == null ? 'no effect' : p.spread == null
        ? `plausible rate ${p.effect.toFixed(2)} (from ${p.measured}: expects ${p.effect > 0.5 ? 'reproduced' : 'not reproduced'})`
        : `effect sought ${p.effect.toFixed(2)} (${p.effectFrom})`;
      const spread = p.spread == null ? '' : `, spread ${p.spread.toPrecision(3)} (80% upper limit of ${p.measured})`;
      lines.push(`  ${p.what}: ${effect}${spread}; power ${pct(p.power)}${p.unknown ? `; ${p.unknown}` : ''}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/**
 * `simsiam plan`: run (or resume) the calibration cells of every testable finding's rows,
 * then write the plan: seeds from the power analysis (or the budget), every test with its
 * thresholds and family, the rules' hash, and what stays underpowered.
 */
export async function planCommand(opts: PlanOptions): Promise<void> {
  const wrong = opts.calibrationSeeds.filter((s) => seedRole(s) !== 'calibration');
  if (wrong.length) throw new SpecError(`--calibration-seeds: ${wrong.join(', ')} are not calibration seeds (100–999; docs/findings.md, "Seeds")`);
  if (seedRole(opts.seedsFrom) !== 'confirmation') throw new SpecError(`--seeds-from ${opts.seedsFrom}: confirmation seeds start at 1000`);
  const budgetSeconds = opts.budget != null ? parseDuration(opts.budget) : null;
  const specs = specsOf(opts.experiments);
  const testable = new Map(specs.map((s) => [s.name, testableAt(s, opts.preset, opts.untestable)]));
  const rows = new Map([...testable].map(([name, t]) => [name, t.rows]));
  for (const s of specs) {
    for (const u of opts.untestable ? [] : testable.get(s.name)!.untestable) process.stdout.write(`${u.finding.id}: not testable at preset '${opts.preset}' (${u.why}); none of its own cells run (--untestable runs them)\n`);
  }
  const run = specs.filter((s) => rows.get(s.name)!.length);
  if (!run.length) throw new SetupError(`no finding of ${specs.map((s) => s.name).join(', ')} is testable at preset '${opts.preset}'`);
  process.stdout.write(`calibration: ${describeSeeds(opts.calibrationSeeds)} into ${opts.db} (resumes; never used for confirmation)\n`);
  const { file: _file, ...sweep } = opts;
  const result = await runExperiments(run, { ...sweep, preset: opts.preset, seeds: opts.calibrationSeeds, sets: [], rowsOf: (s) => rows.get(s.name) });
  if (result.failed) throw new SetupError(`${result.failed} calibration cell(s) failed; run the same command again to complete them before planning`);
  const store = openStore(opts.db, { readonly: true });
  let plan: Plan;
  try {
    plan = buildPlan({
      specs: run, preset: opts.preset, store, calibrationDb: opts.db, calibrationSeeds: opts.calibrationSeeds, budgetSeconds,
      seedCount: opts.seeds, seedsFrom: opts.seedsFrom, workers: opts.workers, includeUntestable: opts.untestable, env: runEnvironment(),
    });
  } finally {
    store.close();
  }
  // Findings of experiments with nothing to run are still in the plan, as not testable.
  for (const s of specs.filter((x) => !rows.get(x.name)!.length)) {
    for (const u of testable.get(s.name)!.untestable) plan.findings.push({ id: u.finding.id, experiment: s.name, claim: u.finding.claim, finding: u.finding, status: 'not testable at this preset', why: u.why, parts: [], expects: null, power: null, seedsNeeded: null });
  }
  const text = planText(plan);
  fs.mkdirSync(path.dirname(path.resolve(opts.file)), { recursive: true });
  fs.writeFileSync(opts.file, text);
  process.stdout.write(`\n${describePlan(plan)}\nplan ${planHash(text)} written to ${opts.file}. Commit it before running it:\n` +
    `  git add ${opts.file} && git commit -m "plan: ${opts.preset}, seeds ${plan.seeds[0]}–${plan.seeds.at(-1)}"\n` +
    `  simsiam reproduce --plan ${opts.file} --db <confirmation database>\n`);
}

/** Why the plan file cannot count as registered (not committed, or changed since), or null. */
export function uncommitted(file: string): string | null {
  const rel = path.relative(process.cwd(), path.resolve(file));
  if (git(['rev-parse', '--is-inside-work-tree']) !== 'true') return 'there is no git checkout here to show when it was committed';
  if (git(['ls-files', '--error-unmatch', '--', path.resolve(file)]) == null) return `${rel} is not committed`;
  if (git(['diff', '--quiet', 'HEAD', '--', path.resolve(file)]) == null) return `${rel} differs from its committed version`;
  return null;
}

/** Check a plan against the code now and the database; the plan, its hash and what to run. */
export function preparePlan(file: string, db: string, opts: { allowUncommitted?: boolean; backend?: string }): { plan: Plan; hash: string; text: string } {
  const { plan, hash, text } = readPlan(file);
  const diffs = planDifferences(plan, new Map(Object.entries(EXPERIMENTS)));
  if (diffs.length) throw new SetupError(`plan ${file} cannot run as written:\n  ${diffs.join('\n  ')}\nA changed rule needs a new plan with new seeds: \`simsiam plan --seeds-from <next unused seed>\``);
  const why = uncommitted(file);
  if (why && !opts.allowUncommitted) throw new SetupError(`${why}: a registered plan is committed before its cells run (git add ${file} && git commit), or pass --uncommitted and the report says it was not`);
  const want = plan.backend.replace(/ \(.*$/, '');
  if (opts.backend && opts.backend !== 'auto' && opts.backend !== want) throw new SpecError(`--backend ${opts.backend}: the plan was calibrated on ${plan.backend}; its cells run there (omit --backend)`);
  if (fs.existsSync(db)) {
    const store = openStore(db, { readonly: true });
    try {
      const outside = plan.experiments.flatMap((e) => store.runSummaries(e.name)).filter((r) => r.preset === plan.preset && plan.seeds.includes(r.seed) && r.planHash !== hash && r.status !== 'queued');
      if (outside.length) throw new SetupError(`${db} already holds seed(s) ${[...new Set(outside.map((r) => r.seed))].join(', ')} at preset '${plan.preset}' run outside this plan; a plan's cells run after it: use another database or a plan with other seeds`);
      // A report rests on one commit: a resumed plan runs its remaining cells where its first ones ran.
      const head = runEnvironment().gitCommit;
      const ran = [...new Set(plan.experiments.flatMap((e) => store.runSummaries(e.name)).filter((r) => r.planHash === hash && r.gitCommit && (r.status === 'finished' || r.status === 'diverged')).map((r) => r.gitCommit!))];
      if (head && ran.length && !ran.includes(head)) {
        throw new SetupError(`this plan's cells ran at commit ${ran.map((c) => c.slice(0, 12)).join(', ')} and this checkout is at ${head.slice(0, 12)}: a report rests on one commit, so resume it there (git checkout ${ran[0].slice(0, 12)}) and commit nothing until it ends`);
      }
    } finally {
      store.close();
    }
  }
  return { plan, hash, text };
}
