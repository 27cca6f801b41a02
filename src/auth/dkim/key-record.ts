// DKIM key records (RFC 6376 §3.6.1, RFC 8463 §4) and the public keys they carry. Turning p= into a
// KeyObject (crypto.createPublicKey) is the slow step of a verification, so loaded keys are cached by
// record text: the same text always gives the same key.

import { createPublicKey, type KeyObject } from 'node:crypto';
import { parseTagList, splitColonList, stripWhitespace } from './tag-list.js';
import { isSmallOrderEd25519Key, rememberRawEd25519Key } from './ed25519.js';

export type DkimKeyType = 'rsa' | 'ed25519';

export interface DkimKeyRecord {
  keyType: DkimKeyType;
  /** h=: hash algorithms the key may be used with (lower case); undefined means any. */
  hashAlgorithms?: string[];
  /** p= decoded: SubjectPublicKeyInfo DER (RSA) or the raw 32-octet key (Ed25519). Empty when revoked. */
  publicKeyData: Buffer;
  /** p= is empty: the key has been revoked. */
  revoked: boolean;
  /** s=: service types (lower case); default `*`. */
  serviceTypes: string[];
  /** t=y: the domain is testing DKIM. */
  testing: boolean;
  /** t=s: i= must not be a subdomain of d=. */
  strictIdentity: boolean;
  /** n=, when present. */
  notes?: string;
}

export type KeyRecordErrorCode = 'key-syntax' | 'key-version' | 'key-type-unknown' | 'key-missing-p' | 'key-bad-base64';

export type KeyRecordResult =
  | { ok: true; value: DkimKeyRecord }
  | { ok: false; error: { code: KeyRecordErrorCode; message: string; offset?: number } };

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Parses the text of a key record (the TXT character-strings joined without separator). Never throws. */
export function parseDkimKeyRecord(text: string): KeyRecordResult {
  const parsed = parseTagList(text);
  if (!parsed.ok) {
    return { ok: false, error: { code: 'key-syntax', message: `the key record is malformed: ${parsed.error.message}`, offset: parsed.error.offset } };
  }
  const tags = parsed.value;
  const get = (name: string): string | undefined => tags.byName.get(name)?.value;
  const v = tags.byName.get('v');
  if (v !== undefined) {
    // v= is optional but, when present, must be first and exactly DKIM1 (RFC 6376 §3.6.1).
    if (v.value !== 'DKIM1') return fail('key-version', `v=${v.value} is not DKIM1`);
    if (tags.tags[0] !== v) return fail('key-version', 'v= must be the first tag of a key record');
  }
  const k = (get('k') ?? 'rsa').toLowerCase();
  if (k !== 'rsa' && k !== 'ed25519') return fail('key-type-unknown', `k=${get('k')} is not a known key type (rsa, ed25519)`);
  const p = get('p');
  if (p === undefined) return fail('key-missing-p', 'the key record has no p= tag');
  const base64 = stripWhitespace(p);
  if (!BASE64.test(base64)) return fail('key-bad-base64', 'p= is not base64');
  const record: DkimKeyRecord = {
    keyType: k,
    publicKeyData: Buffer.from(base64, 'base64'),
    revoked: base64.length === 0,
    serviceTypes: splitColonList(get('s') ?? '*').map((s) => s.toLowerCase()),
    testing: false,
    strictIdentity: false,
  };
  const h = get('h');
  if (h !== undefined) record.hashAlgorithms = splitColonList(h).map((a) => a.toLowerCase());
  const flags = splitColonList(get('t') ?? '').map((f) => f.toLowerCase());
  record.testing = flags.includes('y');
  record.strictIdentity = flags.includes('s');
  const n = get('n');
  if (n !== undefined) record.notes = n;
  return { ok: true, value: record };
}

function fail(code: KeyRecordErrorCode, message: string): KeyRecordResult {
  return { ok: false, error: { code, message } };
}

/** A usable public key, or why p= is not one. */
export type PublicKeyResult = { ok: true; key: KeyObject; bits: number } | { ok: false; message: string };

/** DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): the raw 32-octet key follows. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** Builds the KeyObject for a record's p= (not cached; see DkimKeyCache). */
export function loadPublicKey(record: DkimKeyRecord): PublicKeyResult {
  if (record.revoked) return { ok: false, message: 'the key is revoked (empty p=)' };
  try {
    if (record.keyType === 'ed25519') {
      if (record.publicKeyData.length !== 32) {
        return { ok: false, message: `an Ed25519 p= must be the raw 32-octet key (RFC 8463 §4), got ${record.publicKeyData.length} octets` };
      }
      if (isSmallOrderEd25519Key(record.publicKeyData)) {
        return { ok: false, message: 'p= is an Ed25519 point of small order, which would verify forged signatures' };
      }
      const key = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, record.publicKeyData]), format: 'der', type: 'spki' });
      rememberRawEd25519Key(key, record.publicKeyData);
      return { ok: true, key, bits: 256 };
    }
    let key: KeyObject;
    try {
      key = createPublicKey({ key: record.publicKeyData, format: 'der', type: 'spki' });
    } catch {
      // Some publish the bare RSAPublicKey (PKCS#1) instead of SubjectPublicKeyInfo: accept it too.
      key = createPublicKey({ key: record.publicKeyData, format: 'der', type: 'pkcs1' });
    }
    if (key.asymmetricKeyType !== 'rsa') return { ok: false, message: `p= holds a ${key.asymmetricKeyType ?? 'unknown'} key, not RSA` };
    return { ok: true, key, bits: key.asymmetricKeyDetails?.modulusLength ?? 0 };
  } catch (error) {
    return { ok: false, message: `p= is not a valid ${record.keyType === 'rsa' ? 'RSA' : 'Ed25519'} public key (${(error as Error).message})` };
  }
}

/** A key record parsed and its key loaded, as the cache keeps it. */
export type LoadedKey =
  | { ok: true; record: DkimKeyRecord; key: KeyObject; bits: number }
  | { ok: false; record?: DkimKeyRecord; code: KeyRecordErrorCode | 'key-revoked' | 'key-invalid'; message: string };

/** How many key records the cache keeps. Keys are small; this bounds memory under a flood of selectors. */
export const MAX_KEY_CACHE_ENTRIES = 1000;
/** Longer record texts are not cached (an 8192-bit RSA record is about 1,450 characters). */
const MAX_CACHED_RECORD_CHARS = 8192;

/**
 * A least-recently-used cache of loaded keys by record text. Record text determines the key completely, so
 * sharing one cache between messages (and domains) is safe; the TTL of DNS answers is the resolver's job.
 */
export class DkimKeyCache {
  private readonly entries = new Map<string, LoadedKey>();
  /** The key most recently inserted or moved to the end of `entries`. */
  private newest: string | undefined;

  constructor(private readonly capacity = MAX_KEY_CACHE_ENTRIES) {}

  /** Parses and loads the key for `text`, or returns the cached result. */
  load(text: string): LoadedKey {
    const cached = this.entries.get(text);
    if (cached !== undefined) {
      // LRU touch: move the entry to the end, unless it is already the newest (the common repeat hit).
      if (text !== this.newest) {
        this.entries.delete(text);
        this.entries.set(text, cached);
        this.newest = text;
      }
      return cached;
    }
    const loaded = loadKeyText(text);
    if (text.length > MAX_CACHED_RECORD_CHARS) return loaded;
    this.entries.set(text, loaded);
    this.newest = text;
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    return loaded;
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
    this.newest = undefined;
  }
}

function loadKeyText(text: string): LoadedKey {
  const parsed = parseDkimKeyRecord(text);
  if (!parsed.ok) return { ok: false, code: parsed.error.code, message: parsed.error.message };
  const record = parsed.value;
  if (record.revoked) return { ok: false, record, code: 'key-revoked', message: 'the key has been revoked (empty p=)' };
  const key = loadPublicKey(record);
  if (!key.ok) return { ok: false, record, code: 'key-invalid', message: key.message };
  return { ok: true, record, key: key.key, bits: key.bits };
}

/** The cache verifyDkim uses when the caller gives none. */
export const defaultKeyCache = new DkimKeyCache();
