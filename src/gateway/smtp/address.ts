// The reverse-path and forward-path of MAIL and RCPT (RFC 5321 §4.1.2, RFC 6531 §3.3 for UTF-8), parsed
// strictly. Relay tricks start with sloppy address parsing, so this refuses rather than guesses: source routes
// are refused (not silently dropped), the domain must be a real domain or an address literal (no trailing dot,
// no empty labels), and the caller gets the local part unquoted so it can refuse routing characters.
// Never throws.

import { domainToASCII } from 'node:url';
import { isIP } from 'node:net';

export interface Mailbox {
  /** The local part as written (quotes and escapes kept). */
  localPart: string;
  /** The local part with quoting removed: what a later hop would see as the name. */
  localUnquoted: string;
  /** The domain as written (U-labels kept), or the address literal with its brackets. */
  domain: string;
  /** Lower-case A-label form for matching, or the literal with brackets (`[192.0.2.1]`, `[ipv6:…]`). */
  domainAscii: string;
  isLiteral: boolean;
  /** True when the address has non-ASCII characters (needs SMTPUTF8, RFC 6531). */
  nonAscii: boolean;
  /** `localPart@domain`, domain lower-cased: what goes on the envelope. */
  address: string;
}

export type PathParse =
  | { ok: true; kind: 'null' } // "<>"
  | { ok: true; kind: 'postmaster' } // "<Postmaster>" with no domain (RFC 5321 §4.1.1.3)
  | { ok: true; kind: 'mailbox'; mailbox: Mailbox }
  | { ok: false; error: PathError; detail: string };

export type PathError = 'syntax' | 'source-route' | 'bad-local-part' | 'bad-domain' | 'too-long';

/** RFC 5321 §4.5.3.1: local part 64 octets, domain 255, path 256. */
export const MAX_LOCAL_PART_OCTETS = 64;
export const MAX_DOMAIN_OCTETS = 255;
export const MAX_PATH_OCTETS = 256;

/**
 * Splits `<path> params` (the text after `FROM:` / `TO:`, leading spaces allowed) into the path inside the
 * brackets and the parameter text. The closing bracket is found outside quoted strings.
 */
export function splitPathArgument(text: string): { path: string; rest: string } | undefined {
  let i = 0;
  while (text[i] === ' ') i++;
  if (text[i] !== '<') return undefined;
  const start = i + 1;
  let quoted = false;
  for (let j = start; j < text.length; j++) {
    const c = text[j];
    if (quoted) {
      if (c === '\\') j++;
      else if (c === '"') quoted = false;
    } else if (c === '"') {
      quoted = true;
    } else if (c === '>') {
      const rest = text.slice(j + 1);
      if (rest !== '' && rest[0] !== ' ') return undefined;
      return { path: text.slice(start, j), rest: rest.trim() };
    } else if (c === '<') {
      return undefined;
    }
  }
  return undefined;
}

/** Parses the text inside `<…>`. `allowNull`: MAIL FROM may be `<>`. */
export function parsePath(path: string, allowNull: boolean): PathParse {
  if (path === '') return allowNull ? { ok: true, kind: 'null' } : fail('syntax', 'empty address');
  if (Buffer.byteLength(path) > MAX_PATH_OCTETS) return fail('too-long', `address longer than ${MAX_PATH_OCTETS} octets`);
  if (path[0] === '@') return fail('source-route', 'source route');
  if (!allowNull && path.toLowerCase() === 'postmaster') return { ok: true, kind: 'postmaster' };
  const at = localPartEnd(path);
  if (at === undefined) return fail('bad-local-part', 'invalid local part');
  if (path[at] !== '@') return fail('syntax', 'address has no domain');
  const localPart = path.slice(0, at);
  const domain = path.slice(at + 1);
  if (Buffer.byteLength(localPart) > MAX_LOCAL_PART_OCTETS) return fail('too-long', `local part longer than ${MAX_LOCAL_PART_OCTETS} octets`);
  const localUnquoted = unquote(localPart);
  const d = parseDomain(domain);
  if (!d) return fail('bad-domain', 'invalid domain');
  const nonAscii = /[^\x00-\x7f]/.test(path);
  return {
    ok: true,
    kind: 'mailbox',
    mailbox: { localPart, localUnquoted, domain, domainAscii: d.ascii, isLiteral: d.literal, nonAscii, address: `${localPart}@${domain.toLowerCase()}` },
  };
}

function fail(error: PathError, detail: string): PathParse {
  return { ok: false, error, detail };
}

// atext (RFC 5322 §3.2.3) plus UTF8-non-ascii (RFC 6532 §3.2).
const ATEXT = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u{80}-\u{10ffff}]+$/u;

/** The index of the `@` after a valid Dot-string or Quoted-string local part, or undefined. */
function localPartEnd(path: string): number | undefined {
  if (path[0] === '"') {
    for (let i = 1; i < path.length; i++) {
      const c = path.charCodeAt(i);
      if (c === 0x5c) {
        const next = path.charCodeAt(i + 1);
        if (!(next >= 32 && next <= 126)) return undefined; // quoted-pairSMTP
        i++;
      } else if (c === 0x22) {
        return i + 1 < path.length ? i + 1 : undefined;
      } else if (c < 32 || c === 127) {
        return undefined;
      }
    }
    return undefined;
  }
  const at = path.lastIndexOf('@');
  if (at <= 0) return undefined;
  const local = path.slice(0, at);
  for (const atom of local.split('.')) if (!ATEXT.test(atom)) return undefined;
  return at;
}

function unquote(localPart: string): string {
  if (localPart[0] !== '"') return localPart;
  return localPart.slice(1, -1).replace(/\\(.)/g, '$1');
}

const LDH_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * A domain (RFC 5321 §4.1.2 Domain, U-labels allowed, RFC 6531) or an address literal (§4.1.3). Returns the
 * matching form, or undefined: trailing dots, empty labels, underscores and bad literals are all refused.
 */
export function parseDomain(domain: string): { ascii: string; literal: boolean } | undefined {
  if (domain === '' || Buffer.byteLength(domain) > MAX_DOMAIN_OCTETS) return undefined;
  if (domain[0] === '[') {
    if (domain[domain.length - 1] !== ']') return undefined;
    const inner = domain.slice(1, -1);
    if (isIP(inner) === 4 && /^\d{1,3}(\.\d{1,3}){3}$/.test(inner)) return { ascii: `[${inner}]`, literal: true };
    if (/^ipv6:/i.test(inner) && isIP(inner.slice(5)) === 6) return { ascii: `[ipv6:${inner.slice(5).toLowerCase()}]`, literal: true };
    return undefined; // General-address-literal: no standardized tag we can deliver to
  }
  let ascii = domain.toLowerCase();
  if (/[^\x00-\x7f]/.test(domain)) {
    ascii = domainToASCII(domain);
    if (ascii === '') return undefined;
  }
  const labels = ascii.split('.');
  if (labels.length < 2) return undefined; // a bare host name is not a mail domain
  for (const label of labels) if (!LDH_LABEL.test(label)) return undefined;
  return { ascii, literal: false };
}

/** The matching form of a configured domain (lower-case A-labels), or undefined when it is not a domain. */
export function normalizeConfigDomain(domain: string): string | undefined {
  const parsed = parseDomain(domain.trim());
  return parsed && !parsed.literal ? parsed.ascii : undefined;
}
