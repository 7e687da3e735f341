import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import alternation from './ablations/alternation.ts';
import baseline from './ablations/baseline.ts';
import batchSize from './ablations/batch-size.ts';
import batchnorm from './ablations/batchnorm.ts';
import movingAverage from './ablations/moving-average.ts';
import predictor from './ablations/predictor.ts';
import similarity from './ablations/similarity.ts';
import stopgrad from './ablations/stopgrad.ts';
import symmetry from './ablations/symmetry.ts';
import { findingRows, type FindingTest } from './findings.ts';
import { PRESETS } from './presets.ts';
import { METRICS, withDefaults, type ExperimentSpec, type ExperimentSpecInput } from './spec.ts';
import { importSpec, parseSpecText } from './spec-file.ts';
import { SpecError } from './validate.ts';

/** The built-in experiments, one per paper result, by name. */
export const EXPERIMENTS: Record<string, ExperimentSpec> = Object.fromEntries(
  [baseline, stopgrad, predictor, batchSize, batchnorm, similarity, symmetry, alternation, movingAverage].map((e) => [e.name, e]),
);

const label = z.string().min(1);
const findingTest: z.ZodType<FindingTest> = z.lazy(() => z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.enum(['collapses', 'trains', 'fails']), row: label }),
  z.strictObject({ kind: z.literal('below'), row: label, than: label, effect: z.number().optional() }),
  z.strictObject({ kind: z.literal('at-least'), row: label, than: label, margin: z.number().min(0), effect: z.number().optional() }),
  z.strictObject({ kind: z.literal('within'), rows: z.array(label).min(2), within: z.number().positive(), effect: z.number().min(0).optional() }),
  z.strictObject({ kind: z.literal('unstable'), row: label, than: label, effect: z.number().positive().optional() }),
  z.strictObject({ kind: z.literal('all'), of: z.array(findingTest).min(1) }),
])) as z.ZodType<FindingTest>;

const specSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" or "-"'),
  title: z.string().min(1).optional(),
  source: z.string().optional(),
  preset: z.enum(Object.keys(PRESETS) as [string, ...string[]]).optional(),
  rows: z.array(z.strictObject({
    label: z.string().min(1),
    set: z.union([z.record(z.string(), z.unknown()), z.custom<(...a: unknown[]) => unknown>((f) => typeof f === 'function')]),
    paper: z.union([z.number(), z.string(), z.null()]).optional(),
  })).min(1),
  axes: z.record(z.string(), z.array(z.unknown()).min(1)).optional(),
  seeds: z.array(z.number().int().min(0)).min(1).optional(),
  metric: z.enum(METRICS).optional(),
  paperMetric: z.string().optional(),
  notes: z.string().optional(),
  findings: z.array(z.strictObject({
    id: label, claim: z.string().min(1), test: findingTest, metric: z.enum(METRICS).optional(),
    budget: z.strictObject({ minSteps: z.number().int().positive(), why: z.string().min(1) }).optional(),
  })).optional(),
});

/** Check the shape of a spec and fill in its defaults (its configurations are checked when the grid expands). */
export function validateSpec(input: unknown, where: string): ExperimentSpec {
  const r = specSchema.safeParse(input);
  if (r.success) {
    const labels = r.data.rows.map((x) => x.label);
    const dup = labels.find((l, i) => labels.indexOf(l) !== i);
    if (dup) throw new SpecError(`${where}: rows.label "${dup}" appears twice; row labels must be unique`);
    for (const f of r.data.findings ?? []) {
      const unknown = findingRows(f.test).filter((l) => !labels.includes(l));
      if (unknown.length) throw new SpecError(`${where}: finding "${f.id}" names row(s) ${unknown.map((l) => `"${l}"`).join(', ')}; rows: ${labels.map((l) => `"${l}"`).join(', ')}`);
    }
    return withDefaults(r.data as ExperimentSpecInput);
  }
  throw new SpecError(`invalid experiment spec ${where}:\n  ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('\n  ')}`);
}

const SPEC_EXTENSIONS = ['.ts', '.mts', '.js', '.mjs', '.json', '.yaml', '.yml'];

/** A built-in experiment by name, or a spec file (.ts/.js exporting it as default, .json, .yaml). */
export async function loadExperiment(nameOrPath: string): Promise<ExperimentSpec> {
  if (nameOrPath in EXPERIMENTS) return EXPERIMENTS[nameOrPath];
  const file = path.resolve(nameOrPath);
  const ext = path.extname(file).toLowerCase();
  if (!fs.existsSync(file)) {
    if (ext || nameOrPath.includes('/')) throw new SpecError(`spec file not found: ${file}`);
    throw new SpecError(`unknown experiment '${nameOrPath}': not a built-in (${Object.keys(EXPERIMENTS).join(', ')}) nor a spec file`);
  }
  if (fs.statSync(file).isDirectory()) throw new SpecError(`${file} is a directory; give a spec file (${SPEC_EXTENSIONS.join(', ')})`);
  if (!SPEC_EXTENSIONS.includes(ext)) throw new SpecError(`${file}: unknown spec format '${ext}'; use .ts, .js, .json or .yaml`);
  const spec = ['.json', '.yaml', '.yml'].includes(ext) ? parseSpecText(file, fs.readFileSync(file, 'utf8'), ext) : await importSpec(file);
  return validateSpec(spec, file);
}
