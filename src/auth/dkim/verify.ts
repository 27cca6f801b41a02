// DKIM verification (RFC 6376 §6, RFC 8463, RFC 8301). Headers are parsed first, key lookups start at once,
// and the body is hashed chunk by chunk while they run; every signature gets its own result.

import type { Clock } from '../../core/clock.js';
import { systemClock } from '../../core/clock.js';
import type { DnsAnswer, DnsResolver } from '../../core/dns/types.js';
import type { HeaderField } from '../../core/message/headers.js';
import { splitMessage } from '../../core/message/split.js';
import { MAX_HEADER_BLOCK_BYTES, splitMessageStream } from '../../core/message/stream.js';
import { BodyHasher, type BodyHashResult } from './body-hash.js';
import { formatCanonicalization, headerHashInputTransient, HeaderIndex } from './canonicalize.js';
import { hashOf, keyTypeOf, verifyHeaderData } from './crypto.js';
import { DkimKeyCache, defaultKeyCache } from './key-record.js';
import { firstUsableKey, isKeyLookup, keyLookupFromAnswer, keyLookupFromError, type KeyLookup } from './key-lookup.js';
import { parseDkimSignatureField, type DkimSignature, type PartialSignature } from './signature.js';
import type { DkimReason, DkimResult, DkimSignatureResult, DkimVerifyResult } from './types.js';

/** Signatures evaluated per message by default; the rest are reported as not evaluated (RFC 6376 §6.1). */
export const DEFAULT_MAX_SIGNATURES = 10;
/** RSA keys shorter than this are not acceptable (RFC 8301 §3.2). */
export const MIN_RSA_KEY_BITS = 1024;
/** How far in the future t= may be before the signature is ignored: clocks drift (RFC 6376 §3.5 t=). */
export const MAX_CLOCK_SKEW_SECONDS = 300;
/** header.b carries at least this many characters of b= (RFC 6008 §4). */
const MIN_HEADER_B_CHARS = 8;

export interface DkimVerifyOptions {
  resolver: DnsResolver;
  /** For t= and x=; defaults to the system clock. */
  clock?: Clock;
  /** Accept rsa-sha1 and RSA keys under 1024 bits (with a warning) instead of returning `policy`. */
  legacy?: boolean;
  /** How many signatures to evaluate (top first); default DEFAULT_MAX_SIGNATURES. */
  maxSignatures?: number;
  /** Loaded keys by record text; defaults to a process-wide cache. */
  keyCache?: DkimKeyCache;
  /** Largest header block read from a stream; default MAX_HEADER_BLOCK_BYTES. */
  maxHeaderBytes?: number;
}

interface Pending {
  sig: DkimSignature;
  field: number;
  /** Where the b= value sits in the field's raw bytes: left out of the header hash (RFC 6376 §3.7). */
  bValue: { start: number; end: number };
  /** Positions of the header fields h= covers, in h= order (RFC 6376 §5.4.2). */
  picked: number[];
  /** `selector._domainkey.domain`, where the key record is published (RFC 6376 §3.6.2.1). */
  keyName: string;
  hasherKey: string;
  warnings: string[];
}

type Slot = { done: DkimSignatureResult } | { pending: Pending };

/**
 * Verifies every DKIM-Signature of a message (a Buffer, or chunks from a stream, read once). Returns one
 * result per signature, top first; `signatures: []` when there is none (the message's result is `none`).
 * Never throws for message, signature, key or DNS problems; errors of the stream itself propagate.
 */
