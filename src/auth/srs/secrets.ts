// PostSRSd's secret file format: one secret per line, the first signs, the rest still verify.

/**
 * Splits a secret file's text into secrets, as PostSRSd reads it: each line up to CR/LF is a secret, empty
 * lines are skipped, nothing else is trimmed (a space may be part of a secret). Returns [] for a file with
 * no secret; the caller decides whether that is an error.
 */
export function parseSecretFile(text: string): string[] {
  return text.split(/\r\n|\r|\n/).filter((line) => line.length > 0);
}
