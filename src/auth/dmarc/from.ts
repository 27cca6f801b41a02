// The Author Domain from RFC5322.From (RFC 9989 §3.2.2, §5.3.1): the From field parsed as a mailbox list
// (RFC 5322 §3.4, §3.6.2) or a group (RFC 6854), with comments, quoted strings, obsolete routes and UTF-8
// (RFC 6532). The address comes only from the addr-spec: display names and encoded words never supply it.

import { normalizeDomain } from './domain.js';

/** Longest From field value accepted (RFC 5322 lines are ≤ 998 octets; folding allows more, not this much). */
export const MAX_FROM_LENGTH = 16 * 1024;
/** Addresses accepted in one From field; more is refused as hostile. */
export const MAX_FROM_ADDRESSES = 100;

export interface FromAddress {
  /** The local part as written (quotes kept). */
  localPart: string;
  /** The domain as written. */
  rawDomain: string;
  /** The Author Domain: A-labels, lower case, no trailing dot. */
  domain: string;
  /** The display name as written (encoded words not decoded), when there is one. */
  displayName?: string;
  /** The group the address sits in (RFC 6854), when there is one. */
  group?: string;
}

export type FromErrorCode = 'no-from' | 'multiple-from' | 'no-author-domain' | 'invalid-author-domain' | 'too-many-authors';

export type FromExtraction =
  | {
      ok: true;
      /** Distinct Author Domains in order of appearance (usually exactly one). */
      domains: string[];
      addresses: FromAddress[];
      /** Notes on suspicious but parsable fields (address-like display names, encoded words). */
      warnings: string[];
    }
  | { ok: false; error: { code: FromErrorCode; message: string; offset: number } };

/**
 * Extracts the Author Domain(s) from the raw From header field values of a message (one string per From
 * field, without the `From:` name; folding allowed). Exactly one field is required (RFC 5322 §3.6:
 * `no-from`, `multiple-from`). Every address must have a valid domain (`invalid-author-domain` for IP
 * literals and invalid IDNs); a field without any address is `no-author-domain`. Never throws.
 */
export function extractFromDomain(headers: readonly string[]): FromExtraction {
  if (!Array.isArray(headers) || headers.length === 0) return failure('no-from', 'the message has no From header field', 0);
  if (headers.length > 1) {
    return failure('multiple-from', `the message has ${headers.length} From header fields; RFC 5322 §3.6 allows exactly one`, 0);
  }
  const value = headers[0];
  if (typeof value !== 'string') return failure('no-from', 'the From header field is not text', 0);
  if (value.length > MAX_FROM_LENGTH) return failure('no-author-domain', `the From field is longer than ${MAX_FROM_LENGTH} characters`, MAX_FROM_LENGTH);
  const unfolded = value.replace(/\r?\n(?=[ \t])/g, '');
  const tokens = tokenize(unfolded);
  if (!tokens.ok) return tokens;
  const items = splitItems(tokens.value);
  if (!items.ok) return items;
  const addresses: FromAddress[] = [];
  const warnings: string[] = [];
  for (const item of items.value) {
    if (addresses.length >= MAX_FROM_ADDRESSES) {
      return failure('too-many-authors', `the From field lists more than ${MAX_FROM_ADDRESSES} addresses`, item.tokens[0]?.offset ?? 0);
    }
    const mailbox = parseMailbox(item.tokens);
    if (!mailbox.ok) return mailbox;
    const normal = normalizeDomain(mailbox.value.rawDomain);
    if (!normal.ok) {
      return failure('invalid-author-domain', `From domain "${clip(mailbox.value.rawDomain)}": ${normal.error.message}`, mailbox.offset);
    }
    const address: FromAddress = { ...mailbox.value, domain: normal.value };
    if (item.group !== undefined) address.group = item.group;
    addresses.push(address);
    warnings.push(...displayNameWarnings(address));
  }
  if (addresses.length === 0) {
    const message = items.value.length === 0 && tokens.value.some((t) => t.kind === 'special' && t.value === ';')
      ? 'the From field is an empty group: it names no author'
      : 'the From field holds no address';
    return failure('no-author-domain', message, 0);
  }
  const domains = [...new Set(addresses.map((a) => a.domain))];
  return { ok: true, domains, addresses, warnings };
}

