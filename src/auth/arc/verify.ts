// ARC chain validation (RFC 8617 §5.2): collect the sets, check the structure and the cv= values, verify
// the newest ARC-Message-Signature (and the older ones, for oldest-pass), then every ARC-Seal. Key lookups
// run in parallel; the body is hashed once per (canonicalization, hash, l=) with the DKIM body hasher.

import type { DnsResolver } from '../../core/dns/types.js';
import type { HeaderField } from '../../core/message/headers.js';
import { splitMessage } from '../../core/message/split.js';
import { MAX_HEADER_BLOCK_BYTES } from '../../core/message/stream.js';
import {
  blankTagValue,
  BodyHasher,
  defaultKeyCache,
  hashOf,
  headerHashInput,
  HeaderIndex,
  lookupKey,
  verifyHeaderData,
  type BodyHashResult,
  type DkimKeyCache,
  type KeyLookup,
} from '../dkim/index.js';
import { missingAar, viewAar } from './aar.js';
import { usableKey } from './key.js';
import { checkStructure, collectArcSets, type ChainProblem, type CollectedChain } from './sets.js';
import { parseArcMessageSignatureField, parseArcSealField, type ArcFieldParse, type ArcMessageSignature, type ArcSeal } from './signature.js';
import type { ArcInstance, ArcSignatureCheck, ArcValidationResult } from './types.js';

export interface ArcVerifyOptions {
  /** The DNS port for key lookups. */
  resolver: DnsResolver;
  /** Loaded keys by record text; defaults to the process-wide DKIM key cache. */
  keyCache?: DkimKeyCache;
  /** Largest header block accepted; default MAX_HEADER_BLOCK_BYTES (4 MiB). */
  maxHeaderBytes?: number;
}

interface ParsedSet {
  ams?: { position: number; parse: ArcFieldParse<ArcMessageSignature> };
  as?: { position: number; parse: ArcFieldParse<ArcSeal> };
  aar?: number;
}

const NOT_CHECKED: ArcSignatureCheck = { result: 'none', reason: 'not-checked', detail: 'not verified: the chain failed before signatures were checked' };

/**
 * Validates the ARC chain of a message (RFC 8617 §5.2). Returns cv=none when the message has no ARC
 * field, pass when every check holds, fail otherwise, with a stable reason, the failing instance and every
 * set's sealer, AMS signer and AAR contents (for local trusted-sealer policy). Never throws for message,
 * signature, key or DNS problems; a DNS failure gives fail with `temporary: true`.
 */
export async function verifyArc(message: Buffer, options: ArcVerifyOptions): Promise<ArcValidationResult> {
  const split = splitMessage(message);
  const warnings = split.lineEndingsNormalized ? ['line-endings-normalized'] : [];
  const maxHeaderBytes = options.maxHeaderBytes ?? MAX_HEADER_BLOCK_BYTES;
  if (split.headerBytes > maxHeaderBytes) {
    return { cv: 'fail', reason: 'header-too-large', detail: `the header block is larger than ${maxHeaderBytes} bytes; not validated`, instances: [], warnings };
  }
  const headers = split.headers;
  const chain = collectArcSets(headers);
  if (chain.fieldCount === 0) return { cv: 'none', reason: 'no-arc-sets', detail: 'the message has no ARC header fields', instances: [], warnings };

  const parsed = parseSets(headers, chain);
  const instances = describe(headers, chain, parsed);
  const fail = (problem: ChainProblem, temporary = false): ArcValidationResult => ({
    cv: 'fail',
    ...problem,
    ...(temporary ? { temporary } : {}),
    instances,
    warnings,
  });
  if (chain.problem) return fail(chain.problem);
  const n = chain.newest;
  const newestSeal = parsed.get(n)?.as?.parse;
  if (newestSeal?.ok && newestSeal.value.cv === 'fail') {
    return fail({ reason: 'chain-marked-failed', detail: `the newest ARC-Seal (i=${n}) says cv=fail: the chain was already found broken (RFC 8617 §5.2 step 2)`, failedInstance: n });
  }
  const structure = checkStructure(chain);
  if (structure) return fail(structure);
  const cvProblem = checkChainStatuses(parsed, n);
  if (cvProblem) return fail(cvProblem);

  await verifySignatures(headers, split.body, chain, parsed, instances, options);

  const newestAms = (instances[n - 1] as ArcInstance).amsResult;
  if (newestAms.result !== 'pass') {
    return fail(
      { reason: 'ams-invalid', detail: `the newest ARC-Message-Signature (i=${n}) does not verify: ${newestAms.detail} (RFC 8617 §5.2 step 4)`, failedInstance: n },
      newestAms.result === 'temperror',
    );
  }
  let oldestPass = 0;
  for (let i = n - 1; i >= 1; i--) {
    if ((instances[i - 1] as ArcInstance).amsResult.result !== 'pass') {
      oldestPass = i + 1;
      break;
    }
  }
  for (let i = n; i >= 1; i--) {
    const seal = (instances[i - 1] as ArcInstance).asResult;
    if (seal.result !== 'pass') {
      return fail(
        { reason: 'seal-invalid', detail: `the ARC-Seal i=${i} does not verify: ${seal.detail} (RFC 8617 §5.2 step 6)`, failedInstance: i },
        seal.result === 'temperror',
      );
    }
  }
  const sealers = instances.map((s) => s.domain).join(', ');
  return { cv: 'pass', reason: 'verified', detail: `${n} ARC set(s) verify (sealed by ${sealers})`, oldestPass, instances, warnings };
}

