// Ed25519 verification for ed25519-sha256 (RFC 8463). Node's crypto.verify goes to OpenSSL 3.0, whose
// Ed25519 uses 32-bit field arithmetic: about 85 µs per verification on the 2-core bench machine, most of a
// DKIM verification. libsodium (through the optional `sodium-native` package, prebuilt, no compiler needed)
// takes about 37 µs for the same check, so it is used when it loads; otherwise node:crypto does the work.
//
// The two agree on every signature a real signer makes. libsodium is stricter on crafted input: it also
// rejects public keys and R values of small order and non-canonical encodings, which RFC 8032 leaves open;
// no honest key or signature is one of those (test/contracts/ed25519-backends.test.ts shows both).
//
// MAILFLOW_ED25519=node in the environment keeps node:crypto (say, to rule libsodium out while debugging).

import { createRequire } from 'node:module';
import { verify as cryptoVerify, type KeyObject } from 'node:crypto';

export type Ed25519Backend = 'libsodium' | 'node:crypto';

/** The one libsodium call used here (sodium-native's binding; it throws on wrong lengths). */
interface Sodium {
  crypto_sign_verify_detached(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
}

function loadSodium(): Sodium | undefined {
  if (process.env['MAILFLOW_ED25519'] === 'node') return undefined;
  try {
    const sodium = createRequire(import.meta.url)('sodium-native') as Partial<Sodium>;
    return typeof sodium.crypto_sign_verify_detached === 'function' ? (sodium as Sodium) : undefined;
  } catch {
    // Not installed (an optional dependency) or no prebuilt binary for this platform.
    return undefined;
  }
}

const sodium = loadSodium();

/** Which implementation ed25519Verify uses in this process. */
export const ed25519Backend: Ed25519Backend = sodium === undefined ? 'node:crypto' : 'libsodium';

/** Whether libsodium loaded (tests of the libsodium path skip without it). */
export function hasLibsodium(): boolean {
  return sodium !== undefined;
}

/**
 * The y-coordinates (little-endian, sign bit clear) of Ed25519's points of small order, as they may be
 * encoded: 0 (order 4), 1 (order 1), p-1 (order 2), the two of order 8, and p and p+1 (non-canonical 0
 * and 1). Such a "public key" makes [k]A vanish for some k, so it verifies forgeries: OpenSSL accepts R =
 * identity, S = 0 with the identity key for any message. libsodium refuses these keys; the DKIM key loader
 * refuses them for every backend.
 */
const SMALL_ORDER_Y = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
].map((hex) => Buffer.from(hex, 'hex'));

/** Whether 32 raw octets encode a point of small order (whatever the x sign bit). */
export function isSmallOrderEd25519Key(raw: Buffer): boolean {
  if (raw.length !== 32) return false;
  return SMALL_ORDER_Y.some((y) => {
    for (let i = 0; i < 31; i++) if (raw[i] !== y[i]) return false;
    return ((raw[31] as number) & 0x7f) === y[31];
  });
}

/** SubjectPublicKeyInfo DER of an Ed25519 key is this 12-octet prefix, then the raw 32-octet key (RFC 8410). */
const SPKI_PREFIX_LENGTH = 12;
const RAW_KEY_LENGTH = 32;
/** Raw key bytes by KeyObject, so libsodium gets them without an export per verification. */
const rawKeys = new WeakMap<KeyObject, Buffer>();

/** Records the raw 32 octets of an Ed25519 KeyObject (the DKIM key loader has them at hand). */
export function rememberRawEd25519Key(key: KeyObject, raw: Buffer): void {
  if (raw.length === RAW_KEY_LENGTH) rawKeys.set(key, raw);
}

function rawKeyOf(key: KeyObject): Buffer | undefined {
  let raw = rawKeys.get(key);
  if (raw === undefined) {
    if (key.type !== 'public' || key.asymmetricKeyType !== 'ed25519') return undefined;
    raw = (key.export({ format: 'der', type: 'spki' }) as Buffer).subarray(SPKI_PREFIX_LENGTH);
    rememberRawEd25519Key(key, raw);
  }
  return raw;
}

/**
 * Verifies a 64-octet Ed25519 signature over `message` (for DKIM, the SHA-256 of the header hash input).
 * False for any mismatch or unusable key or signature; never throws.
 */
export function ed25519Verify(message: Buffer, signature: Buffer, key: KeyObject, backend: Ed25519Backend = ed25519Backend): boolean {
  if (signature.length !== 64) return false;
  try {
    if (backend === 'libsodium' && sodium !== undefined) {
      const raw = rawKeyOf(key);
      if (raw !== undefined) return sodium.crypto_sign_verify_detached(signature, message, raw);
    }
    return cryptoVerify(null, message, key, signature);
  } catch {
    return false;
  }
}