type Token =
  | { kind: 'atom'; value: string; offset: number }
  | { kind: 'quoted'; value: string; offset: number }
  | { kind: 'literal'; value: string; offset: number }
  | { kind: 'special'; value: '<' | '>' | '@' | ',' | ':' | ';'; offset: number };

type Failure = { ok: false; error: { code: FromErrorCode; message: string; offset: number } };

const SPECIALS = new Set(['<', '>', '@', ',', ':', ';']);

/** Splits a field value into atoms, quoted strings, domain literals and specials; drops CFWS. */
function tokenize(text: string): { ok: true; value: Token[] } | Failure {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      i++;
    } else if (c === '(') {
      // Comments nest and may hold quoted-pairs (RFC 5322 §3.2.2); an unclosed one runs to the end.
      let depth = 0;
      while (i < text.length) {
        const d = text[i]!;
        if (d === '\\') i++;
        else if (d === '(') depth++;
        else if (d === ')' && --depth === 0) {
          i++;
          break;
        }
        i++;
      }
    } else if (c === '"') {
      const start = i;
      let value = '';
      i++;
      let closed = false;
      while (i < text.length) {
        const d = text[i]!;
        if (d === '\\' && i + 1 < text.length) {
          value += text[i + 1];
          i += 2;
        } else if (d === '"') {
          i++;
          closed = true;
          break;
        } else {
          value += d;
          i++;
        }
      }
      if (!closed) return failure('no-author-domain', `unterminated quoted string at offset ${start} in the From field`, start);
      tokens.push({ kind: 'quoted', value, offset: start });
    } else if (c === '[') {
      const end = text.indexOf(']', i);
      if (end < 0) return failure('no-author-domain', `unterminated domain literal at offset ${i} in the From field`, i);
      tokens.push({ kind: 'literal', value: text.slice(i, end + 1), offset: i });
      i = end + 1;
    } else if (SPECIALS.has(c)) {
      tokens.push({ kind: 'special', value: c as '<', offset: i });
      i++;
    } else {
      const start = i;
      while (i < text.length && !/[\s()"<>@,:;[\]\\]/.test(text[i]!)) i++;
      if (i === start) i++; // a stray ']' or '\': skip it
      else tokens.push({ kind: 'atom', value: text.slice(start, i), offset: start });
    }
  }
  return { ok: true, value: tokens };
}

interface Item {
  tokens: Token[];
  group?: string;
}

/** Splits tokens into mailboxes at top-level commas, unwrapping groups (`name: a, b;`). */
function splitItems(tokens: Token[]): { ok: true; value: Item[] } | Failure {
  const items: Item[] = [];
  let current: Token[] = [];
  let inAngle = false;
  let group: string | undefined;
  const flush = (): void => {
    if (current.length > 0) items.push(group === undefined ? { tokens: current } : { tokens: current, group });
    current = [];
  };
  for (const token of tokens) {
    if (token.kind === 'special') {
      if (token.value === '<') {
        if (inAngle) return failure('no-author-domain', `nested "<" at offset ${token.offset} in the From field`, token.offset);
        inAngle = true;
      } else if (token.value === '>') {
        inAngle = false;
      } else if (!inAngle && token.value === ',') {
        flush();
        continue;
      } else if (!inAngle && token.value === ':' && group === undefined && !current.some((t) => t.kind === 'special')) {
        group = current.map(text).join(' ');
        current = [];
        continue;
      } else if (!inAngle && token.value === ';' && group !== undefined) {
        flush();
        group = undefined;
        continue;
      }
    }
    current.push(token);
  }
  if (inAngle) return failure('no-author-domain', 'unterminated "<" in the From field', tokens[tokens.length - 1]?.offset ?? 0);
  flush();
  return { ok: true, value: items };
}