export async function verifyDkim(message: Buffer | AsyncIterable<Buffer>, options: DkimVerifyOptions): Promise<DkimVerifyResult> {
  const clock = options.clock ?? systemClock;
  const cache = options.keyCache ?? defaultKeyCache;
  const maxHeaderBytes = options.maxHeaderBytes ?? MAX_HEADER_BLOCK_BYTES;
  const maxSignatures = Math.max(0, options.maxSignatures ?? DEFAULT_MAX_SIGNATURES);

  let headers: HeaderField[];
  let bodyBuffer: Buffer | undefined;
  let bodyStream: AsyncIterable<Buffer> | undefined;
  // Whether bare LFs were rewritten; for a stream, known only once the body has been read.
  let normalized: boolean | (() => boolean);
  if (Buffer.isBuffer(message)) {
    const split = splitMessage(message);
    if (split.headerBytes > maxHeaderBytes) return headerTooLarge(maxHeaderBytes);
    headers = split.headers;
    bodyBuffer = split.body;
    normalized = split.lineEndingsNormalized;
  } else {
    const split = await splitMessageStream(message, { maxHeaderBytes });
    if (!split.ok) return headerTooLarge(maxHeaderBytes);
    headers = split.value.headers;
    bodyStream = split.value.body;
    normalized = split.value.lineEndingsNormalized;
  }

  const index = new HeaderIndex(headers);
  const positions = index.positions('dkim-signature');
  const nowSeconds = Math.floor(clock.now() / 1000);
  const legacy = options.legacy === true;
  // Signatures past the limit are only counted (ignoredSignatures): a flood of them costs nothing.
  const evaluated = Math.min(positions.length, maxSignatures);
  const slots: Slot[] = [];
  for (let k = 0; k < evaluated; k++) slots.push(prepare(headers, index, positions[k] as number, nowSeconds, legacy));

  // Key lookups start now and run while the body is hashed; one query per key name, one hasher per body
  // canonicalization. Arrays, not Maps: there are at most maxSignatures entries, usually one.
  const keyNames: string[] = [];
  const lookups: Promise<DnsAnswer<'TXT'> | KeyLookup>[] = [];
  const hasherKeys: string[] = [];
  const hashers: BodyHasher[] = [];
  for (const slot of slots) {
    if (!('pending' in slot)) continue;
    const { sig, keyName, hasherKey } = slot.pending;
    if (!keyNames.includes(keyName)) {
      keyNames.push(keyName);
      lookups.push(resolveKey(options.resolver, keyName));
    }
    if (!hasherKeys.includes(hasherKey)) {
      hasherKeys.push(hasherKey);
      hashers.push(new BodyHasher(sig.canonicalization.body, hashOf(sig.algorithm), sig.bodyLength));
    }
  }

  if (hashers.length > 0) {
    if (bodyBuffer !== undefined) for (const hasher of hashers) hasher.hashWhole(bodyBuffer);
    else if (bodyStream !== undefined) {
      for await (const chunk of bodyStream) for (const hasher of hashers) hasher.update(chunk);
    }
  }

  // Answers by key name, turned into lookups once each (several signatures may share a key).
  const keyLookups: (KeyLookup | undefined)[] = [];
  const results: DkimSignatureResult[] = [];
  for (const slot of slots) {
    if ('done' in slot) {
      results.push(slot.done);
      continue;
    }
    const { pending } = slot;
    const at = keyNames.indexOf(pending.keyName);
    let lookup = keyLookups[at];
    if (lookup === undefined) {
      // One await per key name (resolveKey never rejects); the answer is mapped without another promise.
      const answer = await (lookups[at] as Promise<DnsAnswer<'TXT'> | KeyLookup>);
      lookup = isKeyLookup(answer) ? answer : keyLookupFromAnswer(answer);
      keyLookups[at] = lookup;
    }
    const bodyHash = (hashers[hasherKeys.indexOf(pending.hasherKey)] as BodyHasher).digest();
    results.push(evaluate(pending, headers, lookup, bodyHash, cache, legacy));
  }
  if (normalized === true || (normalized !== false && normalized())) for (const result of results) result.warnings.push('line-endings-normalized');
  assignHeaderB(results);
  const ignored = positions.length - evaluated;
  return ignored > 0 ? { signatures: results, ignoredSignatures: ignored } : { signatures: results };
}

/**
 * Starts the TXT query for a key. The port promises not to throw; a resolver that does anyway (at once or
 * by rejecting) is reported as lookupKey reports it, so the promise returned here never rejects (it may
 * wait unobserved while the body is read from a stream).
 */
function resolveKey(resolver: DnsResolver, name: string): Promise<DnsAnswer<'TXT'> | KeyLookup> {
  try {
    return resolver.resolve(name, 'TXT').then(undefined, resolverFailed);
  } catch (error) {
    return Promise.resolve(resolverFailed(error));
  }
}

function resolverFailed(error: unknown): KeyLookup {
  return keyLookupFromError(error);
}

