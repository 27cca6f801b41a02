// Key generation and rotation planning for publishers (RFC 6376 §3.6.1, RFC 8463 §4, RFC 8301 §3.2).

import { generateKeyPairSync, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { DkimError } from './types.js';

/** RSA sizes we generate: at least 1024 (RFC 8301), 2048 by default; above 4096 the record gets unwieldy. */
export const DEFAULT_RSA_BITS = 2048;
export const MIN_RSA_BITS = 1024;
export const MAX_RSA_BITS = 4096;
/** A TXT character-string holds at most 255 octets (RFC 1035 §3.3). */
const MAX_CHARACTER_STRING = 255;

export interface GeneratedDkimKey {
  /** PKCS#8 PEM. Keep it secret. */
  privateKeyPem: string;
  /** p=: SubjectPublicKeyInfo DER (RSA) or the raw 32-octet key (Ed25519), base64. */
  publicKeyBase64: string;
  /** `<selector>._domainkey.<domain>` */
  dnsName: string;
  /** The record text: `v=DKIM1; k=rsa; p=...`. */
  txtRecord: string;
  /** txtRecord split into character-strings of at most 255 octets. */
  txtStrings: string[];
  /** A zone-file line: `name. 3600 IN TXT ( "..." "..." )`. */
  zoneLine: string;
}

/**
 * Generates a DKIM key pair and the record to publish. Synchronous (RSA generation takes a moment).
 * Throws DkimError for a bad domain, selector or size.
 */
export function generateDkimKey(options: { type: 'rsa' | 'ed25519'; bits?: number; domain: string; selector: string }): GeneratedDkimKey {
  const { type } = options;
  if (type !== 'rsa' && type !== 'ed25519') throw new DkimError('bad-key-type', `key type must be rsa or ed25519, got '${String(type)}'`);
  checkName(options.domain, 'domain');
  checkName(options.selector, 'selector');
  let privateKey: KeyObject;
  if (type === 'rsa') {
    const bits = options.bits ?? DEFAULT_RSA_BITS;
    if (!Number.isInteger(bits) || bits < MIN_RSA_BITS || bits > MAX_RSA_BITS || bits % 8 !== 0) {
      throw new DkimError('bad-key-size', `RSA keys must be ${MIN_RSA_BITS}..${MAX_RSA_BITS} bits (a multiple of 8), got ${bits}`);
    }
    privateKey = generateKeyPairSync('rsa', { modulusLength: bits }).privateKey;
  } else {
    if (options.bits !== undefined && options.bits !== 256) throw new DkimError('bad-key-size', 'Ed25519 keys are always 256 bits');
    privateKey = generateKeyPairSync('ed25519').privateKey;
  }
  return describeKey(privateKey, options.domain, options.selector);
}

/** The public half of a private key (KeyObject or PEM) as a DKIM record, for keys generated elsewhere. */
export function describeKey(privateKey: KeyObject | string, domain: string, selector: string): GeneratedDkimKey {
  const key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  const type = key.asymmetricKeyType;
  if (type !== 'rsa' && type !== 'ed25519') throw new DkimError('bad-key-type', `a ${type ?? 'unknown'} key cannot be used for DKIM`);
  const publicKeyBase64 = publicKeyData(createPublicKey(key)).toString('base64');
  const dnsName = `${selector}._domainkey.${domain}`.toLowerCase();
  const txtRecord = `v=DKIM1; k=${type}; p=${publicKeyBase64}`;
  const txtStrings = splitCharacterStrings(txtRecord);
  return {
    privateKeyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyBase64,
    dnsName,
    txtRecord,
    txtStrings,
    zoneLine: zoneLine(dnsName, txtStrings),
  };
}

/** p= bytes for a public key: SPKI DER for RSA, the raw key for Ed25519 (the SPKI minus its 12-octet prefix). */
function publicKeyData(key: KeyObject): Buffer {
  const der = key.export({ type: 'spki', format: 'der' });
  return key.asymmetricKeyType === 'ed25519' ? der.subarray(der.length - 32) : der;
}

/** Splits record text into <= 255-octet character-strings (the text is ASCII, so characters are octets). */
export function splitCharacterStrings(text: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += MAX_CHARACTER_STRING) out.push(text.slice(i, i + MAX_CHARACTER_STRING));
  return out.length > 0 ? out : [''];
}

