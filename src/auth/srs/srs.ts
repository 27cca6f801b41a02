// The Sender Rewriting Scheme in PostSRSd's (libsrs2 "guarded") format, compatible with Mail::SRS::Guarded:
//   SRS0=HHHH=TT=orighost=origuser@srsdomain          (first hop: hash over stamp, host, user)
//   SRS1=HHHH=srs0host==srs0rest@srsdomain            (re-forwarding someone else's SRS0: hash over host, rest)
// Pure: time comes from the injected clock; hostile input yields a result, never an exception.

import type { Clock } from '../../core/clock.js';
import { DomainSet, canonicalDomain } from './domains.js';
import { decodeTimestamp, hashesEqual, srsHmac, timestampAgeDays, timestampFor } from './hash.js';
import type { SrsForwardResult, SrsHashEncoding, SrsOptions, SrsPart, SrsReverseResult, SrsSeparator } from './types.js';

/** The separators PostSRSd and Mail::SRS accept after the SRS0/SRS1 tag. */
export const SRS_SEPARATORS: readonly SrsSeparator[] = ['=', '+', '-'];
/** The separator between the fields after the tag: always `=` (libsrs2 SRSSEP). */
const FIELD_SEP = '=';
export const DEFAULT_HASH_LENGTH = 4;
export const DEFAULT_MAX_AGE_DAYS = 21;
/** PostSRSd rejects longer input ("Too big."); an SMTP path is at most 256 octets anyway (RFC 5321 §4.5.3.1.3). */
export const DEFAULT_MAX_ADDRESS_LENGTH = 512;
/** A base64 HMAC-SHA1 has 27 significant characters. */
const MAX_HASH_LENGTH = 27;
/** Shorter hashes are guessable by a spammer in a few thousand tries. */
const MIN_HASH_LENGTH = 4;

const SRS_TAG = /^SRS([01])([-+=])/i;
/** Bytes that must never reach an SMTP envelope: controls, space, DEL. */
const UNSAFE = /[\u0000-\u0020\u007f]/;

/** A bad option given to createSrs(): a programmer error, thrown once at construction (docs/errors.md). */
export class SrsConfigError extends Error {
  readonly code: 'srs-no-secret' | 'srs-bad-domain' | 'srs-bad-option';
  constructor(code: SrsConfigError['code'], message: string) {
    super(message);
    this.name = 'SrsConfigError';
    this.code = code;
  }
}

export interface SrsRewriter {
  /** The validated settings in effect (secrets left out). */
  readonly settings: Readonly<Omit<Required<SrsOptions>, 'secrets' | 'clock' | 'localDomains'>> & { localDomains: readonly string[] };
  forward(address: string): SrsForwardResult;
  reverse(address: string): SrsReverseResult;
}

/** True when the local part of `address` starts with SRS0 or SRS1 and a separator (any case). */
export function isSrsAddress(address: string): boolean {
  return SRS_TAG.test(address);
}

