/**
 * Errors a user can cause and fix (bad flag, missing file, unreadable WAV).
 * The CLI prints only the message, one line, and exits with `exitCode`;
 * anything else that escapes is a bug and is reported as such.
 */
export class KwsError extends Error {
  readonly exitCode: number;

  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'KwsError';
    this.exitCode = exitCode;
  }
}

/** A command line that cannot be run as written (exit code 2, like commander's own usage errors). */
export class UsageError extends KwsError {
  constructor(message: string) {
    super(message, 2);
    this.name = 'UsageError';
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** What was thrown, as an Error (anything else, e.g. a string, is wrapped). */
export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
