import { UserError } from '../core/user-error.ts';
import { z } from 'zod';
import type { TrainConfig } from '../core/config.ts';
import { trainConfigSchema } from './schema.ts';

/** A configuration or override that cannot run; the message names each path, value and what is allowed. */
/** A spec, override or option that cannot run: names the field and the allowed values. */
export class SpecError extends UserError {}

function valueAt(obj: unknown, path: PropertyKey[]): unknown {
  return path.reduce<unknown>((o, k) => (o != null && typeof o === 'object' ? (o as Record<PropertyKey, unknown>)[k] : undefined), obj);
}

function describeIssue(input: unknown, issue: z.core.$ZodIssue): string {
  const path = issue.path.join('.') || '(root)';
  if (issue.code === 'unrecognized_keys') {
    const here = valueAt(input, issue.path);
    const known = here && typeof here === 'object' ? Object.keys(here).filter((k) => !issue.keys.includes(k)) : [];
    return `${issue.keys.map((k) => (path === '(root)' ? k : `${path}.${k}`)).join(', ')}: unknown field; allowed here: ${known.join(', ')}`;
  }
  const got = JSON.stringify(valueAt(input, issue.path));
  return `${path} = ${got ?? 'missing'}: ${issue.message}`;
}

/** Validate a whole configuration; throws a SpecError listing every problem. */
export function validateConfig(input: unknown, context = 'config'): TrainConfig {
  const r = trainConfigSchema.safeParse(input);
  if (r.success) return r.data as TrainConfig;
  throw new SpecError(`invalid ${context}:\n  ${r.error.issues.map((i) => describeIssue(input, i)).join('\n  ')}`);
}

/** Whether a configuration passes validation. */
export function isValidConfig(input: unknown): boolean {
  return trainConfigSchema.safeParse(input).success;
}

/** Parse the value of `--set path=value`: JSON when it parses (numbers, booleans, null, objects), else a string. */
function parseValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/** The zod schema at a config path, looking through nullables and into the union variant an object selects. */
function schemaAt(path: string[], value: Record<string, unknown>): z.ZodType | undefined {
  let node: z.ZodType | undefined = trainConfigSchema;
  for (const key of path) {
    while (node instanceof z.ZodNullable) node = node.unwrap() as z.ZodType;
    node = node instanceof z.ZodObject ? (node.shape as Record<string, z.ZodType>)[key] : undefined;
  }
  while (node instanceof z.ZodNullable) node = node.unwrap() as z.ZodType;
  if (node instanceof z.ZodDiscriminatedUnion) {
    return (node.options as z.ZodType[]).find((o) => o instanceof z.ZodObject && (o.shape as Record<string, z.ZodType>).kind?.safeParse(value.kind).success);
  }
  return node;
}

/**
 * After `--set x.kind=...`, drop the fields the new variant does not have, so that
 * `--set predictor.kind=none` just works; fields it needs and lacks are then reported.
 */
function keepVariantFields(node: Record<string, unknown>, path: string[]): void {
  const variant = schemaAt(path, node);
  if (!(variant instanceof z.ZodObject)) return;
  for (const key of Object.keys(node)) if (!(key in variant.shape)) delete node[key];
}

function isObject(x: unknown): x is Record<string, unknown> {
  return x != null && typeof x === 'object' && !Array.isArray(x);
}

/**
 * Deep-merge a partial configuration into a copy of `base` (arrays and scalars replace),
 * dropping the fields of any component whose `kind` changed that the new kind lacks.
 * The result is validated; `context` prefixes the error.
 */
export function mergeConfig(base: TrainConfig, partial: unknown, context = 'config'): TrainConfig {
  const out = structuredClone(base) as unknown as Record<string, unknown>;
  const merge = (into: Record<string, unknown>, from: Record<string, unknown>, path: string[]) => {
    for (const [k, v] of Object.entries(from)) {
      if (isObject(v) && isObject(into[k])) merge(into[k] as Record<string, unknown>, v, [...path, k]);
      else into[k] = structuredClone(v);
    }
    if ('kind' in from) keepVariantFields(into, path);
  };
  if (!isObject(partial)) throw new SpecError(`${context}: expected an object of config fields, got ${JSON.stringify(partial)}`);
  merge(out, partial, []);
  return validateConfig(out, context);
}

/** One `--set path=value`, parsed. */
export interface Override {
  /** As the user wrote it, for messages. */
  raw: string;
  path: string[];
  value: unknown;
}

/** Parse `path=value` (the value as JSON when it parses, else a string). */
export function parseOverride(raw: string): Override {
  const eq = raw.indexOf('=');
  if (eq <= 0) throw new SpecError(`--set ${raw}: expected path=value, e.g. --set stopGradient=false`);
  return { raw, path: raw.slice(0, eq).split('.'), value: parseValue(raw.slice(eq + 1)) };
}

/**
 * Set one override in `config` (mutated) where its path names an existing field; returns
 * false, changing nothing, where it does not. `strict` throws instead, naming the fields
 * that do exist there.
 */
export function setOverride(config: Record<string, unknown>, o: Override, strict: boolean): boolean {
  let node = config;
  for (let i = 0; i < o.path.length - 1; i++) {
    const next = node[o.path[i]];
    if (next == null || typeof next !== 'object') {
      if (!strict) return false;
      throw new SpecError(`--set ${o.raw}: ${o.path.slice(0, i + 1).join('.')} is not an object; fields here: ${Object.keys(node).join(', ')}`);
    }
    node = next as Record<string, unknown>;
  }
  const leaf = o.path[o.path.length - 1];
  if (!(leaf in node)) {
    if (!strict) return false;
    throw new SpecError(`--set ${o.raw}: unknown field ${o.path.join('.')}; fields here: ${Object.keys(node).join(', ')}`);
  }
  node[leaf] = structuredClone(o.value);
  if (leaf === 'kind') keepVariantFields(node, o.path.slice(0, -1));
  return true;
}

/**
 * Apply `path=value` overrides to a copy of `base`. A path must name an existing
 * field (no new keys); the result is validated as a whole, so a wrong type or range
 * is reported with its path. A whole component can be given as JSON:
 * `--set 'predictor={"kind":"frozen","hidden":64}'`.
 */
export function applyOverrides(base: TrainConfig, sets: string[], context = 'overrides'): TrainConfig {
  const out = structuredClone(base) as unknown as Record<string, unknown>;
  for (const s of sets) setOverride(out, parseOverride(s), true);
  return validateConfig(out, context);
}
