// DKIM-Signature field parsing (RFC 6376 §3.5, §6.1.1). Turns the field's tag-list into a typed signature
// or an error with a reason code; never throws.

import { domainToASCII } from 'node:url';
import type { HeaderField } from '../../core/message/headers.js';
import { parseCanonicalization, type Canonicalization } from './canonicalize.js';
import { parseTagList, splitColonList, stripWhitespace, type TagList } from './tag-list.js';
import type { DkimAlgorithm, DkimReason } from './types.js';

/** The largest signature we accept: 8192-bit RSA is 1024 octets. Bounds the work a huge b= can cause. */
export const MAX_SIGNATURE_OCTETS = 1024;
/** The most h= names we process. Real signers list well under 100; this bounds work per signature. */
export const MAX_SIGNED_HEADER_NAMES = 1000;
/** t= and x= with more digits may be treated as infinite (RFC 6376 §3.5). */
const MAX_TIME_DIGITS = 12;

export interface DkimSignature {
  algorithm: DkimAlgorithm;
  /** b= decoded. */
  signature: Buffer;
  /** b= without whitespace. */
  signatureBase64: string;
  /** bh= decoded. */
  bodyHash: Buffer;
  canonicalization: Canonicalization;
  /** d=, lower case, as an A-label domain. */
  domain: string;
  /** s=, lower case. */
  selector: string;
  /** h= names as written. */
  headerFields: string[];
  /** i= as written (decoded as UTF-8), when present. */
  identity?: string;
  /** The domain of i= (lower case), or d= when i= is absent. */
  identityDomain: string;
  /** l=, when present. */
  bodyLength?: number;
  /** t=, seconds (Infinity for more than 12 digits). */
  timestamp?: number;
  /** x=, seconds (Infinity for more than 12 digits). */
  expiration?: number;
  /** z= as written. */
  copiedHeaders?: string;
  tags: TagList;
}

/** What a broken signature still told us, for reporting. */
export interface PartialSignature {
  domain: string;
  selector: string;
  algorithm: string;
  canonicalization: string;
  headerFields: string[];
  identity?: string;
  signatureBase64: string;
  bodyLengthLimited: boolean;
}

export type SignatureParseResult =
  | { ok: true; value: DkimSignature }
  | { ok: false; error: { reason: DkimReason; message: string; offset?: number; partial: PartialSignature } };

const ALGORITHMS: ReadonlySet<string> = new Set(['rsa-sha256', 'rsa-sha1', 'ed25519-sha256']);
const REQUIRED = ['v', 'a', 'b', 'bh', 'd', 'h', 's'] as const;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** A field name as h= may list it: printable ASCII without the colon (RFC 5322 §2.2), at least one. */
function isFieldName(name: string): boolean {
  if (name.length === 0) return false;
  for (let k = 0; k < name.length; k++) {
    const c = name.charCodeAt(k);
    if (c < 0x21 || c > 0x7e || c === 0x3a) return false;
  }
  return true;
}

/**
 * Parses a DKIM-Signature value (the text after the colon, decoded as latin1 so offsets are byte offsets).
 * Checks everything that can be checked without DNS: required tags, version, algorithm, canonicalization,
 * q=, i= within d=, From in h=, t=/x= consistency. RFC 6376 §3.5, §6.1.1.
 */
