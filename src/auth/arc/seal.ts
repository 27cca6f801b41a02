// ARC sealing (RFC 8617 §5.1): add this hop's ARC-Authentication-Results (a copy of its
// Authentication-Results), an ARC-Message-Signature over the message and an ARC-Seal over the chain.

import { createPrivateKey, type KeyObject } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import { systemClock } from '../../core/clock.js';
import { makeField, type HeaderField } from '../../core/message/headers.js';
import { normalizeLineEndings } from '../../core/message/line-endings.js';
import { splitMessage } from '../../core/message/split.js';
import { defaultHeaderList, hashBody, headerHashInput, HeaderIndex, signHeaderData, type DkimAlgorithm } from '../dkim/index.js';
import { arcResultOf, collectAuthResults } from './aar.js';
import { layoutAar, layoutSignedField, type ArcTag } from './format.js';
import { collectArcSets, type CollectedChain } from './sets.js';
import { MAX_ARC_INSTANCE, parseArcSealField, toDomain } from './signature.js';
import { ArcError, type ArcChainStatus, type ArcValidationResult } from './types.js';

/** RSA keys shorter than this must not sign (RFC 8301 §3.2). */
const MIN_SIGNING_RSA_BITS = 1024;
const FIELD_NAME = /^[!-9;-~]+$/;
/** The ARC fields themselves are left out of the default AMS h=: the seal covers them. */
const ARC_FIELDS: ReadonlySet<string> = new Set(['arc-seal', 'arc-message-signature', 'arc-authentication-results']);

export interface ArcSealOptions {
  /** The sealer's domain (d= of the AMS and AS). */
  domain: string;
  selector: string;
  /** A KeyObject or PEM text (PKCS#8, PKCS#1 or SEC1), RSA of at least 1024 bits or Ed25519. */
  privateKey: KeyObject | string;
  /** This hop's authserv-id: its Authentication-Results fields are copied into the AAR. */
  authservId: string;
  /** Default: from the key (rsa-sha256 or ed25519-sha256). */
  algorithm?: 'rsa-sha256' | 'ed25519-sha256';
  /**
   * The chain status for cv=: a status or this hop's validation result (verifyArc). Default: the `arc=` result
   * in this hop's Authentication-Results, or `none` when the message has no ARC field.
   */
  chain?: ArcChainStatus | Pick<ArcValidationResult, 'cv'>;
  /** The AMS h= exactly as given (ARC-Seal not allowed). Default: DKIM's default list plus DKIM-Signature. */
  headers?: string[];
  /** t= in Unix seconds; default the clock's time. */
  timestamp?: number;
  clock?: Clock;
  /** Fold the new fields at 78 columns (default true); false gives the suite's standardized single lines. */
  fold?: boolean;
  /**
   * Seal a chain that validated as fail, with cv=fail over this set only (RFC 8617 §5.1.2, default true). With
   * false such a message gets no set (result `chain-failed`).
   */
  sealFailedChain?: boolean;
}

export type ArcSealResult =
  | {
      sealed: true;
      instance: number;
      cv: ArcChainStatus;
      /** The new fields, CRLF-folded, without a final CRLF. */
      headers: { seal: string; messageSignature: string; authResults: string };
      /** The message (CRLF line ends) with ARC-Seal, ARC-Message-Signature and ARC-Authentication-Results prepended. */
      message: Buffer;
    }
  | {
      sealed: false;
      /**
       * `chain-already-failed`: the newest ARC-Seal says cv=fail, so nobody adds to the chain (RFC 8617 §5.1);
       * `chain-failed`: the chain is fail and `sealFailedChain` is false; `too-many-sets`: 50 sets already.
       */
      reason: 'chain-already-failed' | 'chain-failed' | 'too-many-sets';
      detail: string;
      /** The message unchanged (CRLF line ends). */
      message: Buffer;
    };

/**
 * Seals a message for this hop (RFC 8617 §5.1). Throws ArcError (stable code) for a configuration that cannot
 * work: `bad-domain`, `bad-selector`, `bad-authserv-id`, `bad-private-key`, `bad-algorithm`,
 * `key-algorithm-mismatch`, `key-too-small`, `bad-header-name`, `headers-include-arc-seal`, `bad-timestamp`,
 * `chain-status-unknown` (a chain exists and neither `chain` nor an `arc=` result says its status),
 * `chain-status-mismatch` (the status given contradicts the chain: pass without sets, none with sets, pass
 * over a broken chain). A chain the message cannot extend is a result, not an error.
 */
