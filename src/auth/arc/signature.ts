// ARC-Message-Signature (RFC 8617 §4.1.2) and ARC-Seal (§4.1.3) field parsing. Both are DKIM tag-lists
// (RFC 6376 §3.2) with i= instead of v=; the seal has cv= and no h=, c= or bh=. Never throws.

import type { HeaderField } from '../../core/message/headers.js';
import {
  MAX_SIGNATURE_OCTETS,
  MAX_SIGNED_HEADER_NAMES,
  parseCanonicalization,
  parseTagList,
  splitColonList,
  stripWhitespace,
  type Canonicalization,
  type DkimAlgorithm,
  type TagList,
} from '../dkim/index.js';
import { toDomain } from '../dkim/index.js';
import type { ArcChainStatus, ArcSignatureReason, ArcSignatureVerdict } from './types.js';

/** RFC 8617 §4.2.1: instances run from 1 to 50. */
export const MAX_ARC_INSTANCE = 50;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const FIELD_NAME = /^[!-9;-~]+$/;
/** ARC signs with the DKIM algorithms that RFC 8301 still allows; rsa-sha1 is refused as in DKIM. */
const ALGORITHMS: ReadonlySet<string> = new Set(['rsa-sha256', 'ed25519-sha256']);
const CHAIN_STATUSES: ReadonlySet<string> = new Set(['none', 'pass', 'fail']);

interface Common {
  instance: number;
  algorithm: DkimAlgorithm;
  signature: Buffer;
  signatureBase64: string;
  /** d=, lower case A-label. */
  domain: string;
  /** s=, lower case. */
  selector: string;
  timestamp?: number;
  tags: TagList;
}

export interface ArcMessageSignature extends Common {
  bodyHash: Buffer;
  canonicalization: Canonicalization;
  headerFields: string[];
  bodyLength?: number;
}

export interface ArcSeal extends Common {
  cv: ArcChainStatus;
}

/** What a broken field still told us, for reporting. */
export interface PartialArcSignature {
  domain: string;
  selector: string;
  cv: string;
}

export type ArcFieldParse<T> =
  | { ok: true; value: T; bValue: { start: number; end: number } }
  | { ok: false; result: ArcSignatureVerdict; reason: ArcSignatureReason; detail: string; partial: PartialArcSignature };

/**
 * The c= of an AMS without one. RFC 8617 does not say; ARC seals are relaxed only (§4.1.3), and the
 * ValiMail suite (ams_fields_c_na) and dkimpy take relaxed/relaxed, not DKIM's simple/simple default.
 */
const DEFAULT_CANONICALIZATION = 'relaxed/relaxed';

/**
 * Parses an ARC-Message-Signature field: required i, a, b, bh, d, h, s; h= must not list ARC-Seal.
 * An empty h= is accepted (the signature then covers only itself). Returns where b= sits in the raw bytes.
 */
export function parseArcMessageSignatureField(field: HeaderField): ArcFieldParse<ArcMessageSignature> {
  const start = valueStart(field);
  const parsed = parseTags(field.raw.toString('latin1', start));
  if (!parsed.ok) return parsed;
  const tags = parsed.tags;
  const get = (name: string): string | undefined => tags.byName.get(name)?.value;
  const common = parseCommon(tags, ['i', 'a', 'b', 'bh', 'd', 'h', 's']);
  if ('reason' in common) return common;
  const partial = partialFrom(tags);
  const canonicalization = parseCanonicalization(get('c') ?? DEFAULT_CANONICALIZATION);
  if (canonicalization === undefined) return bad('canonicalization-unknown', `c=${get('c')} is not a known canonicalization`, tags);
  const bodyHashBase64 = stripWhitespace(get('bh') as string);
  if (!BASE64.test(bodyHashBase64) || bodyHashBase64.length === 0 || bodyHashBase64.length > 128) {
    return bad('signature-bad-tag', 'bh= is not a base64 hash', tags);
  }
  const h = (get('h') as string).trim();
  const headerFields = h === '' ? [] : splitColonList(h);
  if (headerFields.length > MAX_SIGNED_HEADER_NAMES) {
    return bad('signed-headers-too-many', `h= lists ${headerFields.length} fields; the limit is ${MAX_SIGNED_HEADER_NAMES}`, tags);
  }
  // An empty name (`h=from::to`) selects no field, as in dkimpy and the suite's ams_fields_h_mis_hdr.
  const badName = headerFields.find((name) => name !== '' && !FIELD_NAME.test(name));
  if (badName !== undefined) return bad('signature-bad-tag', `h= contains an invalid field name '${badName.slice(0, 64)}'`, tags);
  if (headerFields.some((name) => name.toLowerCase() === 'arc-seal')) {
    return { ok: false, result: 'fail', reason: 'ams-signs-arc-seal', detail: 'h= lists ARC-Seal, which an AMS must not sign (RFC 8617 §4.1.2)', partial };
  }
  const bodyLength = get('l');
  if (bodyLength !== undefined && !/^\d{1,76}$/.test(bodyLength)) return bad('signature-bad-tag', `l=${bodyLength.slice(0, 32)} is not a decimal number`, tags);
  const value: ArcMessageSignature = {
    ...common.value,
    bodyHash: Buffer.from(bodyHashBase64, 'base64'),
    canonicalization,
    headerFields,
  };
  if (bodyLength !== undefined) value.bodyLength = Number(bodyLength);
  return { ok: true, value, bValue: bRegion(tags, start) };
}

