/**
 * An error caused by what the user gave or has (a spec, an option, a missing database,
 * service or library) rather than by a bug. The command line prints its message in one
 * line, with no stack trace, and exits 2. Its message says what to do next.
 */
export class UserError extends Error {
  /** The command's exit status: 2 for what is wrong before anything runs. */
  readonly exitCode: number = 2;

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Something the command needs is missing or unreachable: a database, Redis, PyTorch, a file. */
export class SetupError extends UserError {}

/** A compute backend asked for by name cannot be loaded here. */
export class BackendError extends UserError {}