/** Parses one signature and does every check that needs neither DNS nor the body. */
function prepare(headers: HeaderField[], index: HeaderIndex, position: number, nowSeconds: number, legacy: boolean): Slot {
  const field = headers[position] as HeaderField;
  const parsed = parseDkimSignatureField(field);
  if (!parsed.ok) return { done: fromPartial(parsed.error.partial, 'neutral', parsed.error.reason, parsed.error.message) };
  const sig = parsed.value;
  const bValue = parsed.bValue as { start: number; end: number };
  const warnings: string[] = [];
  if (sig.bodyLength !== undefined) warnings.push('body-length-limited');
  // The fields the signature covers, and the names signed fewer times than they occur: an added instance
  // of those would be unsigned (RFC 6376 §8.15).
  const { picked, unsigned } = index.selectWithUnsigned(sig.headerFields, position);
  for (const name of unsigned) warnings.push(`header-injection-risk:${name}`);
  if (sig.algorithm === 'rsa-sha1') {
    if (!legacy) return doneSlot(sig, warnings, 'policy', 'algorithm-rsa-sha1', 'rsa-sha1 is not acceptable (RFC 8301 §3.1); use the legacy option to accept it');
    warnings.push('rsa-sha1-accepted');
  }
  if (sig.expiration !== undefined && nowSeconds > sig.expiration) {
    return doneSlot(sig, warnings, 'fail', 'signature-expired', `the signature expired at ${isoTime(sig.expiration)} (x=${sig.expiration})`);
  }
  if (sig.timestamp !== undefined && sig.timestamp > nowSeconds + MAX_CLOCK_SKEW_SECONDS) {
    return doneSlot(sig, warnings, 'policy', 'signature-timestamp-future', `the signature is dated in the future (t=${sig.timestamp})`);
  }
  const hasherKey = `${sig.canonicalization.body}/${hashOf(sig.algorithm)}/${sig.bodyLength ?? ''}`;
  const keyName = `${sig.selector}._domainkey.${sig.domain}`;
  return { pending: { sig, field: position, bValue, picked, keyName, hasherKey, warnings } };
}

function evaluate(
  pending: Pending,
  headers: HeaderField[],
  lookup: KeyLookup,
  bodyHash: BodyHashResult,
  cache: DkimKeyCache,
  legacy: boolean,
): DkimSignatureResult {
  const { sig, warnings, keyName } = pending;
  const out = base(sig, warnings);
  if (lookup.kind === 'temp') return finish(out, 'temperror', 'key-dns-error', `the key ${keyName} could not be fetched: ${lookup.detail}`);
  if (lookup.kind === 'none') return finish(out, 'permerror', 'key-not-found', `no key record at ${keyName} (${lookup.detail})`);

  const loaded = firstUsableKey(lookup.texts, cache);
  if (loaded === undefined) return finish(out, 'permerror', 'key-not-found', `no key record at ${keyName}`);
  if (!loaded.ok) {
    const reason: DkimReason = loaded.code === 'key-revoked' ? 'key-revoked' : loaded.code === 'key-invalid' ? 'key-invalid' : 'key-syntax';
    return finish(out, 'permerror', reason, `${keyName}: ${loaded.message}`);
  }
  const { record, key, bits } = loaded;
  out.keyBits = bits;
  if (record.keyType !== keyTypeOf(sig.algorithm)) {
    return finish(out, 'permerror', 'key-type-mismatch', `a=${sig.algorithm} needs a ${keyTypeOf(sig.algorithm)} key; ${keyName} has k=${record.keyType}`);
  }
  const hash = hashOf(sig.algorithm);
  if (record.hashAlgorithms !== undefined && !record.hashAlgorithms.includes(hash)) {
    return finish(out, 'permerror', 'key-hash-not-allowed', `${keyName} allows h=${record.hashAlgorithms.join(':')}, not ${hash}`);
  }
  if (!record.serviceTypes.includes('*') && !record.serviceTypes.includes('email')) {
    return finish(out, 'permerror', 'key-service-mismatch', `${keyName} is for s=${record.serviceTypes.join(':')}, not email`);
  }
  if (record.strictIdentity && sig.identityDomain !== sig.domain) {
    return finish(out, 'permerror', 'identity-subdomain-forbidden', `${keyName} has t=s, so i= may not use the subdomain ${sig.identityDomain}`);
  }
  if (record.testing) warnings.push('key-testing');
  if (record.keyType === 'rsa' && bits < MIN_RSA_KEY_BITS) {
    if (!legacy) return finish(out, 'policy', 'key-too-small', `the ${bits}-bit RSA key is shorter than ${MIN_RSA_KEY_BITS} bits (RFC 8301 §3.2)`);
    warnings.push('weak-key-accepted');
  }

  if (sig.bodyLength !== undefined) {
    if (sig.bodyLength > bodyHash.canonicalLength) {
      return finish(out, 'fail', 'body-length-exceeds-body', `l=${sig.bodyLength} is larger than the canonical body (${bodyHash.canonicalLength} octets)`);
    }
    out.unsignedBodyOctets = bodyHash.canonicalLength - sig.bodyLength;
    if (out.unsignedBodyOctets > 0) warnings.push('unsigned-body-content');
  }
  const bodyMatched = bodyHash.hash.equals(sig.bodyHash);
  out.bodyHashMatched = bodyMatched;
  const own = (headers[pending.field] as HeaderField).raw;
  // Transient: hashed by verifyHeaderData right away, before anything else fills the shared buffer.
  const data = headerHashInputTransient(headers, pending.picked, own, pending.bValue.start, pending.bValue.end, sig.canonicalization.header);
  const headerValid = verifyHeaderData(sig.algorithm, data, key, sig.signature);
  if (!bodyMatched) {
    const note = headerValid ? 'the headers are intact, so the body was changed after signing' : 'the header signature does not verify either';
    return finish(out, 'fail', 'body-hash-mismatch', `the body hash does not match bh= (${note})`);
  }
  if (!headerValid) return finish(out, 'fail', 'signature-mismatch', 'the signature does not verify over the signed header fields');
  return finish(out, 'pass', 'verified', `signed by ${sig.domain} with ${sig.algorithm} (${bits}-bit key)`);
}

