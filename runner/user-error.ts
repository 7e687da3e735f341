import { UserError } from '../core/user-error.ts';

/**
 * The errors that come from what a user gave or has rather than from a bug: a UserError,
 * or a system error about a database path, a port, a file. One line saying what to do,
 * or null for anything else.
 */
export function describeUserError(err: unknown): string | null {
  if (err instanceof UserError) return err.message;
  if (!(err instanceof Error)) return null;
  // drizzle wraps the driver's error: the cause carries SQLite's code.
  if (!(err as NodeJS.ErrnoException).code && err.cause instanceof Error) return describeUserError(err.cause);
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
  switch (e.code) {
    case 'EADDRINUSE': return `port ${e.port} on ${e.address} is in use; pick another with --port (0 takes any free one)`;
    case 'EADDRNOTAVAIL': return `cannot bind to ${e.address}: not an address of this machine; check --host`;
    case 'EACCES': return e.syscall === 'listen' ? `not allowed to listen on port ${e.port}; use a port above 1023` : `permission denied: ${e.path ?? e.message}`;
    case 'SQLITE_NOTADB': return `the --db file is not a SQLite database (${e.message}); give a results database, or a new path to create one`;
    case 'SQLITE_CANTOPEN': return `cannot open the --db file (${e.message}); check that its directory exists and is writable`;
    case 'SQLITE_READONLY': return `the --db file is read-only (${e.message}); give a writable path`;
    case 'SQLITE_CORRUPT': return `the --db file is damaged (${e.message}); restore it or use a new path`;
    case 'SQLITE_FULL': return `the disk holding the --db file is full (${e.message}); free space, then run the command again`;
    case 'SQLITE_BUSY': case 'SQLITE_LOCKED': return `the --db file is locked by another process (waited 10 s); let it finish or stop it, then run the command again`;
  }
  if (typeof e.code === 'string' && e.code.startsWith('SQLITE_IOERR')) return `cannot read or write the --db file (${e.code}: ${e.message}); check its disk, then run the command again`;
  if (e.name === 'TypeError' && /Cannot open database because the directory does not exist/.test(e.message)) {
    return `${e.message}: create the directory first, or give --db a path in an existing one`;
  }
  return null;
}
