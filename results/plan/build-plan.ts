import type { TrainConfig } from '../../core/config.ts';
import { trainSteps } from '../../core/data/sizes.ts';
import { SetupError } from '../../core/user-error.ts';
import { findingRows, type Finding } from '../../experiments/findings.ts';
import type { PresetName } from '../../experiments/presets.ts';
import { resolveRows } from '../../experiments/resolve.ts';
import type { ExperimentSpec } from '../../experiments/spec.ts';
import { costKey, databaseRates, makespan } from '../../runner/estimate.ts';
import { cellHash } from '../../runner/grid.ts';
import type { RunStore } from '../../runner/store/run-store.ts';
import { MAX_SEEDS } from '../power.ts';
import { rulesHash, rulesParts } from '../rules.ts';
import { ALPHA, MIN_PAIRS, POWER } from '../stats.ts';
import { buildTable } from '../tables.ts';
import { PLAN_FORMAT, rowHashes, type Plan, type PlanFinding } from './plan.ts';
import { findingExpects, findingPower, partPower, planLevel, planPart, seedsNeeded } from './power-plan.ts';

/** Which findings an experiment can test at a preset (by their budgets), and the rows the plan runs for them. */
export function testableAt(spec: ExperimentSpec, preset: PresetName, includeUntestable = false): { testable: Finding[]; untestable: { finding: Finding; why: string }[]; rows: string[] } {
  const resolved = resolveRows(spec, { preset }).rows;
  const steps = new Map(resolved.map((r) => [r.rowLabel, trainSteps(r.config)]));
  const testable: Finding[] = [], untestable: { finding: Finding; why: string }[] = [];
  for (const f of spec.findings ?? []) {
    const labels = [...new Set(findingRows(f.test))];
    const missing = labels.filter((l) => !steps.has(l));
    const short = f.budget ? labels.filter((l) => (steps.get(l) ?? 0) < f.budget!.minSteps) : [];
    if (missing.length) untestable.push({ finding: f, why: `row(s) ${missing.map((l) => `"${l}"`).join(', ')} cannot run at preset '${preset}'` });
    else if (short.length) untestable.push({ finding: f, why: `${short.map((l) => `"${l}" gets ${steps.get(l)} SGD steps`).join(', ')}; the claim needs ≥ ${f.budget!.minSteps} per cell (${f.budget!.why})` });
    else testable.push(f);
  }
  const judged = includeUntestable ? [...testable, ...untestable.map((u) => u.finding)] : testable;
  const rows = spec.rows.map((r) => r.label).filter((l) => judged.some((f) => findingRows(f.test).includes(l)) && steps.has(l));
  return { testable, untestable, rows };
}

export interface PlanInput {
  specs: ExperimentSpec[];
  preset: PresetName;
  /** The calibration cells' database and seeds (calibration range only). */
  store: RunStore;
  calibrationDb: string;
  calibrationSeeds: number[];
  /** Wall-time budget of the confirmation cells, in seconds; null: as many seeds as the findings need. */
  budgetSeconds: number | null;
  /** A fixed seed count instead of choosing one. */
  seedCount?: number;
  seedsFrom: number;
  workers: number;
  includeUntestable?: boolean;
  env: { packageVersion: string; gitCommit: string | null };
  now?: Date;
}

/**
 * A plan from its calibration runs: each finding's parts judged on the calibration seeds
 * give the spreads and rates; the finding gives the effect sought; the calibration cells'
 * own times give the cost. Chooses the seed count (the findings' need, or the most the
 * budget allows) and declares, before running, what that count leaves underpowered.
 */