/** Parses an ARC-Seal field: required i, a, b, cv, d, s; no h= (RFC 8617 §4.1.3). */
export function parseArcSealField(field: HeaderField): ArcFieldParse<ArcSeal> {
  const start = valueStart(field);
  const parsed = parseTags(field.raw.toString('latin1', start));
  if (!parsed.ok) return parsed;
  const tags = parsed.tags;
  const common = parseCommon(tags, ['i', 'a', 'b', 'cv', 'd', 's']);
  if ('reason' in common) return common;
  if (tags.byName.has('h')) {
    return { ok: false, result: 'fail', reason: 'seal-has-h-tag', detail: 'an ARC-Seal must not have h= (RFC 8617 §4.1.3)', partial: partialFrom(tags) };
  }
  const cv = tags.byName.get('cv')?.value as string;
  if (!CHAIN_STATUSES.has(cv)) return bad('signature-bad-tag', `cv=${cv.slice(0, 32)} is not none, pass or fail`, tags);
  return { ok: true, value: { ...common.value, cv: cv as ArcChainStatus }, bValue: bRegion(tags, start) };
}

/** The i= of an AMS or AS field without parsing the rest, for grouping fields into sets; undefined when absent. */
export function instanceTagOf(field: HeaderField): string | undefined {
  const parsed = parseTagList(field.raw.toString('latin1', valueStart(field)));
  if (parsed.ok) return parsed.value.byName.get('i')?.value;
  // A malformed list still belongs to its set when its i= can be found: the report can then name the set.
  const match = /(?:^|[;\s])i[ \t\r\n]*=[ \t\r\n]*([^;\s]*)/.exec(field.raw.toString('latin1', valueStart(field)));
  return match?.[1];
}

/** Parses an instance number: digits, 1..50. Returns the number, or why not. */
export function parseInstance(text: string | undefined): { ok: true; value: number } | { ok: false; missing: boolean; message: string } {
  if (text === undefined) return { ok: false, missing: true, message: 'no i= tag' };
  if (!/^\d{1,9}$/.test(text)) return { ok: false, missing: false, message: `i=${text.slice(0, 32)} is not a number` };
  const value = Number(text);
  if (value < 1 || value > MAX_ARC_INSTANCE) return { ok: false, missing: false, message: `i=${value} is outside 1..${MAX_ARC_INSTANCE} (RFC 8617 §4.2.1)` };
  return { ok: true, value };
}

/**
 * RFC 6376 §3.2: tag-list = tag-spec *( ";" tag-spec ) [ ";" ]. The DKIM parser also takes empty tag-specs
 * (`;;`), which deployed DKIM signers write; ARC's suite (as_format_tags_sc) and dkimpy refuse them, and no
 * ARC sealer is known to write them. `;` never occurs inside a value, so a scan of the text is exact.
 */
