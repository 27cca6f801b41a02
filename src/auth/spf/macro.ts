// SPF macros (RFC 7208 §7): parsing a macro-string once into segments, and expanding it against the
// check's context with bounded work, URL escaping for upper-case letters and §7.3 left truncation of
// domain names over 253 characters.

import type { IpAddress } from './ip.js';
import { formatIp, macroIpText } from './ip.js';
import type { MacroExpand, MacroLetter, MacroSegment, MacroString, SpfSyntaxError } from './types.js';

/** `%{d99999}` keeps at most this many parts (RFC 7208 §7.3: implementations support at least 128). */
export const MAX_MACRO_PARTS = 128;
/** Characters of macro values one expansion may read: a hostile sender can't make us split megabytes. */
export const MAX_MACRO_WORK = 64 * 1024;
/** Longest expansion result; explanation text longer than this is abandoned for the default. */
export const MAX_MACRO_OUTPUT = 8 * 1024;
/** Longest domain name after expansion (RFC 7208 §7.3, RFC 1035 §2.3.4). */
export const MAX_DOMAIN_LENGTH = 253;

const LETTERS = 'slodipvhcrt';
const EXP_ONLY = 'crt';
const DELIMITERS = '.-+,/_=';

export interface MacroParseOptions {
  /** Explanation text: c, r, t allowed, and spaces are literal (RFC 7208 §6.2 explain-string). */
  explanation?: boolean;
  /** Added to error offsets (the position of the string in the record). */
  baseOffset?: number;
}

export type MacroParseResult = { ok: true; value: MacroString } | { ok: false; error: SpfSyntaxError };

/**
 * Parses a macro-string (RFC 7208 §7.1). Never throws. Literal characters must be visible ASCII
 * (%x21-7E; plus space in explanations); `%` must start `%{...}`, `%%`, `%_` or `%-`.
 */
export function parseMacroString(source: string, options: MacroParseOptions = {}): MacroParseResult {
  const base = options.baseOffset ?? 0;
  const explanation = options.explanation === true;
  const segments: MacroSegment[] = [];
  let literal = '';
  let hasMacro = false;
  let needsPtr = false;
  const fail = (offset: number, message: string, code: SpfSyntaxError['code'] = 'invalid-macro'): MacroParseResult => ({
    ok: false,
    error: { code, message, offset: base + offset },
  });
  for (let i = 0; i < source.length; i++) {
    const c = source.charCodeAt(i);
    if (c !== 37) {
      if (c > 126) return fail(i, `non-ASCII character at offset ${base + i}: SPF records are 7-bit ASCII (RFC 7208 §3.1)`, 'non-ascii');
      if (c < 33 && !(explanation && c === 32)) {
        return fail(i, `invalid character 0x${c.toString(16).padStart(2, '0')} at offset ${base + i} (RFC 7208 §7.1 macro-literal)`, 'invalid-character');
      }
      literal += source[i];
      continue;
    }
    const next = source[i + 1];
    if (next === '%') literal += '%';
    else if (next === '_') literal += ' ';
    else if (next === '-') literal += '%20';
    else if (next === '{') {
      const close = source.indexOf('}', i + 2);
      if (close < 0) return fail(i, `unterminated macro "${source.slice(i, i + 12)}" (RFC 7208 §7.1)`);
      const parsed = parseExpand(source.slice(i + 2, close), explanation);
      if (typeof parsed === 'string') return fail(i, `${parsed} in "${source.slice(i, close + 1)}" (RFC 7208 §7.1)`);
      if (literal) segments.push(literal);
      literal = '';
      segments.push(parsed);
      hasMacro = true;
      if (parsed.letter === 'p') needsPtr = true;
      i = close;
      continue;
    } else {
      return fail(i, `"%" must be followed by "{", "%", "_" or "-" (RFC 7208 §7.1)`);
    }
    i++;
  }
  if (literal) segments.push(literal);
  return {
    ok: true,
    value: { source, segments, literal: hasMacro ? undefined : segments.join(''), needsPtr },
  };
}

function parseExpand(body: string, explanation: boolean): MacroExpand | string {
  const raw = body[0];
  if (raw === undefined) return 'empty macro';
  const letter = raw.toLowerCase();
  if (!LETTERS.includes(letter)) return `unknown macro letter "${raw}"`;
  if (!explanation && EXP_ONLY.includes(letter)) return `macro letter "${raw}" is only allowed in exp= text`;
  let i = 1;
  let digits = 0;
  let digitCount = 0;
  while (i < body.length && body.charCodeAt(i) >= 48 && body.charCodeAt(i) <= 57) {
    digits = Math.min(digits * 10 + (body.charCodeAt(i) - 48), 1_000_000);
    digitCount++;
    i++;
  }
  if (digitCount > 0 && digits === 0) return 'the part count must be non-zero';
  let reverse = false;
  if (body[i] === 'r' || body[i] === 'R') {
    reverse = true;
    i++;
  }
  let delimiters = '';
  for (; i < body.length; i++) {
    const d = body[i]!;
    if (!DELIMITERS.includes(d)) return `invalid delimiter "${d}"`;
    if (!delimiters.includes(d)) delimiters += d;
  }
  return {
    letter: letter as MacroLetter,
    upper: raw !== letter,
    digits: Math.min(digits, MAX_MACRO_PARTS),
    reverse,
    delimiters: delimiters === '.' ? '' : delimiters,
  };
}