// Plain functions rather than closures in the hot path: a closure per call costs an allocation (and, under
// tsx's keepNames, a defineProperty).
function doneSlot(sig: DkimSignature, warnings: string[], result: DkimResult, reason: DkimReason, detail: string): Slot {
  return { done: finish(base(sig, warnings), result, reason, detail) };
}

function finish(out: DkimSignatureResult, result: DkimResult, reason: DkimReason, detail: string): DkimSignatureResult {
  out.result = result;
  out.reason = reason;
  out.detail = detail;
  return out;
}

function base(sig: DkimSignature, warnings: string[]): DkimSignatureResult {
  const result: DkimSignatureResult = {
    result: 'neutral',
    reason: 'verified',
    detail: '',
    domain: sig.domain,
    selector: sig.selector,
    algorithm: sig.algorithm,
    canonicalization: formatCanonicalization(sig.canonicalization),
    headerFields: sig.headerFields,
    bodyLengthLimited: sig.bodyLength !== undefined,
    headerB: sig.signatureBase64,
    warnings,
  };
  if (sig.identity !== undefined) result.identity = sig.identity;
  if (sig.timestamp !== undefined) result.timestamp = sig.timestamp;
  if (sig.expiration !== undefined) result.expiration = sig.expiration;
  return result;
}

function fromPartial(partial: PartialSignature, result: DkimResult, reason: DkimReason, detail: string): DkimSignatureResult {
  const out: DkimSignatureResult = {
    result,
    reason,
    detail,
    domain: partial.domain,
    selector: partial.selector,
    algorithm: partial.algorithm,
    canonicalization: partial.canonicalization,
    headerFields: partial.headerFields,
    bodyLengthLimited: partial.bodyLengthLimited,
    headerB: partial.signatureBase64,
    warnings: [],
  };
  if (partial.identity !== undefined) out.identity = partial.identity;
  return out;
}

function headerTooLarge(limit: number): DkimVerifyResult {
  return { signatures: [], error: { reason: 'header-too-large', detail: `the header block is larger than ${limit} bytes; not verified` } };
}

/** Shortens each b= to the shortest prefix (at least 8 characters) no other signature shares (RFC 6008 §4). */
function assignHeaderB(results: DkimSignatureResult[]): void {
  const count = results.length;
  if (count === 0) return;
  const full: string[] = [];
  for (const result of results) full.push(result.headerB);
  for (let i = 0; i < count; i++) {
    const own = full[i] as string;
    let length = Math.min(MIN_HEADER_B_CHARS, own.length);
    while (length < own.length && sharesPrefix(full, i, own.slice(0, length))) length++;
    (results[i] as DkimSignatureResult).headerB = own.slice(0, length);
  }
}

/** Whether any entry of `full` but the `own`th starts with `prefix`. */
function sharesPrefix(full: readonly string[], own: number, prefix: string): boolean {
  for (let j = 0; j < full.length; j++) if (j !== own && (full[j] as string).startsWith(prefix)) return true;
  return false;
}

function isoTime(seconds: number): string {
  return Number.isFinite(seconds) && seconds < 8.64e12 ? new Date(seconds * 1000).toISOString() : `${seconds}`;
}