export async function sealArc(message: Buffer, options: ArcSealOptions): Promise<ArcSealResult> {
  const signer = prepare(options);
  const normalized = normalizeLineEndings(message);
  const split = splitMessage(normalized);
  const chain = collectArcSets(split.headers);
  const unchanged = (reason: Extract<ArcSealResult, { sealed: false }>['reason'], detail: string): ArcSealResult => ({ sealed: false, reason, detail, message: normalized });

  if (chain.problem?.reason === 'too-many-sets') return unchanged('too-many-sets', chain.problem.detail);
  const newestSeal = chain.sets.get(chain.newest)?.as[0];
  if (newestSeal !== undefined) {
    const parsed = parseArcSealField(split.headers[newestSeal] as HeaderField);
    if (parsed.ok && parsed.value.cv === 'fail') {
      return unchanged('chain-already-failed', `the newest ARC-Seal (i=${chain.newest}) says cv=fail; the chain ends there (RFC 8617 §5.1)`);
    }
  }
  const ownResults = collectAuthResults(split.headers, options.authservId);
  const cv = chainStatus(options, ownResults, chain);
  if (cv === 'fail' && options.sealFailedChain === false) return unchanged('chain-failed', 'the chain does not validate and sealFailedChain is false');
  const instance = chain.newest + 1;
  if (instance > MAX_ARC_INSTANCE) return unchanged('too-many-sets', `the message already has ${chain.newest} ARC sets, the most a chain may hold (RFC 8617 §4.2.1)`);

  const fold = options.fold ?? true;
  const timestamp = String(options.timestamp ?? Math.floor((options.clock ?? systemClock).now() / 1000));
  const aar = layoutAar(instance, options.authservId, ownResults, fold);
  const aarField = makeField(Buffer.from(aar, 'latin1'));

  // The AMS: a DKIM signature over the message as it leaves this hop, the new AAR included (§4.1.2).
  const withAar = [aarField, ...split.headers];
  const index = new HeaderIndex(withAar);
  const headerList = (options.headers ?? defaultArcHeaderList(index)).map((name) => name.toLowerCase());
  const bodyHash = hashBody(split.body, 'relaxed', 'sha256').hash.toString('base64');
  const amsLayout = layoutSignedField(
    'ARC-Message-Signature',
    sortedForLayout(fold, [
      ['a', signer.algorithm],
      ['b', ''],
      ['bh', bodyHash],
      ['c', 'relaxed/relaxed'],
      ['d', signer.domain],
      ['h', headerList.join(':')],
      ['i', String(instance)],
      ['s', signer.selector],
      ['t', timestamp],
    ]),
    fold,
  );
  const amsData = headerHashInput(withAar, index.select(headerList), Buffer.from(amsLayout.unsigned, 'latin1'), 'relaxed');
  const ams = amsLayout.complete(signHeaderData(signer.algorithm, amsData, signer.key).toString('base64'));
  const amsField = makeField(Buffer.from(ams, 'latin1'));

  // The AS: every set 1..N then the new AAR and AMS, relaxed; a cv=fail seal covers its own set only (§5.1.2).
  const all = [aarField, amsField, ...split.headers];
  const picked = cv === 'fail' ? [] : chainPositions(chain, 2);
  picked.push(0, 1);
  const sealLayout = layoutSignedField(
    'ARC-Seal',
    sortedForLayout(fold, [
      ['a', signer.algorithm],
      ['b', ''],
      ['cv', cv],
      ['d', signer.domain],
      ['i', String(instance)],
      ['s', signer.selector],
      ['t', timestamp],
    ]),
    fold,
  );
  const sealData = headerHashInput(all, picked, Buffer.from(sealLayout.unsigned, 'latin1'), 'relaxed');
  const seal = sealLayout.complete(signHeaderData(signer.algorithm, sealData, signer.key).toString('base64'));

  // latin1 both ways: the copied results keep their exact bytes, UTF-8 or not.
  const head = Buffer.from(`${seal}\r\n${ams}\r\n${aar}\r\n`, 'latin1');
  return {
    sealed: true,
    instance,
    cv,
    headers: { seal, messageSignature: ams, authResults: aar },
    message: Buffer.concat([head, normalized]),
  };
}

/** The AMS h= default: DKIM's over-signed list plus each DKIM-Signature (RFC 8617 §4.1.2 allows them), no ARC fields. */
export function defaultArcHeaderList(index: HeaderIndex): string[] {
  const names = defaultHeaderList(index).filter((name) => !ARC_FIELDS.has(name));
  for (let i = 0; i < index.count('dkim-signature'); i++) names.push('dkim-signature');
  return names;
}

interface PreparedSigner {
  key: KeyObject;
  algorithm: DkimAlgorithm;
  domain: string;
  selector: string;
}