/** Everything a macro may refer to. `ptrName` must be set before expanding a string with `needsPtr`. */
export interface MacroContext {
  /** <sender> (s). */
  sender: string;
  /** Local part of <sender> (l). */
  local: string;
  /** Domain of <sender> (o). */
  senderDomain: string;
  /** HELO/EHLO domain (h). */
  helo: string;
  ip: IpAddress;
  /** Checking host name (r); 'unknown' when not given. */
  receiver: string;
  /** Seconds since the epoch (t). */
  now: () => number;
  /** Validated domain name of the client (p); 'unknown' when none. */
  ptrName?: string;
}

/**
 * Expands a parsed macro-string for the current `domain` (d). Returns undefined when the bounds
 * (MAX_MACRO_WORK, MAX_MACRO_OUTPUT) are exceeded. Domain-name truncation is done by `expandDomainSpec`.
 */
export function expandMacroString(ms: MacroString, domain: string, ctx: MacroContext): string | undefined {
  if (ms.literal !== undefined) return ms.literal;
  let out = '';
  let work = 0;
  for (const seg of ms.segments) {
    if (typeof seg === 'string') {
      out += seg;
    } else {
      const value = macroValue(seg.letter, domain, ctx);
      work += value.length;
      if (work > MAX_MACRO_WORK) return undefined;
      let expanded = seg.digits === 0 && !seg.reverse && seg.delimiters === '' ? value : transform(value, seg);
      if (seg.upper) expanded = urlEscape(expanded);
      out += expanded;
    }
    if (out.length > MAX_MACRO_OUTPUT) return undefined;
  }
  return out;
}

/**
 * Expands a domain-spec into a query name (RFC 7208 §7.3): lower-cased, one trailing dot removed, and
 * left-truncated by whole labels to at most 253 characters. Returns undefined when the expansion exceeds
 * the bounds. The result is not yet checked as a DNS name (see `isQueryableName`).
 */
export function expandDomainSpec(ms: MacroString, domain: string, ctx: MacroContext): string | undefined {
  let name = expandMacroString(ms, domain, ctx);
  if (name === undefined) return undefined;
  if (name.endsWith('.')) name = name.slice(0, -1);
  while (name.length > MAX_DOMAIN_LENGTH) {
    const dot = name.indexOf('.');
    if (dot < 0) return name; // one label too long: the caller rejects it as not queryable
    name = name.slice(dot + 1);
  }
  return name.toLowerCase();
}

function macroValue(letter: MacroLetter, domain: string, ctx: MacroContext): string {
  switch (letter) {
    case 's':
      return ctx.sender;
    case 'l':
      return ctx.local;
    case 'o':
      return ctx.senderDomain;
    case 'd':
      return domain;
    case 'i':
      return macroIpText(ctx.ip);
    case 'p':
      return ctx.ptrName ?? 'unknown';
    case 'v':
      return ctx.ip.family === 4 ? 'in-addr' : 'ip6';
    case 'h':
      return ctx.helo;
    case 'c':
      return formatIp(ctx.ip);
    case 'r':
      return ctx.receiver;
    case 't':
      return String(Math.floor(ctx.now() / 1000));
  }
}

/** Split on the delimiters, optionally reverse, keep the rightmost `digits` parts, join with '.' (§7.3). */
function transform(value: string, m: MacroExpand): string {
  const delims = m.delimiters === '' ? '.' : m.delimiters;
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    if (delims.includes(value[i]!)) {
      parts.push(value.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(value.slice(start));
  if (m.reverse) parts.reverse();
  const kept = m.digits > 0 && m.digits < parts.length ? parts.slice(parts.length - m.digits) : parts;
  return kept.join('.');
}

const UNRESERVED = /^[A-Za-z0-9\-._~]*$/;

/** URL-escapes everything outside RFC 3986 `unreserved`, as UTF-8 octets (RFC 7208 §7.3). */
export function urlEscape(value: string): string {
  if (UNRESERVED.test(value)) return value;
  let out = '';
  for (const ch of value) {
    if (/[A-Za-z0-9\-._~]/.test(ch)) out += ch;
    else for (const byte of Buffer.from(ch, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * True when `name` can be sent as a DNS query: 1..253 characters, labels 1..63 (RFC 1035 §2.3.4).
 * Targets that fail this are treated as non-existent (RFC 7208 §4.3, §4.8): the term does not match.
 */
export function isQueryableName(name: string): boolean {
  if (name.length === 0 || name.length > MAX_DOMAIN_LENGTH) return false;
  let labelStart = 0;
  for (let i = 0; i <= name.length; i++) {
    if (i === name.length || name.charCodeAt(i) === 46) {
      const len = i - labelStart;
      if (len === 0 || len > 63) return false;
      labelStart = i + 1;
    }
  }
  return true;
}
