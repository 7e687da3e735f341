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
import { findingRows, type FindingTest } from './findings.ts';
import { PRESETS } from './presets.ts';
import { METRICS, withDefaults, type ExperimentSpec, type ExperimentSpecInput } from './spec.ts';
import { SpecError } from './validate.ts';

/** The built-in experiments, one per paper result, by name. */
export const EXPERIMENTS: Record<string, ExperimentSpec> = Object.fromEntries(
  [baseline, stopgrad, predictor, batchSize, batchnorm, similarity, symmetry, alternation, movingAverage].map((e) => [e.name, e]),
);

const label = z.string().min(1);
const findingTest: z.ZodType<FindingTest> = z.lazy(() => z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.enum(['collapses', 'trains', 'fails']), row: label }),
  z.strictObject({ kind: z.literal('below'), row: label, than: label }),
  z.strictObject({ kind: z.literal('at-least'), row: label, than: label, margin: z.number().min(0) }),
  z.strictObject({ kind: z.literal('within'), rows: z.array(label).min(2), within: z.number().positive() }),
  z.strictObject({ kind: z.literal('unstable'), row: label, than: label }),
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
  findings: z.array(z.strictObject({ id: label, claim: z.string().min(1), test: findingTest, metric: z.enum(METRICS).optional() })).optional(),
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

/** Line and column (1-based) of a character offset. */
function lineCol(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `line ${before.length}, column ${before[before.length - 1].length + 1}`;
}

/**
 * Where V8's JSON.parse error points: its message has either a position, or the 10
 * characters each side of the bad token as context ("Unexpected token 'x', ..."ctx"...").
 */
function jsonErrorAt(text: string, message: string): string | null {
  const at = /at position (\d+)/.exec(message);
  if (at) return lineCol(text, Number(at[1]));
  const m = /^Unexpected token '(.+?)', \.\.\."(.*)"(?:\.\.\.)? is not valid JSON$/s.exec(message);
  if (!m) return null;
  const start = text.indexOf(m[2]);
  return start >= 0 && text.indexOf(m[2], start + 1) < 0 && text.startsWith(m[1], start + 10) ? lineCol(text, start + 10) : null;
}

/** Parse a JSON or YAML spec file; a syntax error names the file, line and column. */
function parseSpecText(file: string, text: string, ext: string): unknown {
  if (ext === '.json') {
    try {
      return JSON.parse(text);
    } catch (err) {
      const raw = (err as Error).message;
      const msg = raw.replace(/, (\.\.\.)?".*"(\.\.\.)? is not valid JSON$/s, '').replace(/ in JSON at position \d+.*$/s, '');
      let where = jsonErrorAt(text, raw);
      if (!where) {
        // YAML (a superset of JSON) locates most of the rest.
        try {
          YAML.parse(text);
        } catch (yerr) {
          const pos = (yerr as InstanceType<typeof YAML.YAMLError>).linePos?.[0];
          if (pos) where = `line ${pos.line}, column ${pos.col}`;
        }
      }
      throw new SpecError(`${file}${where ? `, ${where}` : ''}: invalid JSON: ${msg}`);
    }
  }
  try {
    return YAML.parse(text);
  } catch (err) {
    if (err instanceof YAML.YAMLError) {
      const pos = err.linePos?.[0];
      const first = err.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
      throw new SpecError(`${file}${pos ? `, line ${pos.line}, column ${pos.col}` : ''}: invalid YAML: ${first}`);
    }
    throw err;
  }
}

/** Import a .ts/.js spec; an error thrown while importing it is reported with where in the file it came from. */
async function importSpec(file: string): Promise<unknown> {
  let mod: { default?: unknown };
  try {
    mod = await import(pathToFileURL(file).href);
  } catch (err) {
    const e = err as Error;
    const frame = (e.stack ?? '').split('\n').find((l) => l.includes(file) || l.includes(pathToFileURL(file).href));
    const at = frame ? /:(\d+):(\d+)\)?\s*$/.exec(frame) : null;
    throw new SpecError(`${file}${at ? `, line ${at[1]}, column ${at[2]}` : ''}: the spec failed to load: ${e.message ?? String(err)}`);
  }
  if (mod.default === undefined) throw new SpecError(`${file}: no default export; export the spec with \`export default defineExperiment({...})\``);
  return mod.default;
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