function prepare(options: ArcSealOptions): PreparedSigner {
  const domain = toDomain(options.domain);
  if (domain === undefined) throw new ArcError('bad-domain', `'${options.domain}' is not a domain name`);
  const selector = toDomain(options.selector);
  if (selector === undefined) throw new ArcError('bad-selector', `'${options.selector}' is not a valid selector`);
  // RFC 8601 §2.5: the authserv-id is a token (usually a host name); it must not end the header early.
  if (!/^[!-~]+$/.test(options.authservId) || /[;()"\\]/.test(options.authservId)) {
    throw new ArcError('bad-authserv-id', `'${options.authservId}' is not a usable authserv-id (a host name, no spaces, ';' or quotes)`);
  }
  let key: KeyObject;
  try {
    key = typeof options.privateKey === 'string' ? createPrivateKey(options.privateKey) : options.privateKey;
  } catch (error) {
    throw new ArcError('bad-private-key', `the private key for ${selector}._domainkey.${domain} cannot be read: ${(error as Error).message}`);
  }
  if (key.type !== 'private') throw new ArcError('bad-private-key', 'the sealing key must be a private key');
  const keyType = key.asymmetricKeyType;
  if (keyType !== 'rsa' && keyType !== 'ed25519') throw new ArcError('bad-private-key', `a ${keyType ?? 'unknown'} key cannot seal (rsa or ed25519)`);
  const algorithm: DkimAlgorithm = options.algorithm ?? (keyType === 'rsa' ? 'rsa-sha256' : 'ed25519-sha256');
  if (algorithm !== 'rsa-sha256' && algorithm !== 'ed25519-sha256') throw new ArcError('bad-algorithm', `cannot seal with ${String(algorithm)}`);
  if ((algorithm === 'rsa-sha256') !== (keyType === 'rsa')) throw new ArcError('key-algorithm-mismatch', `a=${algorithm} does not fit a ${keyType} key`);
  if (keyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_SIGNING_RSA_BITS) {
    throw new ArcError('key-too-small', `RSA keys under ${MIN_SIGNING_RSA_BITS} bits must not seal (RFC 8301 §3.2)`);
  }
  if (options.headers !== undefined) {
    const bad = options.headers.find((h) => !FIELD_NAME.test(h));
    if (bad !== undefined) throw new ArcError('bad-header-name', `'${bad}' is not a header field name`);
    if (options.headers.some((h) => h.toLowerCase() === 'arc-seal')) throw new ArcError('headers-include-arc-seal', 'the AMS must not sign ARC-Seal (RFC 8617 §4.1.2)');
  }
  if (options.timestamp !== undefined && !(Number.isInteger(options.timestamp) && options.timestamp >= 0)) {
    throw new ArcError('bad-timestamp', 'timestamp must be whole Unix seconds');
  }
  return { key, algorithm, domain, selector };
}

/** cv= for the new seal, from the caller, from this hop's `arc=` result, or `none` for a message without a chain. */
function chainStatus(options: ArcSealOptions, ownResults: readonly string[], chain: CollectedChain): ArcChainStatus {
  let cv: string | undefined = typeof options.chain === 'string' ? options.chain : options.chain?.cv;
  if (cv === undefined) cv = arcResultOf(ownResults);
  if (cv === undefined) {
    if (chain.fieldCount === 0) return 'none';
    throw new ArcError('chain-status-unknown', 'the message has an ARC chain but no validation result: pass `chain` (from verifyArc) or an arc= result');
  }
  if (cv !== 'none' && cv !== 'pass' && cv !== 'fail') throw new ArcError('chain-status-unknown', `arc=${cv} is not a chain status (none, pass, fail)`);
  if (cv === 'pass' && chain.newest === 0) throw new ArcError('chain-status-mismatch', 'cv=pass was given but the message has no ARC set');
  if (cv === 'none' && chain.fieldCount > 0) throw new ArcError('chain-status-mismatch', 'cv=none was given but the message has ARC fields: its status is pass or fail');
  return cv;
}

/** Positions of the AAR, AMS and AS of sets 1..N in order (offset into the array the seal hashes). */
function chainPositions(chain: CollectedChain, offset: number): number[] {
  const out: number[] = [];
  for (let i = 1; i <= chain.newest; i++) {
    const set = chain.sets.get(i);
    if (set === undefined || set.aar.length !== 1 || set.ams.length !== 1 || set.as.length !== 1) {
      throw new ArcError('chain-status-mismatch', `cv=pass was given but ARC set i=${i} is missing or duplicated`);
    }
    out.push((set.aar[0] as number) + offset, (set.ams[0] as number) + offset, (set.as[0] as number) + offset);
  }
  return out;
}

/** The standardized layout takes tags in alphabetical order (as given); the folded one puts i= first. */
function sortedForLayout(fold: boolean, tags: ArcTag[]): ArcTag[] {
  if (!fold) return tags;
  const i = tags.find(([name]) => name === 'i') as ArcTag;
  return [i, ...tags.filter(([name]) => name !== 'i')];
}