export function parseDkimSignature(value: string): SignatureParseResult {
  const parsed = parseTagList(value);
  if (!parsed.ok) {
    return failure('signature-syntax', `the signature's tag list is malformed: ${parsed.error.message}`, undefined, parsed.error.offset);
  }
  const tags = parsed.value;
  const byName = tags.byName;
  // The partial signature (for the report) is only built when parsing fails: `failure` builds it from tags.
  for (const name of REQUIRED) {
    if (!byName.has(name)) return failure('signature-missing-tag', `the required tag ${name}= is missing`, tags);
  }
  if (byName.get('v')?.value !== '1') return failure('signature-version', `v=${byName.get('v')?.value} is not a supported version (only v=1)`, tags);
  const algorithm = (byName.get('a')?.value as string).toLowerCase();
  if (!ALGORITHMS.has(algorithm)) return failure('algorithm-unknown', `a=${byName.get('a')?.value} is not a known algorithm`, tags);
  const canonicalization = parseCanonicalization(byName.get('c')?.value);
  if (canonicalization === undefined) return failure('canonicalization-unknown', `c=${byName.get('c')?.value} is not a known canonicalization`, tags);

  const signatureBase64 = stripWhitespace(byName.get('b')?.value as string);
  if (signatureBase64.length === 0 || !BASE64.test(signatureBase64)) return failure('signature-bad-tag', 'b= is not base64', tags);
  if (signatureBase64.length > Math.ceil(MAX_SIGNATURE_OCTETS / 3) * 4) {
    return failure('signature-bad-tag', `b= is longer than any supported key produces (${MAX_SIGNATURE_OCTETS} octets)`, tags);
  }
  const bodyHashBase64 = stripWhitespace(byName.get('bh')?.value as string);
  if (bodyHashBase64.length === 0 || bodyHashBase64.length > 128 || !BASE64.test(bodyHashBase64)) {
    return failure('signature-bad-tag', 'bh= is not a base64 hash', tags);
  }

  const domain = toDomain(byName.get('d')?.value as string);
  if (domain === undefined) return failure('signature-bad-tag', `d=${byName.get('d')?.value} is not a domain name`, tags);
  const selector = toDomain(byName.get('s')?.value as string);
  if (selector === undefined) return failure('signature-bad-tag', `s=${byName.get('s')?.value} is not a valid selector`, tags);
  if (selector.length + domain.length + '._domainkey.'.length > 253) {
    return failure('signature-bad-tag', 'the key name s=._domainkey.d= is longer than 253 octets', tags);
  }

  const headerFields = splitColonList(byName.get('h')?.value as string);
  if (headerFields.length > MAX_SIGNED_HEADER_NAMES) {
    return failure('signed-headers-too-many', `h= lists ${headerFields.length} fields; the limit is ${MAX_SIGNED_HEADER_NAMES}`, tags);
  }
  let signsFrom = false;
  for (const name of headerFields) {
    if (!isFieldName(name)) return failure('signature-bad-tag', `h= contains an invalid field name '${name}'`, tags);
    signsFrom ||= name.length === 4 && name.toLowerCase() === 'from';
  }
  if (!signsFrom) return failure('from-not-signed', 'h= does not include From (RFC 6376 §6.1.1)', tags);

  let identity: string | undefined;
  let identityDomain = domain;
  const i = byName.get('i')?.value;
  if (i !== undefined) {
    identity = Buffer.from(i, 'latin1').toString('utf8');
    const at = identity.lastIndexOf('@');
    const idDomain = at === -1 ? undefined : toDomain(identity.slice(at + 1));
    if (idDomain === undefined) return failure('signature-bad-tag', `i=${identity} is not [local-part]@domain`, tags);
    if (idDomain !== domain && !idDomain.endsWith(`.${domain}`)) {
      return failure('identity-mismatch', `i= domain ${idDomain} is not ${domain} or a subdomain of it`, tags);
    }
    identityDomain = idDomain;
  }

  const q = byName.get('q')?.value;
  if (q !== undefined && !splitColonList(q).some((method) => method.toLowerCase() === 'dns/txt')) {
    return failure('query-method-unknown', `q=${q} does not offer dns/txt`, tags);
  }

  const bodyLength = parseDecimal(byName.get('l')?.value, 76);
  if (bodyLength === null) return failure('signature-bad-tag', `l=${byName.get('l')?.value} is not a decimal number`, tags);
  const timestamp = parseTime(byName.get('t')?.value);
  if (timestamp === null) return failure('signature-bad-tag', `t=${byName.get('t')?.value} is not a decimal number`, tags);
  const expiration = parseTime(byName.get('x')?.value);
  if (expiration === null) return failure('signature-bad-tag', `x=${byName.get('x')?.value} is not a decimal number`, tags);
  if (timestamp !== undefined && expiration !== undefined && expiration < timestamp) {
    return failure('timestamps-inconsistent', `x=${byName.get('x')?.value} is earlier than t=${byName.get('t')?.value}`, tags);
  }

  const signature: DkimSignature = {
    algorithm: algorithm as DkimAlgorithm,
    signature: Buffer.from(signatureBase64, 'base64'),
    signatureBase64,
    bodyHash: Buffer.from(bodyHashBase64, 'base64'),
    canonicalization,
    domain,
    selector,
    headerFields,
    identityDomain,
    tags,
  };
  if (identity !== undefined) signature.identity = identity;
  if (bodyLength !== undefined) signature.bodyLength = bodyLength;
  if (timestamp !== undefined) signature.timestamp = timestamp;
  if (expiration !== undefined) signature.expiration = expiration;
  const z = byName.get('z')?.value;
  if (z !== undefined) signature.copiedHeaders = z;
  return { ok: true, value: signature };
}

