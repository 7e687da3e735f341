import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import YAML from 'yaml';
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
import { PRESETS } from './presets.ts';
import { METRICS, type ExperimentSpec } from './spec.ts';
import { SpecError } from './validate.ts';

/** The built-in experiments, one per paper result, by name. */
export const EXPERIMENTS: Record<string, ExperimentSpec> = Object.fromEntries(
  [baseline, stopgrad, predictor, batchSize, batchnorm, similarity, symmetry, alternation, movingAverage].map((e) => [e.name, e]),
);

const specSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" or "-"'),
  title: z.string().min(1),
  source: z.string(),
  preset: z.enum(Object.keys(PRESETS) as [string, ...string[]]),
  rows: z.array(z.strictObject({
    label: z.string().min(1),
    set: z.union([z.record(z.string(), z.unknown()), z.custom<(...a: unknown[]) => unknown>((f) => typeof f === 'function')]),
    paper: z.union([z.number(), z.string(), z.null()]),
  })).min(1),
  axes: z.record(z.string(), z.array(z.unknown()).min(1)).optional(),
  seeds: z.array(z.number().int().min(0)).min(1),
  metric: z.enum(METRICS),
  paperMetric: z.string().optional(),
  notes: z.string().optional(),
});

/** Check the shape of a spec (its configurations are checked when the grid expands). */
export function validateSpec(input: unknown, where: string): ExperimentSpec {
  const r = specSchema.safeParse(input);
  if (r.success) {
    const labels = r.data.rows.map((x) => x.label);
    const dup = labels.find((l, i) => labels.indexOf(l) !== i);
    if (dup) throw new SpecError(`${where}: rows.label "${dup}" appears twice; row labels must be unique`);
    return r.data as ExperimentSpec;
  }
  throw new SpecError(`invalid experiment spec ${where}:\n  ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('\n  ')}`);
}

/** A built-in experiment by name, or a spec file (.ts/.js exporting it as default, .json, .yaml). */
export async function loadExperiment(nameOrPath: string): Promise<ExperimentSpec> {
  if (nameOrPath in EXPERIMENTS) return EXPERIMENTS[nameOrPath];
  const file = path.resolve(nameOrPath);
  if (!fs.existsSync(file)) {
    throw new SpecError(`unknown experiment '${nameOrPath}': not a built-in (${Object.keys(EXPERIMENTS).join(', ')}) nor a spec file`);
  }
  const ext = path.extname(file).toLowerCase();
  let spec: unknown;
  if (ext === '.json') spec = JSON.parse(fs.readFileSync(file, 'utf8'));
  else if (ext === '.yaml' || ext === '.yml') spec = YAML.parse(fs.readFileSync(file, 'utf8'));
  else if (['.ts', '.mts', '.js', '.mjs'].includes(ext)) spec = (await import(pathToFileURL(file).href)).default;
  else throw new SpecError(`${file}: unknown spec format '${ext}'; use .ts, .js, .json or .yaml`);
  return validateSpec(spec, file);
}
