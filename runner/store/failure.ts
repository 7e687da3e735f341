import { SetupError, UserError } from '../../core/user-error.ts';

/**
 * A write to the results database that failed mid-sweep: the disk is full, an I/O error,
 * a lock held past the busy timeout, or a file that became read-only. The sweep stops in
 * order and exits 3; every result stored before it stays, and the same command resumes.
 */
export class StoreWriteError extends UserError {
  override readonly exitCode = 3;
}

/** SQLite's codes for a write that cannot go on (SQLITE_IOERR has extended codes). */
function kind(code: string): 'full' | 'io' | 'locked' | 'readonly' | null {
  if (code === 'SQLITE_FULL') return 'full';
  if (code.startsWith('SQLITE_IOERR')) return 'io';
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') return 'locked';
  if (code.startsWith('SQLITE_READONLY')) return 'readonly';
  return null;
}

/** The error as one line naming the cause and the next step, or null when it is not a write failure. */
export function storeWriteError(err: unknown, db: string): StoreWriteError | null {
  if (err instanceof StoreWriteError) return err;
  // drizzle wraps the driver's error: the cause carries SQLite's code.
  const e = (err as { code?: unknown; cause?: { code?: unknown } }) ?? {};
  const code = String(e.code ?? e.cause?.code ?? '');
  const resume = 'then run the same command to resume';
  switch (kind(code)) {
    case 'full': return new StoreWriteError(`the disk holding ${db} is full: free space, ${resume}`);
    case 'io': return new StoreWriteError(`cannot write ${db} (${code}): check its disk, ${resume}`);
    case 'locked': return new StoreWriteError(`${db} is locked by another process past the 10 s wait: let it finish or stop it, ${resume}`);
    case 'readonly': return new StoreWriteError(`${db} can no longer be written (${code}): make it writable, ${resume}`);
    default: return null;
  }
}

/** A row whose JSON column is not JSON: damage SQLite's integrity check cannot see. */
export class DamagedRowError extends SetupError {
  constructor(readonly where: string, readonly column: string, detail: string) {
    super(`${where} has a damaged ${column} (not valid JSON: ${detail}); restore the database from a copy, or delete that row and run the same command to redo it`);
  }
}
