// The SPF record parser (RFC 7208 §4.6, §5, §6, §12 ABNF): record text → a typed SpfRecord, parsed once
// and cached by text so that evaluation never re-parses. Never throws, whatever the input.

import { makeNetwork, parseIpv4Int, parseIpv6Into } from './ip.js';
import { parseMacroString } from './macro.js';
import type { MacroString, SpfMechanism, SpfModifier, SpfParseResult, SpfQualifier, SpfRecord, SpfSyntaxError } from './types.js';

/** Parsed records kept in memory, keyed by record text (FIFO eviction). */
export const PARSE_CACHE_MAX_ENTRIES = 5_000;
/** Records longer than this are parsed but not cached (a hostile record can't pin megabytes). */
export const PARSE_CACHE_MAX_TEXT = 8 * 1024;

const cache = new Map<string, SpfParseResult>();

const VERSION = 'v=spf1';

/** True when a TXT string is an SPF record: `v=spf1` (any case) followed by a space or the end (RFC 7208 §4.5). */
export function isSpfRecordText(text: string): boolean {
  if (text.length < 6) return false;
  if (text.length > 6 && text.charCodeAt(6) !== 32) return false;
  return text.slice(0, 6).toLowerCase() === VERSION;
}

/**
 * Parses an SPF record's text (the TXT character-strings joined). Returns the typed record, or the first
 * syntax error with its character offset and a message a person can act on. Never throws. Results are
 * cached by text (bounded), so callers may call this on every evaluation.
 */
export function parseSpfRecord(text: string): SpfParseResult {
  if (typeof text !== 'string') {
    return { ok: false, error: { code: 'not-spf', message: 'record is not text', offset: 0 } };
  }
  const hit = cache.get(text);
  if (hit !== undefined) return hit;
  let result: SpfParseResult;
  try {
    result = parseUncached(text);
  } catch (err) {
    // Defensive: a parser bug must not become an exception on hostile input.
    result = { ok: false, error: { code: 'invalid-mechanism', message: `internal parser error: ${String(err)}`, offset: 0 } };
  }
  if (text.length <= PARSE_CACHE_MAX_TEXT) {
    if (cache.size >= PARSE_CACHE_MAX_ENTRIES) {
      const oldest = cache.keys().next().value;
      if (oldest !== undefined) cache.delete(oldest);
    }
    cache.set(text, result);
  }
  return result;
}

/** Empties the parse cache (tests and memory pressure). */
export function clearSpfParseCache(): void {
  cache.clear();
}

function err(code: SpfSyntaxError['code'], message: string, offset: number): { ok: false; error: SpfSyntaxError } {
  return { ok: false, error: { code, message, offset } };
}

const MODIFIER = /^([A-Za-z][A-Za-z0-9\-_.]*)=/;
const MECHANISM_NAME = /^[A-Za-z][A-Za-z0-9]*/;
const DNS_KINDS = new Set(['include', 'a', 'mx', 'ptr', 'exists']);

function parseUncached(text: string): SpfParseResult {
  if (!isSpfRecordText(text)) {
    return err('not-spf', 'an SPF record starts with "v=spf1" followed by a space or the end (RFC 7208 §4.5)', 0);
  }
  const mechanisms: SpfMechanism[] = [];
  const unknownModifiers: SpfModifier[] = [];
  let redirect: SpfModifier | undefined;
  let exp: SpfModifier | undefined;
  let dnsTermCount = 0;
  let i = 6;
  while (i < text.length) {
    if (text.charCodeAt(i) === 32) {
      i++;
      continue;
    }
    let end = text.indexOf(' ', i);
    if (end < 0) end = text.length;
    const term = text.slice(i, end);
    const offset = i;
    i = end;
    for (let k = 0; k < term.length; k++) {
      const c = term.charCodeAt(k);
      if (c > 126) return err('non-ascii', `non-ASCII character at offset ${offset + k}: SPF records are 7-bit ASCII (RFC 7208 §3.1)`, offset + k);
      if (c < 33) return err('invalid-character', `control character 0x${c.toString(16).padStart(2, '0')} at offset ${offset + k}: terms are separated by spaces only (RFC 7208 §4.6.1)`, offset + k);
    }
    const mod = MODIFIER.exec(term);
    if (mod) {
      const name = mod[1]!.toLowerCase();
      const valueOffset = offset + mod[0].length;
      const valueText = term.slice(mod[0].length);
      if (name === 'redirect' || name === 'exp') {
        if ((name === 'redirect' ? redirect : exp) !== undefined) {
          return err('duplicate-modifier', `"${name}=" appears more than once (RFC 7208 §6)`, offset);
        }
        const spec = parseDomainSpec(valueText, valueOffset, `${name}=`);
        if (!spec.ok) return spec;
        const modifier: SpfModifier = { text: term, offset, name, value: spec.value };
        if (name === 'redirect') {
          redirect = modifier;
          dnsTermCount++;
        } else {
          exp = modifier;
        }
      } else {
        const value = parseMacroString(valueText, { baseOffset: valueOffset });
        if (!value.ok) return value;
        unknownModifiers.push({ text: term, offset, name, value: value.value });
      }
      continue;
    }
    const mech = parseMechanism(term, offset);
    if (!mech.ok) return mech;
    if (DNS_KINDS.has(mech.value.kind)) dnsTermCount++;
    mechanisms.push(mech.value);
  }
  const record: SpfRecord = { text, mechanisms, redirect, exp, unknownModifiers, dnsTermCount };
  return { ok: true, value: record };
}

