import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { z } from 'zod';
import { SetupError } from '../../core/user-error.ts';
import type { Finding } from '../../experiments/findings.ts';
import type { PresetName } from '../../experiments/presets.ts';
import { resolveRows } from '../../experiments/resolve.ts';
import type { ExperimentSpec } from '../../experiments/spec.ts';
import { canonicalJson, cellHash } from '../../runner/grid.ts';
import { rulesDiff, rulesHash, rulesParts } from '../rules.ts';
import type { PlannedPart } from './power-plan.ts';

/**
 * A registered plan (docs/plans.md): written by `simsiam plan` and committed before any
 * confirmation cell runs, then run exactly by `simsiam reproduce --plan FILE`. It fixes
 * the preset and each row's configuration (by hash), the seeds, every finding's test with
 * its thresholds, α and family, the judging rules (by hash), and what is underpowered.
 */

export const PLAN_FORMAT = 1;

export type PlanStatus = 'planned' | 'underpowered' | 'power unknown' | 'not testable at this preset';

export interface PlanFinding {
  id: string;
  experiment: string;
  claim: string;
  /** The finding as it was declared: its test, thresholds, margins, metric and budget. */
  finding: Finding;
  status: PlanStatus;
  /** Why it is not `planned`, in words. */
  why: string | null;
  parts: (PlannedPart & { power: number | null })[];
  /** The verdict the calibration and the effects sought point to, its power at the plan's seeds (a lower bound), and the seeds that would give 80%. */
  expects: 'reproduced' | 'not reproduced' | null;
  power: number | null;
  seedsNeeded: number | null;
}

export interface Plan {
  format: typeof PLAN_FORMAT;
  writtenAt: string;
  version: string;
  commit: string | null;
  preset: PresetName;
  /** The backend, with what it ran on, that calibrated the plan: its confirmation cells must run there too. */
  backend: string;
  rules: { hash: string; parts: Record<string, string> };
  alpha: number;
  power: number;
  /** Distinct tests judged together (the family), and the level each is decided and planned at (α over it). */
  family: number;
  level: number;
  /** Where the spreads and rates came from; its cells may span commits (only their spread is read). */
  calibration: { db: string; seeds: number[]; commits: string[] };
  seeds: number[];
  budgetSeconds: number | null;
  /** The confirmation cells, their estimated wall time at `workers`, from the calibration cells' own times. */
  cost: { cells: number; seconds: number; workers: number; perSeedSeconds: number };
  experiments: { name: string; rows: { label: string; configHash: string }[] }[];
  findings: PlanFinding[];
}

/** A plan's identity: the hash of its file's text, as committed. */
export function planHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** The plan as a file: stable key order, so that its hash depends on its content only. */
export function planText(plan: Plan): string {
  return `${JSON.stringify(JSON.parse(canonicalJson(plan)), null, 2)}\n`;
}

const planSchema = z.object({
  format: z.literal(PLAN_FORMAT),
  preset: z.string(),
  backend: z.string(),
  rules: z.object({ hash: z.string(), parts: z.record(z.string(), z.string()) }),
  seeds: z.array(z.number().int().min(0)).min(1),
  experiments: z.array(z.object({ name: z.string(), rows: z.array(z.object({ label: z.string(), configHash: z.string() })) })),
  findings: z.array(z.object({ id: z.string(), experiment: z.string(), status: z.string(), finding: z.unknown() }).passthrough()),
}).passthrough();

/** Read a plan file: its plan, text and hash; a file that is not a plan says so, naming the field. */
export function readPlan(file: string): { plan: Plan; text: string; hash: string } {
  if (!fs.existsSync(file)) throw new SetupError(`plan file not found: ${file}; write one with \`simsiam plan --out ${file}\``);
  const text = fs.readFileSync(file, 'utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new SetupError(`${file} is not JSON (${(err as Error).message}); a plan is what \`simsiam plan\` writes`);
  }
  const r = planSchema.safeParse(json);
  if (!r.success) throw new SetupError(`${file} is not a plan: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return { plan: json as Plan, text, hash: planHash(text) };
}

/** Each planned row's configuration hash, resolved now (seed 0 stands for every seed). */
export function rowHashes(spec: ExperimentSpec, preset: PresetName, rows: string[]): { label: string; configHash: string }[] {
  const resolved = resolveRows(spec, { preset }).rows;
  return rows.map((label) => {
    const r = resolved.find((x) => x.rowLabel === label);
    return { label, configHash: r ? cellHash({ ...r.config, seed: 0 }) : 'cannot run at this preset' };
  });
}

/**
 * What differs between a plan and the code now, in words: the judging rules (by file),
 * a finding's declaration, a row's resolved configuration. Empty when the plan can run.
 */
export function planDifferences(plan: Plan, specs: Map<string, ExperimentSpec>, now: Record<string, string> = rulesParts()): string[] {
  const out: string[] = [];
  if (rulesHash(now) !== plan.rules.hash) {
    out.push(`the judging rules changed since the plan was written (rules ${plan.rules.hash}, now ${rulesHash(now)}): ${rulesDiff(plan.rules.parts, now).join(', ')} differ`);
  }
  for (const e of plan.experiments) {
    const spec = specs.get(e.name);
    if (!spec) {
      out.push(`experiment '${e.name}' of the plan is not a built-in here`);
      continue;
    }
    for (const row of rowHashes(spec, plan.preset, e.rows.map((r) => r.label))) {
      const was = e.rows.find((r) => r.label === row.label)!.configHash;
      if (was !== row.configHash) out.push(`${e.name}, row "${row.label}": its configuration resolves to ${row.configHash}, the plan has ${was}`);
    }
  }
  for (const e of plan.experiments) {
    for (const f of specs.get(e.name)?.findings ?? []) {
      if (!plan.findings.some((x) => x.id === f.id)) out.push(`finding ${f.id} of ${e.name} is declared now but not in the plan (it would enlarge the family)`);
    }
  }
  for (const f of plan.findings) {
    const now = specs.get(f.experiment)?.findings?.find((x) => x.id === f.id);
    if (!now) out.push(`finding ${f.id} of the plan is no longer declared by ${f.experiment}`);
    else if (canonicalJson(now) !== canonicalJson(f.finding)) out.push(`finding ${f.id}'s declaration (test, thresholds, metric or budget) changed since the plan`);
  }
  return out;
}
