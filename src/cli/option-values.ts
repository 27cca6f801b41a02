// Option values that several commands take the same way: repeatable options, and the DMARC --mode that
// `dmarc check` and `verify` share. Each is checked where the command line is read, as a UsageError.

import type { DmarcMode } from '../auth/dmarc/index.js';
import { UsageError } from './errors.js';

/** Commander's argument parser for a repeatable option: each use appends its value, in order. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** --mode: rfc9989 (the DNS tree walk, the default) or rfc7489 (the Public Suffix List); else UsageError `bad-mode`. */
export function parseDmarcMode(value: string | undefined): DmarcMode {
  if (value === undefined || value === 'rfc9989') return 'rfc9989';
  if (value === 'rfc7489') return 'rfc7489';
  throw new UsageError('bad-mode', `--mode must be rfc9989 or rfc7489, got '${value}'`);
}