export function buildPlan(input: PlanInput): Plan {
  const { specs, preset, store } = input;
  const stray = specs.flatMap((s) => store.runSummaries(s.name)).filter((r) => r.preset === preset && !input.calibrationSeeds.includes(r.seed));
  if (stray.length) throw new SetupError(`${input.calibrationDb} also holds seed(s) ${[...new Set(stray.map((r) => r.seed))].join(', ')} at preset '${preset}': a calibration database holds its calibration seeds only`);
  const runs = specs.flatMap((s) => store.runSummaries(s.name)).filter((r) => r.preset === preset && input.calibrationSeeds.includes(r.seed) && (r.status === 'finished' || r.status === 'diverged'));
  const backends = [...new Set(runs.map((r) => (r.device ? `${r.backend} (${r.device})` : r.backend ?? 'unknown')))];
  if (backends.length !== 1) throw new SetupError(backends.length ? `the calibration cells mix backends (${backends.join(', ')}); calibrate on the one backend the confirmation will use` : `${input.calibrationDb} holds no finished calibration cell at preset '${preset}' for seeds ${input.calibrationSeeds.join(', ')}`);
  const perSpec = specs.map((spec) => ({ spec, ...testableAt(spec, preset, input.includeUntestable), table: buildTable(store, spec, preset, { anyCommit: true }) }));
  // The calibration tables hold every seed the database has at the preset: judge only the calibration seeds.
  const judged = perSpec.map((x) => ({ ...x, verdicts: new Map(x.table.findings.map((f) => [f.id, f])) }));
  const planned = judged.flatMap((x) => (input.includeUntestable ? [...x.testable, ...x.untestable.map((u) => u.finding)] : x.testable).map((f) => ({ ...x, finding: f, verdict: x.verdicts.get(f.id)! })));
  const keys = new Set(planned.flatMap((p) => p.verdict.parts.map((q) => q.key)).filter((k) => !k.startsWith('absent|')));
  const family = Math.max(1, keys.size);
  const level = planLevel(family);
  const parts = planned.map((p) => ({ ...p, parts: p.verdict.parts.map((q) => ({ pp: planPart(q, p.spec.rows), test: q.test! })) }));
  // The cost of one seed: each distinct configuration once (shared cells run once), timed by its calibration cells.
  const rates = databaseRates(store, null);
  const perSeed = new Map<string, number>();
  for (const { spec, rows } of perSpec) {
    for (const r of resolveRows(spec, { preset }).rows.filter((x) => rows.includes(x.rowLabel))) {
      const cfg: TrainConfig = r.config;
      const rate = rates.get(costKey(cfg));
      if (rate == null) throw new SetupError(`no finished calibration cell of ${spec.name}, row "${r.rowLabel}" to time it by; run the calibration to the end (the same command resumes)`);
      perSeed.set(cellHash({ ...cfg, seed: 0 }), rate * trainSteps(cfg));
    }
  }
  const cost = (n: number) => makespan(Array.from({ length: n }, () => [...perSeed.values()]).flat(), input.workers);
  const needs = parts.map((p) => (p.verdict.notJudged || !p.parts.length ? null : seedsNeeded(p.parts, level)));
  const wanted = Math.min(MAX_SEEDS, Math.max(MIN_PAIRS, ...needs.filter((n): n is number => n != null)));
  let n = input.seedCount ?? wanted;
  if (input.seedCount == null && input.budgetSeconds != null) {
    if (cost(MIN_PAIRS) > input.budgetSeconds) throw new SetupError(`the budget ${Math.round(input.budgetSeconds)} s is below what ${MIN_PAIRS} seeds take here (${Math.round(cost(MIN_PAIRS))} s), the fewest a comparison needs`);
    while (n > MIN_PAIRS && cost(n) > input.budgetSeconds) n--;
  }
  const findings: PlanFinding[] = [];
  for (const x of judged) {
    for (const u of input.includeUntestable ? [] : x.untestable) {
      findings.push({ id: u.finding.id, experiment: x.spec.name, claim: u.finding.claim, finding: u.finding, status: 'not testable at this preset', why: u.why, parts: [], expects: null, power: null, seedsNeeded: null });
    }
  }
  parts.forEach((p, i) => {
    const unknown = p.verdict.notJudged ?? p.parts.find((q) => q.pp.unknown)?.pp.unknown ?? (p.parts.length ? null : 'no part to plan');
    const power = unknown ? null : findingPower(p.parts, n, level);
    const status = unknown || power == null ? 'power unknown' : power < POWER ? 'underpowered' : 'planned';
    const why = status === 'power unknown' ? unknown
      : status === 'underpowered' ? `power ${(100 * power!).toFixed(0)}% at ${n} seeds${needs[i] != null ? `; ${needs[i]} would give ${100 * POWER}%` : `; not even ${MAX_SEEDS} seeds would give ${100 * POWER}%`}` +
        `${input.budgetSeconds != null && needs[i] != null && needs[i]! > n ? ' (underpowered at this budget)' : ''}`
        : null;
    findings.push({
      id: p.finding.id, experiment: p.spec.name, claim: p.finding.claim, finding: p.finding, status, why, expects: findingExpects(p.parts),
      parts: p.parts.map((q) => ({ ...q.pp, power: partPower(q.pp, q.test, n, level) })), power, seedsNeeded: needs[i],
      ...(unknown ? { expects: null } : {}),
    });
  });
  const order = new Map(specs.flatMap((s) => (s.findings ?? []).map((f) => f.id)).map((id, i) => [id, i]));
  findings.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
  const parts0 = rulesParts();
  return {
    format: PLAN_FORMAT, writtenAt: (input.now ?? new Date()).toISOString(), version: input.env.packageVersion, commit: input.env.gitCommit,
    preset, backend: backends[0], rules: { hash: rulesHash(parts0), parts: parts0 }, alpha: ALPHA, power: POWER, family, level,
    calibration: { db: input.calibrationDb, seeds: input.calibrationSeeds, commits: [...new Set(runs.map((r) => r.gitCommit?.slice(0, 12) ?? 'unknown'))].sort() }, seeds: Array.from({ length: n }, (_, i) => input.seedsFrom + i),
    budgetSeconds: input.budgetSeconds,
    cost: { cells: n * perSeed.size, seconds: cost(n), workers: input.workers, perSeedSeconds: [...perSeed.values()].reduce((a, b) => a + b, 0) },
    experiments: perSpec.filter((x) => x.rows.length).map((x) => ({ name: x.spec.name, rows: rowHashes(x.spec, preset, x.rows) })),
    findings,
  };
}