/** One mailbox: `[display-name] <addr-spec>` or a bare addr-spec (RFC 5322 §3.4). */
function parseMailbox(tokens: Token[]): { ok: true; value: Omit<FromAddress, 'domain'>; offset: number } | Failure {
  const open = tokens.findIndex((t) => t.kind === 'special' && t.value === '<');
  let spec = tokens;
  let displayName: string | undefined;
  if (open >= 0) {
    const close = tokens.findIndex((t, k) => k > open && t.kind === 'special' && t.value === '>');
    const after = tokens.slice(close + 1);
    if (after.some((t) => t.kind === 'special' && t.value === '<')) {
      return failure('no-author-domain', `a From mailbox has two angle addresses (offset ${after[0]!.offset})`, after[0]!.offset);
    }
    if (after.length > 0) return failure('no-author-domain', `text after ">" at offset ${after[0]!.offset} in the From field`, after[0]!.offset);
    spec = tokens.slice(open + 1, close);
    // obs-route: "<@a.example,@b.example:user@c.example>" — the address follows the last ':'.
    const colon = spec.map((t) => t.kind === 'special' && t.value === ':').lastIndexOf(true);
    if (colon >= 0) spec = spec.slice(colon + 1);
    if (open > 0) displayName = tokens.slice(0, open).map(text).join(' ');
  }
  const at = spec.map((t) => t.kind === 'special' && t.value === '@').lastIndexOf(true);
  const offset = spec[0]?.offset ?? tokens[0]?.offset ?? 0;
  if (at < 0) {
    const shown = clip(tokens.map(text).join(' '));
    return failure('no-author-domain', `"${shown}" in the From field is not an address (no "@")`, offset);
  }
  const local = spec.slice(0, at);
  const domain = spec.slice(at + 1);
  if (local.length === 0) return failure('no-author-domain', `an address in the From field has no local part (offset ${offset})`, offset);
  if (domain.length !== 1 || domain[0]!.kind === 'special' || domain[0]!.kind === 'quoted') {
    return failure('invalid-author-domain', `the domain after "@" at offset ${spec[at]!.offset} is not a domain name`, spec[at]!.offset);
  }
  if (domain[0]!.kind === 'literal') {
    return failure('invalid-author-domain', `From domain ${domain[0]!.value} is an address literal: DMARC needs a domain name`, domain[0]!.offset);
  }
  if (local.some((t) => t.kind === 'special')) {
    return failure('no-author-domain', `the local part at offset ${offset} holds "${local.find((t) => t.kind === 'special')!.value}"`, offset);
  }
  const value: Omit<FromAddress, 'domain'> = { localPart: local.map(text).join(''), rawDomain: domain[0]!.value };
  if (displayName !== undefined) value.displayName = displayName;
  return { ok: true, value, offset: domain[0]!.offset };
}

/** Warnings for display names that show an address other than the real one (plain or encoded-word). */
function displayNameWarnings(address: FromAddress): string[] {
  if (address.displayName === undefined) return [];
  const warnings: string[] = [];
  const decoded = decodeEncodedWords(address.displayName);
  if (decoded !== address.displayName) warnings.push(`display name uses encoded words: "${clip(decoded)}"`);
  const shown = /@([^\s@>"',;]+)/.exec(decoded);
  if (shown) {
    const normal = normalizeDomain(shown[1]!.replace(/[.]+$/, ''));
    if (!normal.ok || normal.value !== address.domain) {
      warnings.push(`display name shows an address at ${clip(shown[1]!)} but the author domain is ${address.domain}`);
    }
  }
  return warnings;
}

/** Decodes RFC 2047 encoded words (B and Q) for display only; malformed words stay as written. */
export function decodeEncodedWords(text: string): string {
  return text.replace(/=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=/g, (word, charset: string, encoding: string, data: string) => {
    try {
      const bytes =
        encoding.toUpperCase() === 'B'
          ? Buffer.from(data, 'base64')
          : Buffer.from(data.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1');
        const label = charset.split('*')[0]!.toLowerCase();
      return new TextDecoder(label === 'utf8' ? 'utf-8' : label).decode(bytes);
    } catch {
      return word;
    }
  });
}

function text(token: Token): string {
  return token.kind === 'quoted' ? `"${token.value}"` : token.value;
}

function clip(value: string): string {
  return value.length > 80 ? `${value.slice(0, 77)}...` : value;
}

function failure(code: FromErrorCode, message: string, offset: number): Failure {
  return { ok: false, error: { code, message, offset } };
}
