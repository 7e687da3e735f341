import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

/** A data file that is missing or not in the expected format. */
export class DataFileError extends Error {
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'DataFileError';
  }
}

/** Read `name` or `name.gz` from `dir`, gunzipping the latter. */
export function readMaybeGz(dir: string, name: string, hint: string): { file: string; bytes: Uint8Array } {
  for (const candidate of [name, `${name}.gz`]) {
    const file = path.join(dir, candidate);
    if (!fs.existsSync(file)) continue;
    const raw = fs.readFileSync(file);
    try {
      return { file, bytes: new Uint8Array(candidate.endsWith('.gz') ? zlib.gunzipSync(raw) : raw) };
    } catch (err) {
      throw new DataFileError(file, `not a valid gzip file (${(err as Error).message})`);
    }
  }
  throw new DataFileError(path.join(dir, name), `not found (nor ${name}.gz). ${hint}`);
}