/** Parses the first AAR, AMS and AS of every set (duplicates fail the structure check anyway). */
function parseSets(headers: readonly HeaderField[], chain: CollectedChain): Map<number, ParsedSet> {
  const parsed = new Map<number, ParsedSet>();
  for (const [instance, set] of chain.sets) {
    const entry: ParsedSet = {};
    if (set.aar[0] !== undefined) entry.aar = set.aar[0];
    if (set.ams[0] !== undefined) entry.ams = { position: set.ams[0], parse: parseArcMessageSignatureField(headers[set.ams[0]] as HeaderField) };
    if (set.as[0] !== undefined) entry.as = { position: set.as[0], parse: parseArcSealField(headers[set.as[0]] as HeaderField) };
    parsed.set(instance, entry);
  }
  return parsed;
}

/** The report of every set with a usable instance number, oldest first, before any signature is checked. */
function describe(headers: readonly HeaderField[], chain: CollectedChain, parsed: Map<number, ParsedSet>): ArcInstance[] {
  const out: ArcInstance[] = [];
  for (const instance of [...chain.sets.keys()].sort((a, b) => a - b)) {
    const set = parsed.get(instance) as ParsedSet;
    const as = set.as?.parse;
    const ams = set.ams?.parse;
    out.push({
      instance,
      domain: as === undefined ? '' : as.ok ? as.value.domain : as.partial.domain,
      selector: as === undefined ? '' : as.ok ? as.value.selector : as.partial.selector,
      cv: as === undefined ? '' : as.ok ? as.value.cv : as.partial.cv,
      amsDomain: ams === undefined ? '' : ams.ok ? ams.value.domain : ams.partial.domain,
      amsSelector: ams === undefined ? '' : ams.ok ? ams.value.selector : ams.partial.selector,
      aar: set.aar === undefined ? missingAar() : viewAar(headers[set.aar] as HeaderField),
      amsResult: NOT_CHECKED,
      asResult: NOT_CHECKED,
    });
  }
  return out;
}

/** RFC 8617 §5.2 step 3.c: no older seal says fail, instance 1 says none, the others pass. */
function checkChainStatuses(parsed: Map<number, ParsedSet>, newest: number): ChainProblem | undefined {
  for (let i = newest; i >= 1; i--) {
    const seal = parsed.get(i)?.as?.parse;
    if (seal === undefined || !seal.ok) continue; // an unparseable seal fails its verification below
    const cv = seal.value.cv;
    const expected = i === 1 ? 'none' : 'pass';
    if (cv !== expected) {
      const why = cv === 'fail' ? 'an earlier hop found the chain broken' : `instance ${i === 1 ? '1 must say none' : `${i} must say pass`}`;
      return { reason: 'cv-invalid', detail: `the ARC-Seal i=${i} says cv=${cv}: ${why} (RFC 8617 §5.2 step 3.c)`, failedInstance: i };
    }
  }
  return undefined;
}

/** Verifies every AMS and AS of a structurally sound chain, filling in `instances[i - 1]`. */
async function verifySignatures(
  headers: readonly HeaderField[],
  body: Buffer,
  chain: CollectedChain,
  parsed: Map<number, ParsedSet>,
  instances: ArcInstance[],
  options: ArcVerifyOptions,
): Promise<void> {
  const cache = options.keyCache ?? defaultKeyCache;
  const lookups = new Map<string, Promise<KeyLookup>>();
  const lookup = (selector: string, domain: string): Promise<KeyLookup> => {
    const name = `${selector}._domainkey.${domain}`;
    let pending = lookups.get(name);
    if (pending === undefined) {
      pending = lookupKey(options.resolver, name);
      lookups.set(name, pending);
    }
    return pending;
  };
  const hashers = new Map<string, BodyHasher>();
  const hasherKey = (sig: ArcMessageSignature): string => `${sig.canonicalization.body}/${hashOf(sig.algorithm)}/${sig.bodyLength ?? ''}`;
  for (const set of parsed.values()) {
    const ams = set.ams?.parse;
    if (ams?.ok) {
      void lookup(ams.value.selector, ams.value.domain);
      const key = hasherKey(ams.value);
      if (!hashers.has(key)) hashers.set(key, new BodyHasher(ams.value.canonicalization.body, hashOf(ams.value.algorithm), ams.value.bodyLength));
    }
    const as = set.as?.parse;
    if (as?.ok) void lookup(as.value.selector, as.value.domain);
  }
  for (const hasher of hashers.values()) hasher.update(body);

  const index = new HeaderIndex(headers);
  for (let i = 1; i <= chain.newest; i++) {
    const set = parsed.get(i) as Required<ParsedSet>;
    const report = instances[i - 1] as ArcInstance;
    const ams = set.ams.parse;
    if (!ams.ok) report.amsResult = { result: ams.result, reason: ams.reason, detail: ams.detail };
    else {
      const bodyHash = (hashers.get(hasherKey(ams.value)) as BodyHasher).digest();
      report.amsResult = await verifyAms(ams.value, set.ams.position, ams.bValue, headers, index, bodyHash, lookup, cache);
    }
    const as = set.as.parse;
    if (!as.ok) report.asResult = { result: as.result, reason: as.reason, detail: as.detail };
    else report.asResult = await verifySeal(as.value, set.as.position, as.bValue, headers, chain, parsed, lookup, cache);
  }
}

