// The signature algorithms (RFC 6376 §3.3, RFC 8463 §3): rsa-sha256 and rsa-sha1 are RSASSA-PKCS1-v1_5 over
// the header hash input; ed25519-sha256 is PureEdDSA over the SHA-256 of it. Shared with ARC.

import * as nodeCrypto from 'node:crypto';
import { createHash, sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { ed25519Verify } from './ed25519.js';
import type { DkimAlgorithm } from './types.js';

/** crypto.hash (Node 20.12+): a one-shot digest without a Hash object (about 0.4 µs less per call). */
const oneShotHash = (nodeCrypto as { hash?: (algorithm: string, data: Buffer, outputEncoding: 'buffer') => Buffer }).hash;

/** SHA-256 of `data` (read during the call only). */
function sha256(data: Buffer): Buffer {
  return oneShotHash !== undefined ? oneShotHash('sha256', data, 'buffer') : createHash('sha256').update(data).digest();
}

/** The hash algorithm a signing algorithm uses (for bh= and for key h= checks). */
export function hashOf(algorithm: DkimAlgorithm): 'sha256' | 'sha1' {
  return algorithm === 'rsa-sha1' ? 'sha1' : 'sha256';
}

/** The key type a signing algorithm needs. */
export function keyTypeOf(algorithm: DkimAlgorithm): 'rsa' | 'ed25519' {
  return algorithm === 'ed25519-sha256' ? 'ed25519' : 'rsa';
}

/** Signs the header hash input. Throws only for keys that do not fit the algorithm (a programmer error). */
export function signHeaderData(algorithm: DkimAlgorithm, data: Buffer, key: KeyObject): Buffer {
  if (algorithm === 'ed25519-sha256') return cryptoSign(null, sha256(data), key);
  return cryptoSign(hashOf(algorithm), data, key);
}

/** Checks a signature over the header hash input; false for any mismatch or unusable signature bytes. */
export function verifyHeaderData(algorithm: DkimAlgorithm, data: Buffer, key: KeyObject, signature: Buffer): boolean {
  try {
    // ed25519Verify refuses a signature that is not 64 octets.
    if (algorithm === 'ed25519-sha256') return ed25519Verify(sha256(data), signature, key);
    return cryptoVerify(hashOf(algorithm), data, key, signature);
  } catch {
    return false;
  }
}