type MechResult = { ok: true; value: SpfMechanism } | { ok: false; error: SpfSyntaxError };

function parseMechanism(term: string, offset: number): MechResult {
  let qualifier: SpfQualifier = '+';
  let start = 0;
  const q = term[0];
  if (q === '+' || q === '-' || q === '~' || q === '?') {
    qualifier = q;
    start = 1;
  }
  const body = term.slice(start);
  const nameMatch = MECHANISM_NAME.exec(body);
  if (!nameMatch) return badTerm(term, offset);
  const name = nameMatch[0].toLowerCase();
  const rest = body.slice(nameMatch[0].length);
  const restOffset = offset + start + nameMatch[0].length;
  const base = { text: term, offset, qualifier };
  switch (name) {
    case 'all':
      if (rest !== '') return err('invalid-mechanism', `"all" takes no argument: "${term}" (RFC 7208 §5.1)`, restOffset);
      return { ok: true, value: { ...base, kind: 'all' } };
    case 'include':
    case 'exists': {
      if (rest[0] !== ':') return err('invalid-mechanism', `"${name}" needs ":domain": "${term}" (RFC 7208 §5.2, §5.7)`, restOffset);
      const spec = parseDomainSpec(rest.slice(1), restOffset + 1, `${name}:`);
      if (!spec.ok) return spec;
      return { ok: true, value: { ...base, kind: name, domain: spec.value } };
    }
    case 'a':
    case 'mx': {
      const { specText, cidrText } = splitCidr(rest);
      let domain: MacroString | undefined;
      if (specText !== '') {
        if (specText[0] !== ':') return badTerm(term, offset);
        const spec = parseDomainSpec(specText.slice(1), restOffset + 1, `${name}:`);
        if (!spec.ok) return spec;
        domain = spec.value;
      }
      const cidr = parseDualCidr(cidrText, restOffset + specText.length);
      if (!cidr.ok) return cidr;
      return { ok: true, value: { ...base, kind: name, domain, cidr4: cidr.v4, cidr6: cidr.v6 } };
    }
    case 'ptr': {
      let domain: MacroString | undefined;
      if (rest !== '') {
        if (rest[0] !== ':') return err('invalid-mechanism', `"ptr" takes only ":domain": "${term}" (RFC 7208 §5.5)`, restOffset);
        const spec = parseDomainSpec(rest.slice(1), restOffset + 1, 'ptr:');
        if (!spec.ok) return spec;
        domain = spec.value;
      }
      return { ok: true, value: { ...base, kind: 'ptr', domain } };
    }
    case 'ip4':
    case 'ip6': {
      if (rest[0] !== ':') return err(name === 'ip4' ? 'invalid-ip4' : 'invalid-ip6', `"${name}" needs ":address": "${term}" (RFC 7208 §5.6)`, restOffset);
      const arg = rest.slice(1);
      const slash = arg.indexOf('/');
      const addrText = slash < 0 ? arg : arg.slice(0, slash);
      const family = name === 'ip4' ? 4 : 6;
      const max = family === 4 ? 32 : 128;
      let prefix = max;
      if (slash >= 0) {
        const p = parseCidrNumber(arg.slice(slash + 1), max);
        if (p < 0) return err('invalid-cidr', `invalid prefix length in "${term}": 0-${max} without leading zeros (RFC 7208 §5.6)`, restOffset + 1 + slash);
        prefix = p;
      }
      const words = [0, 0, 0, 0];
      if (family === 4) {
        const v = parseIpv4Int(addrText);
        if (v < 0) return err('invalid-ip4', `"${addrText}" is not an IPv4 address (dotted quad, no leading zeros; RFC 7208 §5.6)`, restOffset + 1);
        words[0] = v;
      } else if (!parseIpv6Into(addrText, words)) {
        return err('invalid-ip6', `"${addrText}" is not an IPv6 address (RFC 7208 §5.6, RFC 4291 §2.2)`, restOffset + 1);
      }
      return { ok: true, value: { ...base, kind: name, network: makeNetwork(family, words, prefix) } };
    }
    default:
      return err('unknown-mechanism', `unknown mechanism "${nameMatch[0]}" in "${term}" (RFC 7208 §5; modifiers are written name=value)`, offset + start);
  }
}

