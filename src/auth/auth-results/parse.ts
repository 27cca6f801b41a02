// Parsing Authentication-Results (RFC 8601 §2.2) and ARC-Authentication-Results (RFC 8617 §4.1.1) header
// values, tolerant of what real servers write (comments anywhere, odd spacing, folding, `method/1`,
// Microsoft's missing authserv-id and bare `action=none`), strict about hostile input. Never throws.

import { Scanner } from './scanner.js';
import type {
  ArcAuthResultsParseResult,
  AuthResultEntry,
  AuthResults,
  AuthResultsError,
  AuthResultsParseResult,
  AuthResultsWarning,
} from './types.js';

/** Real headers are a few KB; anything past this is an attack on the parser or on memory. */
export const MAX_AUTH_RESULTS_LENGTH = 64 * 1024;
/** resinfos per header; Gmail writes 3-4, Fastmail about 10. */
export const MAX_RESULTS = 256;
/** RFC 8617 §4.2.1: ARC instances run from 1 to 50. */
export const MAX_ARC_INSTANCE = 50;

const HEADER_NAME = /^[ \t]*Authentication-Results[ \t]*:/i;
const ARC_HEADER_NAME = /^[ \t]*ARC-Authentication-Results[ \t]*:/i;

function isError(x: unknown): x is AuthResultsError {
  return typeof x === 'object' && x !== null && 'code' in x;
}

/** Length and character checks shared by both parsers: no NUL or controls other than TAB/CR/LF. */
function precheck(value: unknown): AuthResultsError | null {
  if (typeof value !== 'string') return { code: 'empty', offset: 0, message: 'the value is not a string' };
  if (value.length > MAX_AUTH_RESULTS_LENGTH) {
    return { code: 'too-long', offset: MAX_AUTH_RESULTS_LENGTH, message: `value is ${value.length} characters, over the limit of ${MAX_AUTH_RESULTS_LENGTH}` };
  }
  const bad = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.exec(value);
  if (bad) {
    return { code: 'bad-character', offset: bad.index, message: `control character U+${bad[0].charCodeAt(0).toString(16).padStart(4, '0')} at offset ${bad.index}` };
  }
  if (value.trim() === '') return { code: 'empty', offset: 0, message: 'the value is empty' };
  return null;
}

/** Parses one resinfo starting at the method (the cursor is past `;` and CFWS). */
function parseResinfo(s: Scanner, warnings: Set<AuthResultsWarning>): AuthResultEntry | AuthResultsError {
  const start = s.pos;
  const method = s.word();
  if (method === '' || method.includes('.')) return s.fail('bad-method', 'expected method=result, e.g. spf=pass', start);
  let err = s.skipCfws();
  if (err) return err;
  let methodVersion: number | undefined;
  if (s.eat('/')) {
    if ((err = s.skipCfws())) return err;
    const v = s.word();
    if (!/^\d{1,9}$/.test(v)) return s.fail('bad-method', `method version after '${method}/' must be digits`);
    methodVersion = Number(v);
    if ((err = s.skipCfws())) return err;
  }
  if (!s.eat('=')) return s.fail('bad-method', `expected '=' after method '${method}'`);
  if ((err = s.skipCfws())) return err;
  const result = s.word();
  if (result === '') return s.fail('bad-method', `expected a result after '${method}='`);
  const entry: AuthResultEntry = { method: method.toLowerCase(), ...(methodVersion === undefined ? {} : { methodVersion }), result: result.toLowerCase(), props: [] };

  for (;;) {
    if ((err = s.skipCfws())) return err;
    if (s.done || s.peek() === ';') break;
    const itemStart = s.pos;
    let name = s.word();
    if (name === '') return s.fail('bad-property', `unexpected '${s.peek()}' in the ${entry.method} result`);
    if ((err = s.skipCfws())) return err;
    if (!name.includes('.') && s.eat('.')) {
      // RFC 8601 allows CFWS around the dot: `policy (c) . (c) expired` (Appendix B.7).
      if ((err = s.skipCfws())) return err;
      const property = s.word();
      if (property === '') return s.fail('bad-property', `expected a property after '${name}.'`);
      name = `${name}.${property}`;
      if ((err = s.skipCfws())) return err;
    }
    if (name.startsWith('.') || name.endsWith('.')) return s.fail('bad-property', `'${name}' is not ptype.property`, itemStart);
    if (!s.eat('=')) return s.fail('bad-property', `expected '=' after '${name}'`, itemStart);
    if ((err = s.skipCfws())) return err;
    const v = s.value();
    if (isError(v)) return v;
    if (v.value === '') warnings.add('empty-value');
    const lower = name.toLowerCase();
    const dot = lower.indexOf('.');
    if (lower === 'reason') entry.reason = v.value;
    else if (dot > 0 && dot < lower.length - 1) entry.props.push({ ptype: lower.slice(0, dot), property: lower.slice(dot + 1), value: v.value });
    else (entry.extras ??= []).push({ name: lower, value: v.value });
  }
  const comments = s.takeComments().filter((c) => c !== '');
  if (comments.length) entry.comment = comments.join(' ');
  return entry;
}