async function verifyAms(
  sig: ArcMessageSignature,
  position: number,
  bValue: { start: number; end: number },
  headers: readonly HeaderField[],
  index: HeaderIndex,
  bodyHash: BodyHashResult,
  lookup: (selector: string, domain: string) => Promise<KeyLookup>,
  cache: DkimKeyCache,
): Promise<ArcSignatureCheck> {
  const keyName = `${sig.selector}._domainkey.${sig.domain}`;
  const key = usableKey(await lookup(sig.selector, sig.domain), keyName, sig.algorithm, cache);
  if (!key.ok) return key.check;
  const withBits = (check: Omit<ArcSignatureCheck, 'keyBits'>): ArcSignatureCheck => ({ ...check, keyBits: key.bits });
  if (sig.bodyLength !== undefined && sig.bodyLength > bodyHash.canonicalLength) {
    return withBits({ result: 'fail', reason: 'body-length-exceeds-body', detail: `l=${sig.bodyLength} is larger than the canonical body (${bodyHash.canonicalLength} octets)` });
  }
  const field = headers[position] as HeaderField;
  const blanked = blankTagValue(field.raw, bValue.start, bValue.end);
  const data = headerHashInput(headers, index.select(sig.headerFields, position), blanked, sig.canonicalization.header);
  const headerValid = verifyHeaderData(sig.algorithm, data, key.key, sig.signature);
  if (!bodyHash.hash.equals(sig.bodyHash)) {
    const note = headerValid ? 'the headers are intact, so the body was changed after sealing' : 'the header signature does not verify either';
    return withBits({ result: 'fail', reason: 'body-hash-mismatch', detail: `the body hash does not match bh= (${note})` });
  }
  if (!headerValid) return withBits({ result: 'fail', reason: 'signature-mismatch', detail: 'the signature does not verify over the signed header fields' });
  return withBits({ result: 'pass', reason: 'verified', detail: `signed by ${sig.domain} (${key.bits}-bit key)` });
}

/**
 * Verifies an ARC-Seal over its signed set (RFC 8617 §5.1.1): the AAR, AMS and AS of instances 1..i in
 * that order, relaxed, the seal's own b= blanked; a seal saying cv=fail covers only its own set (§5.1.2).
 */
async function verifySeal(
  seal: ArcSeal,
  position: number,
  bValue: { start: number; end: number },
  headers: readonly HeaderField[],
  chain: CollectedChain,
  parsed: Map<number, ParsedSet>,
  lookup: (selector: string, domain: string) => Promise<KeyLookup>,
  cache: DkimKeyCache,
): Promise<ArcSignatureCheck> {
  const keyName = `${seal.selector}._domainkey.${seal.domain}`;
  const key = usableKey(await lookup(seal.selector, seal.domain), keyName, seal.algorithm, cache);
  if (!key.ok) return key.check;
  const picked: number[] = [];
  const first = seal.cv === 'fail' ? seal.instance : 1;
  for (let k = first; k <= seal.instance; k++) {
    const set = chain.sets.get(k);
    const entry = parsed.get(k);
    if (set === undefined || entry?.aar === undefined || entry.ams === undefined) continue;
    picked.push(entry.aar, entry.ams.position);
    if (k < seal.instance && entry.as !== undefined) picked.push(entry.as.position);
  }
  const field = headers[position] as HeaderField;
  const data = headerHashInput(headers, picked, blankTagValue(field.raw, bValue.start, bValue.end), 'relaxed');
  if (!verifyHeaderData(seal.algorithm, data, key.key, seal.signature)) {
    return { result: 'fail', reason: 'signature-mismatch', detail: 'the seal does not verify over the ARC sets', keyBits: key.bits };
  }
  return { result: 'pass', reason: 'verified', detail: `sealed by ${seal.domain} (${key.bits}-bit key)`, keyBits: key.bits };
}
