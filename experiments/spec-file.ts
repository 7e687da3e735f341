import { pathToFileURL } from 'node:url';
import YAML from 'yaml';
import { SpecError } from './validate.ts';

// Reading a spec file: a user's mistake in it is one error naming the file and where.

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
export function parseSpecText(file: string, text: string, ext: string): unknown {
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
export async function importSpec(file: string): Promise<unknown> {
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