function badTerm(term: string, offset: number): MechResult {
  return err('invalid-mechanism', `"${term}" is neither a mechanism nor a modifier (RFC 7208 §4.6.1)`, offset);
}

/** Splits a trailing dual-cidr-length (`/n`, `//n`, `/n//m`) off the argument of a/mx. */
function splitCidr(rest: string): { specText: string; cidrText: string } {
  const m = /(?:\/\d*)?(?:\/\/\d*)?$/.exec(rest);
  // The cidr part must start with '/' and contain only digits and slashes.
  if (m && m[0].length > 0 && m.index >= 0) return { specText: rest.slice(0, m.index), cidrText: m[0] };
  return { specText: rest, cidrText: '' };
}

type CidrResult = { ok: true; v4: number; v6: number } | { ok: false; error: SpfSyntaxError };

function parseDualCidr(text: string, offset: number): CidrResult {
  let v4 = 32;
  let v6 = 128;
  if (text === '') return { ok: true, v4, v6 };
  const m = /^(?:\/(\d+))?(?:\/\/(\d+))?$/.exec(text);
  if (!m) return { ok: false, error: { code: 'invalid-cidr', message: `invalid CIDR length "${text}" (RFC 7208 §5.6 dual-cidr-length)`, offset } };
  if (m[1] !== undefined) {
    v4 = parseCidrNumber(m[1], 32);
    if (v4 < 0) return { ok: false, error: { code: 'invalid-cidr', message: `IPv4 prefix "/${m[1]}" must be 0-32 without leading zeros (RFC 7208 §5.6)`, offset } };
  }
  if (m[2] !== undefined) {
    v6 = parseCidrNumber(m[2], 128);
    if (v6 < 0) return { ok: false, error: { code: 'invalid-cidr', message: `IPv6 prefix "//${m[2]}" must be 0-128 without leading zeros (RFC 7208 §5.6)`, offset } };
  }
  return { ok: true, v4, v6 };
}

/** A prefix length: decimal, no leading zero, at most `max`; -1 when invalid. */
function parseCidrNumber(text: string, max: number): number {
  if (!/^(0|[1-9]\d{0,2})$/.test(text)) return -1;
  const n = Number(text);
  return n <= max ? n : -1;
}

const TOPLABEL = /^(?:[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*|[A-Za-z0-9]+-[A-Za-z0-9-]*[A-Za-z0-9])$/;

type SpecResult = { ok: true; value: MacroString } | { ok: false; error: SpfSyntaxError };

/**
 * Parses a domain-spec (RFC 7208 §7.1): a macro-string that ends in a macro-expand or in "." toplabel
 * with an optional trailing dot. Checked before expansion, never after (§7.1: "It is not correct to check
 * syntax after macro expansion").
 */
export function parseDomainSpec(text: string, offset: number, what: string): SpecResult {
  if (text === '') return { ok: false, error: { code: 'invalid-domain-spec', message: `"${what}" needs a domain (RFC 7208 §4.6.1)`, offset } };
  const parsed = parseMacroString(text, { baseOffset: offset });
  if (!parsed.ok) return parsed;
  const segs = parsed.value.segments;
  const last = segs[segs.length - 1];
  const endsInMacro = typeof last !== 'string' || endsWithLiteralMacro(text);
  if (!endsInMacro && !endsInToplabel(text)) {
    return {
      ok: false,
      error: {
        code: 'invalid-domain-spec',
        message: `"${text}" does not end in a valid top-level label (RFC 7208 §7.1 domain-end: not all-numeric, no leading or trailing "-", at least two labels)`,
        offset,
      },
    };
  }
  return parsed;
}

/** True when the text ends in `%%`, `%_` or `%-` (a macro-expand, so a valid domain-end). */
function endsWithLiteralMacro(text: string): boolean {
  // Count the run of '%' before the final character: "%%" ends in a macro only if the run is odd.
  const lastCh = text[text.length - 1];
  if (lastCh !== '%' && lastCh !== '_' && lastCh !== '-') return false;
  let run = 0;
  for (let k = text.length - 2; k >= 0 && text[k] === '%'; k--) run++;
  return run % 2 === 1;
}

function endsInToplabel(text: string): boolean {
  const body = text.endsWith('.') ? text.slice(0, -1) : text;
  const dot = body.lastIndexOf('.');
  if (dot < 0) return false;
  const top = body.slice(dot + 1);
  // The "." before the toplabel must be a literal dot, not part of a macro: parsed text guarantees that
  // since a '.' inside %{...} would make the toplabel contain '}' and fail the TOPLABEL test.
  return TOPLABEL.test(top);
}
