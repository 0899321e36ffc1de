/**
 * Errors a user can act on, thrown by the library and the CLI alike. The CLI prints their message alone (no stack trace) and exits non-zero.
 * Messages name the file, line and field where there is one: `FILE:LINE: field: what is wrong`.
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** A command line that cannot be run as given (unknown option, missing value): exit code 2. */
export class UsageError extends UserError {
  constructor(message: string) {
    super(message, 2);
  }
}
