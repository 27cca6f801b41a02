// The addresses in a message's From header field (RFC 5322 §3.4, §3.6.2; groups RFC 6854), enough to decide
// whether an account may use them. Display names, comments and encoded words never supply an address. Strict:
// what cannot be parsed is an error, and the caller refuses the message rather than guessing. Never throws.

import type { HeaderField } from '../../core/message/headers.js';
import { fieldValue } from '../../core/message/headers.js';
import { parseDomain } from '../smtp/address.js';
import type { AddressParts } from './address-patterns.js';

/** Longest From value we parse; RFC 5322 lines are at most 998 octets, folding allows a few more. */
export const MAX_FROM_VALUE_BYTES = 16 * 1024;
/** Addresses in one From field; more is hostile. */
export const MAX_FROM_ADDRESSES = 50;

export type HeaderFromResult =
  | { ok: true; addresses: AddressParts[] }
  | { ok: false; error: 'no-from' | 'multiple-from' | 'unparsable'; detail: string };

/** Parses the From field(s) of a header. Exactly one From field is required (RFC 5322 §3.6). */
export function headerFromAddresses(headers: readonly HeaderField[]): HeaderFromResult {
  const fields = headers.filter((h) => h.lowerName === 'from');
  if (fields.length === 0) return { ok: false, error: 'no-from', detail: 'no From header field' };
  if (fields.length > 1) return { ok: false, error: 'multiple-from', detail: `${fields.length} From header fields` };
  const raw = fieldValue(fields[0]!);
  if (raw.length > MAX_FROM_VALUE_BYTES) return { ok: false, error: 'unparsable', detail: 'From field too long' };
  return parseFromValue(raw.toString('utf8'));
}

type Token = { t: 'atom' | 'quoted' | 'angle'; v: string } | { t: 'special'; v: ',' | ':' | ';' | '@' | '.' };

/** Parses a From field value (folding allowed) into its addresses. */
export function parseFromValue(value: string): HeaderFromResult {
  const tokens = tokenize(value.replace(/\r\n(?=[ \t])/g, ''));
  if (!tokens) return bad('unbalanced quotes, comments or angle brackets');
  const addresses: AddressParts[] = [];
  // Split on commas outside angle brackets; a group "name: a, b;" contributes its members.
  let item: Token[] = [];
  const flush = (): string | undefined => {
    const current = item;
    item = [];
    if (current.length === 0) return undefined;
    const angle = current.filter((t) => t.t === 'angle');
    if (angle.length > 1) return 'more than one angle address in a mailbox';
    let spec: string;
    if (angle.length === 1) {
      spec = angle[0]!.v.replace(/^(@[^:]*:)/, ''); // obs-route
    } else {
      spec = current.map((t) => (t.t === 'quoted' ? `"${t.v}"` : t.v)).join('');
    }
    const parsed = splitAddrSpec(spec);
    if (!parsed) return `"${spec.slice(0, 60)}" is not an address`;
    if (addresses.length >= MAX_FROM_ADDRESSES) return 'too many addresses';
    addresses.push(parsed);
    return undefined;
  };
  for (const token of tokens) {
    if (token.t === 'special' && token.v === ',') {
      const error = flush();
      if (error) return bad(error);
    } else if (token.t === 'special' && token.v === ':' && !item.some((t) => t.t === 'angle')) {
      item = []; // group display name
    } else if (token.t === 'special' && token.v === ';') {
      const error = flush();
      if (error) return bad(error);
    } else {
      item.push(token);
    }
  }
  const error = flush();
  if (error) return bad(error);
  if (addresses.length === 0) return bad('no address in From');
  return { ok: true, addresses };
}

function bad(detail: string): HeaderFromResult {
  return { ok: false, error: 'unparsable', detail };
}

function tokenize(text: string): Token[] | undefined {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t') {
      i++;
    } else if (c === '(') {
      let depth = 0;
      for (; i < text.length; i++) {
        if (text[i] === '\\') i++;
        else if (text[i] === '(') depth++;
        else if (text[i] === ')' && --depth === 0) break;
      }
      if (depth !== 0) return undefined;
      i++;
    } else if (c === '"') {
      let v = '';
      for (i++; i < text.length && text[i] !== '"'; i++) {
        if (text[i] === '\\') i++;
        v += text[i] ?? '';
      }
      if (i >= text.length) return undefined;
      tokens.push({ t: 'quoted', v });
      i++;
    } else if (c === '<') {
      const end = text.indexOf('>', i);
      if (end < 0) return undefined;
      tokens.push({ t: 'angle', v: text.slice(i + 1, end).replace(/\s+/g, '') });
      i = end + 1;
    } else if (c === '>' || c === ')') {
      return undefined;
    } else if (c === ',' || c === ':' || c === ';' || c === '@' || c === '.') {
      tokens.push({ t: 'special', v: c });
      i++;
    } else {
      let j = i;
      while (j < text.length && !' \t()"<>,:;@.'.includes(text[j]!)) j++;
      tokens.push({ t: 'atom', v: text.slice(i, j) });
      i = j;
    }
  }
  return tokens;
}

/** `local@domain` with a quoted or dot-atom local part and a real domain (no literals, no trailing dot). */
function splitAddrSpec(spec: string): AddressParts | undefined {
  const at = spec.lastIndexOf('@');
  if (at <= 0) return undefined;
  let local = spec.slice(0, at);
  if (local.startsWith('"') && local.endsWith('"') && local.length >= 2) local = local.slice(1, -1);
  else if (!/^[^\s"(),:;<>@[\\\]]+$/u.test(local) || local.startsWith('.') || local.endsWith('.') || local.includes('..')) return undefined;
  const domain = parseDomain(spec.slice(at + 1));
  if (!domain || domain.literal) return undefined;
  return { local, domain: domain.ascii };
}

/** Counts Received fields (RFC 5321 §6.3 loop detection). */
export function countReceived(headers: readonly HeaderField[]): number {
  let n = 0;
  for (const h of headers) if (h.lowerName === 'received') n++;
  return n;
}