function intOption(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new SrsConfigError('srs-bad-option', `${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return v;
}

/**
 * Builds a rewriter. Validates the options once and throws SrsConfigError on a missing or empty secret, a
 * bad domain, separator, hash length or maximum age. The first secret signs; all of them verify.
 */
export function createSrs(options: SrsOptions): SrsRewriter {
  const secrets = [...options.secrets];
  if (secrets.length === 0) throw new SrsConfigError('srs-no-secret', 'SRS needs at least one secret');
  if (secrets.some((s) => s.length === 0)) throw new SrsConfigError('srs-no-secret', 'an SRS secret is empty');
  const domain = canonicalDomain(options.domain.trim());
  if (!/^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/.test(domain) || domain.length > 253) {
    throw new SrsConfigError('srs-bad-domain', `'${options.domain}' is not a domain name`);
  }
  const separator = options.separator ?? '=';
  if (!SRS_SEPARATORS.includes(separator)) {
    throw new SrsConfigError('srs-bad-option', `separator must be one of = + -, got '${String(separator)}'`);
  }
  const hashEncoding: SrsHashEncoding = options.hashEncoding ?? 'base64url';
  if (hashEncoding !== 'base64url' && hashEncoding !== 'base64') {
    throw new SrsConfigError('srs-bad-option', `hashEncoding must be base64url or base64, got '${String(hashEncoding)}'`);
  }
  const hashLength = intOption('hashLength', options.hashLength, DEFAULT_HASH_LENGTH, MIN_HASH_LENGTH, MAX_HASH_LENGTH);
  const hashMinLength = intOption('hashMinLength', options.hashMinLength, hashLength, MIN_HASH_LENGTH, hashLength);
  // A stamp names one of 1024 days: an age of 1024 or more could never be told from a fresh one.
  const maxAgeDays = intOption('maxAgeDays', options.maxAgeDays, DEFAULT_MAX_AGE_DAYS, 1, 1023);
  const maxAddressLength = intOption('maxAddressLength', options.maxAddressLength, DEFAULT_MAX_ADDRESS_LENGTH, 16, 65_536);
  const localDomains = [domain, ...(options.localDomains ?? [])];
  const ours = new DomainSet(localDomains);
  const alwaysRewrite = options.alwaysRewrite ?? false;
  const core: Core = { secrets, clock: options.clock, domain, separator, hashEncoding, hashLength, hashMinLength, maxAgeDays, maxAddressLength };

  return {
    settings: { domain, separator, hashEncoding, hashLength, hashMinLength, maxAgeDays, maxAddressLength, alwaysRewrite, localDomains },
    forward: (address) => forward(core, ours, alwaysRewrite, address),
    reverse: (address) => reverse(core, address),
  };
}

interface Core {
  secrets: (string | Uint8Array)[];
  clock: Clock;
  domain: string;
  separator: SrsSeparator;
  hashEncoding: SrsHashEncoding;
  hashLength: number;
  hashMinLength: number;
  maxAgeDays: number;
  maxAddressLength: number;
}

function sign(core: Core, fields: readonly string[]): string {
  const hash = srsHmac(core.secrets[0] as string | Uint8Array, fields).slice(0, core.hashLength);
  return core.hashEncoding === 'base64' ? hash.replace(/-/g, '+').replace(/_/g, '/') : hash;
}

/** Does `given` match the hash of `fields` under any secret? Length bounds as libsrs2 srs_hash_check. */
function verify(core: Core, given: string, fields: readonly string[]): string | null {
  if (given.length < core.hashMinLength) return `hash '${given}' is shorter than ${core.hashMinLength} characters`;
  if (given.length > core.hashLength) return `hash '${given}' is longer than ${core.hashLength} characters`;
  for (const secret of core.secrets) {
    if (hashesEqual(given, srsHmac(secret, fields).slice(0, given.length))) return null;
  }
  return `hash '${given}' matches none of the ${core.secrets.length} secret(s)`;
}

/** Splits at the last `@`: a domain never holds one, a quoted local part may. */
function splitAddress(address: string): { user: string; host: string } | null {
  const at = address.lastIndexOf('@');
  if (at < 0) return null;
  return { user: address.slice(0, at), host: address.slice(at + 1) };
}

/**
 * Rewrites an envelope sender for forwarding (SRS0; SRS1 when it is already someone's SRS address).
 * A sender in our domain or local domains comes back unchanged (`rewritten: false`) unless alwaysRewrite.
 * Fails with `no-domain` (no `@`, empty domain, the null sender), `too-long` or `malformed`.
 */
function forward(core: Core, ours: DomainSet, alwaysRewrite: boolean, address: string): SrsForwardResult {
  if (address.length > core.maxAddressLength) {
    return { ok: false, reason: 'too-long', detail: `address is ${address.length} characters, over the limit of ${core.maxAddressLength}` };
  }
  const parts = splitAddress(address);
  if (parts === null || parts.host === '') return { ok: false, reason: 'no-domain', detail: 'the address has no domain part' };
  const { user, host } = parts;
  if (UNSAFE.test(address)) return { ok: false, reason: 'malformed', detail: 'the address contains control characters or spaces' };
  if (user === '') return { ok: false, reason: 'malformed', detail: 'the address has an empty local part' };
  if (!alwaysRewrite && ours.has(host)) return { ok: true, rewritten: false, reason: 'local-domain', address };

  const tag = SRS_TAG.exec(user);
  if (tag && user.length > 5 && tag[1] === '1') {
    // Someone's SRS1: keep its original SRS0 host and remainder, re-hash, and put it in our domain.
    const rest = user.slice(5);
    const hostStart = rest.indexOf(FIELD_SEP);
    const srsHost = hostStart < 0 ? '' : rest.slice(hostStart + 1);
    const userStart = srsHost.indexOf(FIELD_SEP);
    if (hostStart < 0 || userStart <= 0 || userStart === srsHost.length - 1) {
      return { ok: false, reason: 'malformed', detail: 'an SRS1 address needs a host and a user after its hash' };
    }
    const origHost = srsHost.slice(0, userStart);
    const origRest = srsHost.slice(userStart + 1);
    const hash = sign(core, [origHost, origRest]);
    return { ok: true, rewritten: true, scheme: 'SRS1', address: `SRS1${core.separator}${hash}=${origHost}=${origRest}@${core.domain}` };
  }
  if (tag && user.length > 5) {
    // Someone's SRS0: wrap it whole (remainder keeps its separator) so their bounce path still works.
    const rest = user.slice(4);
    const hash = sign(core, [host, rest]);
    return { ok: true, rewritten: true, scheme: 'SRS1', address: `SRS1${core.separator}${hash}=${host}=${rest}@${core.domain}` };
  }
  const stamp = timestampFor(core.clock.now());
  const hash = sign(core, [stamp, host, user]);
  return { ok: true, rewritten: true, scheme: 'SRS0', address: `SRS0${core.separator}${hash}=${stamp}=${host}=${user}@${core.domain}` };
}

function malformed(scheme: string, missing: SrsPart): SrsReverseResult {
  const what = missing === 'timestamp' ? 'time stamp' : missing === 'host' ? 'original domain' : missing === 'user' ? 'original local part' : 'hash';
  return { ok: false, reason: 'malformed', missing, detail: `no ${what} in ${scheme} address` };
}

/** Cuts `text` at the first `=`: [before, after], or null when there is none. */
function cut(text: string): [string, string] | null {
  const i = text.indexOf(FIELD_SEP);
  return i < 0 ? null : [text.slice(0, i), text.slice(i + 1)];
}

/**
 * Decodes a bounce address back to the address it stood for. Case-insensitive throughout (mail systems
 * smash case). SRS1 gives back the SRS0 address it wrapped; SRS0 gives the original sender.
 * Fails with not-srs, malformed (with the missing part), bad-hash, bad-timestamp, expired, too-long or
 * database-alias. The domain after `@` is not checked: routing it here is the caller's decision.
 */
function reverse(core: Core, address: string): SrsReverseResult {
  if (address.length > core.maxAddressLength) {
    return { ok: false, reason: 'too-long', detail: `address is ${address.length} characters, over the limit of ${core.maxAddressLength}` };
  }
  const local = splitAddress(address)?.user ?? address;
  const tag = SRS_TAG.exec(local);
  if (!tag) return { ok: false, reason: 'not-srs', detail: 'not an SRS address' };
  if (UNSAFE.test(address)) return { ok: false, reason: 'malformed', detail: 'the address contains control characters or spaces' };
  const scheme = tag[1] === '1' ? 'SRS1' : 'SRS0';
  const body = local.slice(5);
  if (body === '' || body.startsWith(FIELD_SEP)) return malformed(scheme, 'hash');

  if (scheme === 'SRS1') {
    const hashAndRest = cut(body);
    if (!hashAndRest || hashAndRest[1] === '') return malformed(scheme, 'host');
    const hostAndRest = cut(hashAndRest[1]);
    if (hostAndRest?.[0] === '') return malformed(scheme, 'host');
    if (!hostAndRest || hostAndRest[1] === '') return malformed(scheme, 'user');
    const [hash] = hashAndRest;
    const [host, rest] = hostAndRest;
    const bad = verify(core, hash, [host, rest]);
    if (bad) return { ok: false, reason: 'bad-hash', detail: bad };
    return { ok: true, scheme, address: `SRS0${rest}@${host}` };
  }

  const hashAndRest = cut(body);
  if (!hashAndRest || hashAndRest[1] === '') return malformed(scheme, 'timestamp');
  const stampAndRest = cut(hashAndRest[1]);
  if (!stampAndRest || stampAndRest[1] === '') return malformed(scheme, 'host');
  const hostAndUser = cut(stampAndRest[1]);
  if (!hostAndUser || hostAndUser[1] === '') return malformed(scheme, 'user');
  const [hash] = hashAndRest;
  const [stamp] = stampAndRest;
  const [host, user] = hostAndUser;
  if (host === '') return malformed(scheme, 'host');

  const slot = decodeTimestamp(stamp);
  if (slot === null) return { ok: false, reason: 'bad-timestamp', detail: `time stamp '${stamp}' is not two base32 characters` };
  const age = timestampAgeDays(slot, core.clock.now());
  if (age > core.maxAgeDays) {
    return { ok: false, reason: 'expired', detail: `time stamp '${stamp}' is ${age} days old (or in the future); the limit is ${core.maxAgeDays}` };
  }
  const bad = verify(core, hash, [stamp, host, user]);
  if (bad) return { ok: false, reason: 'bad-hash', detail: bad };
  if (host === '1') {
    return { ok: false, reason: 'database-alias', detail: "a PostSRSd database-mode alias (host '1'): a stateless rewriter cannot resolve it" };
  }
  return { ok: true, scheme, address: `${user}@${host}` };
}
