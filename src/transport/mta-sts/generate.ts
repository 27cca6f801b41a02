// Hosting our own MTA-STS: the `_mta-sts` TXT record and the policy file (RFC 8461 §3.1, §3.2), built from
// checked values so that what we publish parses with our own parser.

import type { Clock } from '../../core/clock.js';
import { MAX_MAX_AGE, normalizeMxPattern } from './policy.js';
import type { MtaStsMode } from './types.js';

export type GenerateResult = { ok: true; value: string } | { ok: false; error: { field: string; message: string } };

/** Builds `v=STSv1; id=<id>` (RFC 8461 §3.1). The id must be 1–32 letters and digits. */
export function generateMtaStsRecord(input: { id: string }): GenerateResult {
  if (typeof input.id !== 'string' || !/^[A-Za-z0-9]{1,32}$/.test(input.id)) {
    return { ok: false, error: { field: 'id', message: 'id must be 1 to 32 letters and digits (RFC 8461 §3.1)' } };
  }
  return { ok: true, value: `v=STSv1; id=${input.id}` };
}

/** A fresh policy id from the clock: `YYYYMMDDTHHMMSSZ` (16 characters), which sorts by time. */
export function newMtaStsId(clock: Clock): string {
  return new Date(clock.now()).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/**
 * Builds a policy file with CRLF line ends (RFC 8461 §3.2): version, mode, one `mx` line per pattern and
 * max_age. `mx` is required unless mode is `none`; maxAge is an integer 0–31557600 (a week, 604800, is common).
 */
export function generateMtaStsPolicy(input: { mode: MtaStsMode; mx: readonly string[]; maxAge: number }): GenerateResult {
  if (!['enforce', 'testing', 'none'].includes(input.mode)) {
    return { ok: false, error: { field: 'mode', message: 'mode must be enforce, testing or none' } };
  }
  if (!Number.isInteger(input.maxAge) || input.maxAge < 0 || input.maxAge > MAX_MAX_AGE) {
    return { ok: false, error: { field: 'maxAge', message: `maxAge must be an integer from 0 to ${MAX_MAX_AGE}` } };
  }
  const patterns: string[] = [];
  for (const mx of input.mx) {
    const pattern = normalizeMxPattern(mx.trim());
    if (pattern === undefined) return { ok: false, error: { field: 'mx', message: `"${mx}" is not a host name or *.domain pattern` } };
    if (!patterns.includes(pattern)) patterns.push(pattern);
  }
  if (input.mode !== 'none' && patterns.length === 0) {
    return { ok: false, error: { field: 'mx', message: `mode ${input.mode} needs at least one mx pattern` } };
  }
  const lines = ['version: STSv1', `mode: ${input.mode}`, ...patterns.map((p) => `mx: ${p}`), `max_age: ${input.maxAge}`];
  return { ok: true, value: `${lines.join('\r\n')}\r\n` };
}