const EMPTY_TAG_SPEC = /^[ \t\r\n]*;|;[ \t\r\n]*;/;

function parseTags(text: string): { ok: true; tags: TagList } | Extract<ArcFieldParse<never>, { ok: false }> {
  const parsed = parseTagList(text);
  if (!parsed.ok) return bad('signature-syntax', `the tag list is malformed: ${parsed.error.message}`, undefined);
  const empty = EMPTY_TAG_SPEC.exec(text);
  if (empty) return bad('signature-syntax', `the tag list has an empty tag-spec (';;') at offset ${empty.index} (RFC 6376 §3.2)`, parsed.value);
  return { ok: true, tags: parsed.value };
}

function parseCommon(tags: TagList, required: readonly string[]): { value: Common } | Extract<ArcFieldParse<never>, { ok: false }> {
  const get = (name: string): string | undefined => tags.byName.get(name)?.value;
  for (const name of required) {
    if (get(name) === undefined) return bad('signature-missing-tag', `the required tag ${name}= is missing`, tags);
  }
  const instance = parseInstance(get('i'));
  if (!instance.ok) return bad('signature-bad-tag', instance.message, tags);
  const a = get('a') as string;
  if (a === 'rsa-sha1') return { ...bad('algorithm-rsa-sha1', 'rsa-sha1 is not acceptable (RFC 8301 §3.1)', tags), result: 'policy' };
  if (!ALGORITHMS.has(a)) return bad('algorithm-unknown', `a=${a.slice(0, 32)} is not rsa-sha256 or ed25519-sha256`, tags);
  const signatureBase64 = stripWhitespace(get('b') as string);
  if (!BASE64.test(signatureBase64) || signatureBase64.length === 0) return bad('signature-bad-tag', 'b= is not base64', tags);
  if (signatureBase64.length > Math.ceil(MAX_SIGNATURE_OCTETS / 3) * 4) {
    return bad('signature-bad-tag', `b= is longer than any supported key produces (${MAX_SIGNATURE_OCTETS} octets)`, tags);
  }
  const domain = toDomain(get('d') as string);
  if (domain === undefined) return bad('signature-bad-tag', `d=${(get('d') as string).slice(0, 64)} is not a domain name`, tags);
  const selector = toDomain(get('s') as string);
  if (selector === undefined) return bad('signature-bad-tag', `s=${(get('s') as string).slice(0, 64)} is not a valid selector`, tags);
  if (selector.length + domain.length + '._domainkey.'.length > 253) return bad('signature-bad-tag', 'the key name s=._domainkey.d= is longer than 253 octets', tags);
  const value: Common = {
    instance: instance.value,
    algorithm: a as DkimAlgorithm,
    signature: Buffer.from(signatureBase64, 'base64'),
    signatureBase64,
    domain,
    selector,
    tags,
  };
  const t = get('t');
  if (t !== undefined) {
    if (!/^\d+$/.test(t)) return bad('signature-bad-tag', `t=${t.slice(0, 32)} is not a decimal number`, tags);
    value.timestamp = t.length > 12 ? Infinity : Number(t);
  }
  return { value };
}

function bad(reason: ArcSignatureReason, detail: string, tags: TagList | undefined): Extract<ArcFieldParse<never>, { ok: false }> {
  // Tag problems are `neutral`, as RFC 8601 §2.7.1 words DKIM syntax errors.
  return { ok: false, result: 'neutral', reason, detail, partial: partialFrom(tags) };
}

function partialFrom(tags: TagList | undefined): PartialArcSignature {
  const get = (name: string): string => (tags?.byName.get(name)?.value ?? '').toLowerCase().slice(0, 253);
  return { domain: get('d'), selector: get('s'), cv: get('cv').slice(0, 16) };
}

function valueStart(field: HeaderField): number {
  return field.raw.indexOf(0x3a) + 1;
}

function bRegion(tags: TagList, offset: number): { start: number; end: number } {
  const b = tags.byName.get('b') as { valueStart: number; valueEnd: number };
  return { start: offset + b.valueStart, end: offset + b.valueEnd };
}

/** The DKIM d=/s= name rules apply to ARC's d= and s= too (RFC 8617 §4.1.2, §4.1.3). */
export { toDomain };
