// ARC keys are DKIM keys (RFC 8617 §4.1.2, §4.1.3: s= and d= name a key record at s._domainkey.d). The
// one place where a key lookup becomes an ARC signature outcome; the record rules are DKIM's.

import type { KeyObject } from 'node:crypto';
import { firstUsableKey, hashOf, keyTypeOf, MIN_RSA_KEY_BITS, type DkimAlgorithm, type DkimKeyCache, type KeyLookup } from '../dkim/index.js';
import type { ArcSignatureCheck } from './types.js';

export type UsableKey = { ok: true; key: KeyObject; bits: number } | { ok: false; check: ArcSignatureCheck };

/**
 * Picks the first usable key of a lookup for `algorithm`, or says why there is none: DNS failure
 * (temperror), no record, record or key problems (permerror), an RSA key under 1024 bits (policy,
 * RFC 8301 §3.2: the chain then fails).
 */
export function usableKey(lookup: KeyLookup, keyName: string, algorithm: DkimAlgorithm, cache: DkimKeyCache): UsableKey {
  const fail = (result: ArcSignatureCheck['result'], reason: ArcSignatureCheck['reason'], detail: string, keyBits?: number): UsableKey => ({
    ok: false,
    check: { result, reason, detail, ...(keyBits === undefined ? {} : { keyBits }) },
  });
  if (lookup.kind === 'temp') return fail('temperror', 'key-dns-error', `the key ${keyName} could not be fetched: ${lookup.detail}`);
  if (lookup.kind === 'none') return fail('permerror', 'key-not-found', `no key record at ${keyName} (${lookup.detail})`);
  const loaded = firstUsableKey(lookup.texts, cache);
  if (loaded === undefined) return fail('permerror', 'key-not-found', `no key record at ${keyName}`);
  if (!loaded.ok) {
    const reason = loaded.code === 'key-revoked' ? 'key-revoked' : loaded.code === 'key-invalid' ? 'key-invalid' : 'key-syntax';
    return fail('permerror', reason, `${keyName}: ${loaded.message}`);
  }
  const { record, key, bits } = loaded;
  if (record.keyType !== keyTypeOf(algorithm)) {
    return fail('permerror', 'key-type-mismatch', `a=${algorithm} needs a ${keyTypeOf(algorithm)} key; ${keyName} has k=${record.keyType}`, bits);
  }
  const hash = hashOf(algorithm);
  if (record.hashAlgorithms !== undefined && !record.hashAlgorithms.includes(hash)) {
    return fail('permerror', 'key-hash-not-allowed', `${keyName} allows h=${record.hashAlgorithms.join(':')}, not ${hash}`, bits);
  }
  if (!record.serviceTypes.includes('*') && !record.serviceTypes.includes('email')) {
    return fail('permerror', 'key-service-mismatch', `${keyName} is for s=${record.serviceTypes.join(':')}, not email`, bits);
  }
  if (record.keyType === 'rsa' && bits < MIN_RSA_KEY_BITS) {
    return fail('policy', 'key-too-small', `the ${bits}-bit RSA key at ${keyName} is shorter than ${MIN_RSA_KEY_BITS} bits (RFC 8301 §3.2)`, bits);
  }
  return { ok: true, key, bits };
}