/** Parses from the authserv-id on (the cursor is at it). Shared by A-R and AAR. */
function parseBody(s: Scanner): AuthResultsParseResult {
  const warnings = new Set<AuthResultsWarning>();
  let err = s.skipCfws();
  if (err) return { ok: false, error: err };
  s.takeComments();
  let authservId = '';
  let version: number | undefined;
  const idStart = s.pos;
  const id = s.value();
  if (isError(id)) return { ok: false, error: id };
  if (id.value === '' && s.peek() === ';') return { ok: false, error: s.fail('missing-authserv-id', 'no authserv-id before the first ;', idStart) };
  if (/^[A-Za-z0-9_-]+(\/\d+)?=/.test(id.value) && s.text[idStart] !== '"') {
    // Microsoft 365 starts with the first result (`spf=pass ...`) and no authserv-id: re-read it as a resinfo.
    warnings.add('missing-authserv-id');
    s.pos = idStart;
  } else {
    authservId = id.value;
    if ((err = s.skipCfws())) return { ok: false, error: err };
    const save = s.pos;
    const maybeVersion = s.word();
    if (/^\d{1,9}$/.test(maybeVersion)) version = Number(maybeVersion);
    else s.pos = save;
    if ((err = s.skipCfws())) return { ok: false, error: err };
    if (s.done) {
      // RFC 8601 needs `; none`; a bare authserv-id means the same.
      warnings.add('no-result-keyword');
      return { ok: true, value: { authservId, ...(version === undefined ? {} : { version }), results: [], warnings: [...warnings] } };
    }
    if (!s.eat(';')) {
      const save2 = s.pos;
      const word = s.word();
      if (word.toLowerCase() === 'none') {
        if ((err = s.skipCfws())) return { ok: false, error: err };
        if (s.done) {
          warnings.add('missing-semicolon');
          return { ok: true, value: { authservId, ...(version === undefined ? {} : { version }), results: [], warnings: [...warnings] } };
        }
      }
      s.pos = save2;
      warnings.add('missing-semicolon');
    }
  }
  s.takeComments();

  const results: AuthResultEntry[] = [];
  let first = true;
  for (;;) {
    if ((err = s.skipCfws())) return { ok: false, error: err };
    if (s.done) break;
    if (s.eat(';')) continue; // empty resinfo or trailing ';'
    const save = s.pos;
    const word = s.word();
    if (first && word.toLowerCase() === 'none') {
      if ((err = s.skipCfws())) return { ok: false, error: err };
      if (s.done || s.peek() === ';') {
        s.eat(';');
        continue;
      }
    }
    s.pos = save;
    first = false;
    if (results.length >= MAX_RESULTS) return { ok: false, error: s.fail('too-many-results', `more than ${MAX_RESULTS} results`) };
    const entry = parseResinfo(s, warnings);
    if (isError(entry)) return { ok: false, error: entry };
    results.push(entry);
  }
  return { ok: true, value: { authservId, ...(version === undefined ? {} : { version }), results, warnings: [...warnings] } };
}

/**
 * Parses an Authentication-Results header value (RFC 8601 §2.2); a leading `Authentication-Results:` is
 * allowed and skipped. Method, result, ptype and property come back lower-cased, values as written.
 * Returns `{ok: false, error}` with a code and offset for hostile or broken input; never throws.
 */
export function parseAuthenticationResults(value: string): AuthResultsParseResult {
  const pre = precheck(value);
  if (pre) return { ok: false, error: pre };
  const s = new Scanner(value);
  const name = HEADER_NAME.exec(value);
  if (name) s.pos = name[0].length;
  return parseBody(s);
}

/**
 * Parses an ARC-Authentication-Results value (RFC 8617 §4.1.1): `i=N;` then the same payload as
 * Authentication-Results. Fails with `missing-instance` when `i=` is not first, `bad-instance` when N is
 * not a number from 1 to 50 or is not followed by `;`, otherwise as parseAuthenticationResults.
 */
export function parseArcAuthenticationResults(value: string): ArcAuthResultsParseResult {
  const pre = precheck(value);
  if (pre) return { ok: false, error: pre };
  const s = new Scanner(value);
  const name = ARC_HEADER_NAME.exec(value);
  if (name) s.pos = name[0].length;
  let err = s.skipCfws();
  if (err) return { ok: false, error: err };
  const tagStart = s.pos;
  if (s.word().toLowerCase() !== 'i') return { ok: false, error: s.fail('missing-instance', 'an ARC-Authentication-Results value starts with i=N;', tagStart) };
  if ((err = s.skipCfws())) return { ok: false, error: err };
  if (!s.eat('=')) return { ok: false, error: s.fail('missing-instance', "expected '=' after 'i'") };
  if ((err = s.skipCfws())) return { ok: false, error: err };
  const numStart = s.pos;
  const n = s.word();
  if (!/^\d{1,3}$/.test(n) || Number(n) < 1 || Number(n) > MAX_ARC_INSTANCE) {
    return { ok: false, error: s.fail('bad-instance', `i= must be a number from 1 to ${MAX_ARC_INSTANCE}, got '${n}'`, numStart) };
  }
  if ((err = s.skipCfws())) return { ok: false, error: err };
  if (!s.eat(';')) return { ok: false, error: s.fail('bad-instance', `expected ';' after i=${n}`) };
  const body = parseBody(s);
  if (!body.ok) return body;
  return { ok: true, value: { instance: Number(n), ...body.value } };
}

/** Convenience for callers holding a parsed value: the results of one method, in header order. */
export function resultsFor(value: AuthResults, method: string): AuthResultEntry[] {
  const m = method.toLowerCase();
  return value.results.filter((r) => r.method === m);
}
