// CLI error classes with stable codes, mapped to exit codes in one place (main.ts).
// Exit codes (a contract other tools rely on): 0 = the check completed, whatever its verdict;
// 2 = the command line was wrong; 1 = mailflow itself failed. See docs/errors.md.

export const EXIT_OK = 0;
export const EXIT_INTERNAL = 1;
export const EXIT_USAGE = 2;

/** The user asked for something malformed: a bad option value, a missing file. Exit code 2. */
export class UsageError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'UsageError';
    this.code = code;
  }
}