/** A zone-file TXT line for `name`, one quoted character-string per piece. */
export function zoneLine(name: string, strings: string[], ttl = 3600): string {
  const quoted = strings.map((s) => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`);
  return quoted.length === 1 ? `${name}. ${ttl} IN TXT ${quoted[0]}` : `${name}. ${ttl} IN TXT ( ${quoted.join(' ')} )`;
}

function checkName(name: string, what: string): void {
  const ok = name.length > 0 && name.length <= 253 && name.split('.').every((l) => /^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/.test(l));
  if (!ok) throw new DkimError(`bad-${what}`, `'${name}' is not a valid ${what}`);
}

export interface DkimRotationOptions {
  domain: string;
  currentSelector: string;
  newSelector: string;
  /** The new key's record text (from generateDkimKey or describeKey). */
  newTxtRecord: string;
  /** The current key's type, for its revocation record; default rsa. */
  currentKeyType?: 'rsa' | 'ed25519';
  /** TTL of the key records: how long resolvers may cache them. Default 3600. */
  ttlSeconds?: number;
  /** How long mail signed with the old key may still be in transit or re-verified. Default 7 days. */
  retireAfterSeconds?: number;
}

export interface DkimRotationStep {
  step: number;
  action: 'publish-new' | 'switch-signing' | 'revoke-old' | 'remove-old';
  description: string;
  publish: { name: string; txt: string; zoneLine: string }[];
  remove: { name: string }[];
  /** Wait at least this long after the step before the next. */
  waitSeconds: number;
}

export interface DkimRotationPlan {
  domain: string;
  currentSelector: string;
  newSelector: string;
  steps: DkimRotationStep[];
}

/**
 * Plans a two-selector key rotation (RFC 6376 §3.6.1 revocation by empty p=; M3AAWG key rotation practice):
 * publish the new key, wait for caches, switch signing, wait for mail in transit, revoke the old key
 * (empty p=), then remove its record. Throws DkimError when the selectors are the same or invalid.
 */
export function planDkimRotation(options: DkimRotationOptions): DkimRotationPlan {
  const { domain, currentSelector, newSelector } = options;
  checkName(domain, 'domain');
  checkName(currentSelector, 'selector');
  checkName(newSelector, 'selector');
  if (currentSelector.toLowerCase() === newSelector.toLowerCase()) {
    throw new DkimError('same-selector', 'the new selector must differ from the current one: rotation works by switching selectors');
  }
  const ttl = options.ttlSeconds ?? 3600;
  const retire = options.retireAfterSeconds ?? 7 * 86400;
  const newName = `${newSelector}._domainkey.${domain}`.toLowerCase();
  const oldName = `${currentSelector}._domainkey.${domain}`.toLowerCase();
  const revoked = `v=DKIM1; k=${options.currentKeyType ?? 'rsa'}; p=`;
  const record = (name: string, txt: string) => ({ name, txt, zoneLine: zoneLine(name, splitCharacterStrings(txt), ttl) });
  return {
    domain,
    currentSelector,
    newSelector,
    steps: [
      {
        step: 1,
        action: 'publish-new',
        description: `Publish the new key at ${newName}, keep signing with ${currentSelector}. Check it with \`mailflow dkim verify\` on a test message before going on.`,
        publish: [record(newName, options.newTxtRecord)],
        remove: [],
        waitSeconds: 2 * ttl,
      },
      {
        step: 2,
        action: 'switch-signing',
        description: `Sign with selector ${newSelector} and the new private key. Leave ${oldName} published: mail already signed with it is still being delivered.`,
        publish: [],
        remove: [],
        waitSeconds: retire,
      },
      {
        step: 3,
        action: 'revoke-old',
        description: `Revoke the old key: replace ${oldName} with an empty p= so verifiers report it as revoked, then destroy the old private key.`,
        publish: [record(oldName, revoked)],
        remove: [],
        waitSeconds: retire,
      },
      {
        step: 4,
        action: 'remove-old',
        description: `Remove ${oldName}. The selector ${currentSelector} can be reused for the next rotation.`,
        publish: [],
        remove: [{ name: oldName }],
        waitSeconds: 0,
      },
    ],
  };
}
