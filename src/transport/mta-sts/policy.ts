// The MTA-STS policy file (RFC 8461 §3.2): `key: value` lines ending in CRLF or LF, known keys `version`,
// `mode`, `max_age` and `mx` (repeatable), unknown keys ignored. Parsed once into a typed value. Never throws.

import type { MtaStsMode, MtaStsParseResult, MtaStsPolicy, MtaStsSyntaxCode } from './types.js';

/** RFC 8461 §3.2: max_age is at most 31557600 seconds (about one year). */
export const MAX_MAX_AGE = 31_557_600;
/**
 * MX patterns accepted in one policy. Real policies list a handful; the 64 KiB body cap already bounds a fetched
 * policy to about 8,000 lines, and this bounds a policy parsed from elsewhere.
 */
export const MAX_POLICY_MX = 10_000;
/** Lines accepted in one policy (fields plus blank lines). */
export const MAX_POLICY_LINES = 20_000;

const MODES: readonly string[] = ['enforce', 'testing', 'none'];
const KEY = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** Any C0 control but TAB, or DEL: a bare CR inside a line is one (the "CRLF tricks" of hostile servers). */
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;

/**
 * Parses a policy body (RFC 8461 §3.2). CRLF and LF line ends are both accepted; a CR anywhere else is an
 * error. Blank lines are skipped. `version: STSv1`, `mode` and `max_age` are required, once each; at least one
 * `mx` unless mode is `none`. Errors carry the 1-based line. Never throws.
 */
export function parseMtaStsPolicy(text: string): MtaStsParseResult<MtaStsPolicy> {
  const err = (code: MtaStsSyntaxCode, message: string, line: number, offset = 0): MtaStsParseResult<MtaStsPolicy> => ({
    ok: false,
    error: { code, message, line, offset },
  });
  if (typeof text !== 'string') return err('bad-line', 'policy is not text', 0);
  const body = text.startsWith('\ufeff') ? text.slice(1) : text;
  const lines = body.split('\n');
  if (lines.length > MAX_POLICY_LINES) return err('too-long', `policy has over ${MAX_POLICY_LINES} lines`, MAX_POLICY_LINES);
  let version: string | undefined;
  let mode: MtaStsMode | undefined;
  let maxAge: number | undefined;
  const mx: string[] = [];
  const extensions: { name: string; value: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const number = i + 1;
    let line = lines[i] as string;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    const control = CONTROL.exec(line);
    if (control !== null) {
      return err('bad-character', `control character 0x${control[0].charCodeAt(0).toString(16).padStart(2, '0')} in the policy`, number, control.index);
    }
    if (/^[ \t]*$/.test(line)) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) return err('bad-line', 'expected "key: value"', number);
    const key = line.slice(0, colon);
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    if (!KEY.test(key)) return err('bad-line', `"${key}" is not a field name`, number);
    switch (key) {
      case 'version':
        if (version !== undefined) return err('duplicate-field', 'version appears twice', number);
        if (value !== 'STSv1') return err('bad-version', `version must be STSv1, not "${value}"`, number, colon + 1);
        version = value;
        break;
      case 'mode':
        if (mode !== undefined) return err('duplicate-field', 'mode appears twice', number);
        if (!MODES.includes(value)) return err('bad-mode', `mode must be enforce, testing or none, not "${value}"`, number, colon + 1);
        mode = value as MtaStsMode;
        break;
      case 'max_age':
        if (maxAge !== undefined) return err('duplicate-field', 'max_age appears twice', number);
        if (!/^[0-9]{1,10}$/.test(value)) return err('bad-max-age', 'max_age must be 1 to 10 digits', number, colon + 1);
        maxAge = Number(value);
        if (maxAge > MAX_MAX_AGE) return err('bad-max-age', `max_age ${value} is over ${MAX_MAX_AGE} (RFC 8461 §3.2)`, number, colon + 1);
        break;
      case 'mx': {
        const pattern = normalizeMxPattern(value);
        if (pattern === undefined) return err('bad-mx', `"${value}" is not a host name or *.domain pattern`, number, colon + 1);
        if (mx.length >= MAX_POLICY_MX) return err('too-many-mx', `over ${MAX_POLICY_MX} mx lines`, number);
        mx.push(pattern);
        break;
      }
      default:
        extensions.push({ name: key, value });
    }
  }
  const end = lines.length;
  if (version === undefined) return err('missing-version', 'no "version: STSv1" line', end);
  if (mode === undefined) return err('missing-mode', 'no mode line', end);
  if (maxAge === undefined) return err('missing-max-age', 'no max_age line', end);
  if (mode !== 'none' && mx.length === 0) return err('missing-mx', `mode ${mode} needs at least one mx line`, end);
  return { ok: true, value: { version: 'STSv1', mode, mx, maxAge, extensions } };
}

/**
 * An MX pattern in canonical form (lower-case, no trailing dot), or undefined when it is neither a host
 * name nor `*.` followed by one (RFC 8461 §3.2 `sts-policy-mx-value = ["*."] Domain`).
 */
export function normalizeMxPattern(value: string): string | undefined {
  let name = value.toLowerCase();
  if (name.endsWith('.')) name = name.slice(0, -1);
  const wildcard = name.startsWith('*.');
  const domain = wildcard ? name.slice(2) : name;
  if (domain.length === 0 || domain.length > 253) return undefined;
  const labels = domain.split('.');
  if (!labels.every((label) => LABEL.test(label))) return undefined;
  return name;
}
