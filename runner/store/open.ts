import { SetupError } from '../../core/user-error.ts';
import fs from 'node:fs';
import type { RunStore } from './run-store.ts';
import { SqliteStore } from './sqlite-store.ts';

/**
 * Open the results database; read-only opening of a missing file says how to create
 * one, and first brings an older file's schema up to date (migrations only add).
 */
export function openStore(file: string, opts: { readonly?: boolean } = {}): RunStore {
  if (opts.readonly && !fs.existsSync(file)) {
    throw new SetupError(`${file} does not exist: run an experiment first, e.g. \`simsiam run stopgrad\``);
  }
  if (opts.readonly) {
    // A read-only command never turns a file that is not a database into an empty one.
    const head = Buffer.alloc(16);
    const fd = fs.openSync(file, 'r');
    const n = fs.readSync(fd, head, 0, 16, 0);
    fs.closeSync(fd);
    if (n === 0) throw new SetupError(`${file} is empty (0 bytes), not a results database: give the database your runs wrote, or run an experiment to create one`);
    if (head.toString('latin1') !== 'SQLite format 3\u0000') throw new SetupError(`${file} is not a SQLite database: give the results database your runs wrote`);
    try {
      fs.accessSync(file, fs.constants.W_OK);
      new SqliteStore(file).close();
    } catch {
      // A read-only file is read as it is.
    }
  }
  const existed = file === ':memory:' || fs.existsSync(file);
  try {
    return new SqliteStore(file, opts);
  } catch (err) {
    // A database this call created and could not set up (a full disk, say) is not left behind as an empty file.
    if (!existed) for (const f of [file, `${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true });
    throw err;
  }
}