/**
 * Parses a DKIM-Signature header field. Also returns where the b= value sits in the field's raw bytes,
 * so the verifier can blank it (RFC 6376 §3.7).
 */
export function parseDkimSignatureField(
  field: HeaderField,
): SignatureParseResult & { bValue?: { start: number; end: number } } {
  const colon = field.raw.indexOf(0x3a);
  const value = field.raw.toString('latin1', colon + 1);
  const result = parseDkimSignature(value);
  if (!result.ok) return result;
  const b = result.value.tags.byName.get('b') as { valueStart: number; valueEnd: number };
  return { ok: true, value: result.value, bValue: { start: colon + 1 + b.valueStart, end: colon + 1 + b.valueEnd } };
}

function failure(reason: DkimReason, message: string, tags: TagList | undefined, offset?: number): SignatureParseResult {
  return { ok: false, error: { reason, message, partial: partialFrom(tags), ...(offset === undefined ? {} : { offset }) } };
}

function partialFrom(tags: TagList | undefined): PartialSignature {
  const get = (name: string): string | undefined => tags?.byName.get(name)?.value;
  const partial: PartialSignature = {
    domain: (get('d') ?? '').toLowerCase().slice(0, 253),
    selector: (get('s') ?? '').toLowerCase().slice(0, 253),
    algorithm: (get('a') ?? '').toLowerCase().slice(0, 64),
    canonicalization: (get('c') ?? 'simple/simple').toLowerCase().slice(0, 64),
    headerFields: get('h') === undefined ? [] : splitColonList(get('h') as string).slice(0, MAX_SIGNED_HEADER_NAMES),
    signatureBase64: stripWhitespace(get('b') ?? '').slice(0, 64),
    bodyLengthLimited: get('l') !== undefined,
  };
  const i = get('i');
  if (i !== undefined) partial.identity = Buffer.from(i, 'latin1').toString('utf8').slice(0, 512);
  return partial;
}

/** Lower-case A-label form of a domain or selector, or undefined when it is not one (RFC 6376 §3.5 d=, s=). */
export function toDomain(text: string): string | undefined {
  let name = text;
  if (/[^\x00-\x7f]/.test(name)) {
    // latin1-decoded UTF-8 (an internationalised name, RFC 8616): decode, then convert to A-labels.
    name = domainToASCII(Buffer.from(name, 'latin1').toString('utf8'));
    if (name === '') return undefined;
  }
  name = name.toLowerCase();
  if (name.length === 0 || name.length > 253) return undefined;
  // Labels of 1-63 characters from [a-z0-9_-], not starting or ending with a hyphen.
  let labelStart = 0;
  for (let k = 0; k <= name.length; k++) {
    const c = k === name.length ? DOT : name.charCodeAt(k);
    if (c === DOT) {
      const length = k - labelStart;
      if (length === 0 || length > 63 || name.charCodeAt(labelStart) === HYPHEN || name.charCodeAt(k - 1) === HYPHEN) return undefined;
      labelStart = k + 1;
    } else if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x5f || c === HYPHEN)) {
      return undefined;
    }
  }
  return name;
}

const DOT = 0x2e;
const HYPHEN = 0x2d;

/** undefined when absent, null when malformed. */
function parseDecimal(value: string | undefined, maxDigits: number): number | undefined | null {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || value.length > maxDigits) return null;
  return Number(value);
}

function parseTime(value: string | undefined): number | undefined | null {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) return null;
  return value.length > MAX_TIME_DIGITS ? Infinity : Number(value);
}
