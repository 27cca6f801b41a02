// TLSA records: which are usable (RFC 6698 §2.1, RFC 7671 §5.4, RFC 7672 §3.1), the digest-algorithm agility
// rule (RFC 7671 §9) and the presentation format "3 1 1 <hex>" (RFC 6698 §2.2). Never throws on hostile data.

import { X509Certificate, createPublicKey } from 'node:crypto';
import { TLSA_MATCHING, TLSA_SELECTOR, TLSA_USAGE, type TlsaRecord, type TlsaUnusable } from './types.js';

/** Octets in a SHA-256 / SHA-512 digest (RFC 6698 §2.1.3): other lengths make the record malformed. */
export const DIGEST_LENGTH: Readonly<Record<number, number>> = { [TLSA_MATCHING.SHA256]: 32, [TLSA_MATCHING.SHA512]: 64 };

/**
 * Full(0) association data larger than this is refused: a certificate or key that big is hostile, and
 * parsing it for every connection would cost. 16 KiB holds any real certificate.
 */
export const MAX_FULL_DATA = 16 * 1024;

/** Which usages a caller accepts: SMTP takes DANE-TA(2) and DANE-EE(3) only (RFC 7672 §3.1.3). */
export type TlsaProfile = 'smtp' | 'generic';

/**
 * Splits a TLSA RRset into usable records and unusable ones with a reason each (RFC 7672 §2.2: a record
 * with an unknown parameter or malformed data is "unusable"; RFC 7672 §3.1.3: PKIX usages are unusable
 * for SMTP). Then applies digest agility (RFC 7671 §9). Never throws.
 */
export function classifyTlsa(
  records: readonly TlsaRecord[],
  profile: TlsaProfile,
): { usable: TlsaRecord[]; unusable: TlsaUnusable[] } {
  const usable: TlsaRecord[] = [];
  const unusable: TlsaUnusable[] = [];
  for (const record of records) {
    const problem = checkTlsaRecord(record, profile);
    if (problem === undefined) usable.push(record);
    else unusable.push({ record, ...problem });
  }
  return { usable: applyDigestAgility(usable), unusable };
}

/** The reason one record is unusable under `profile`, or undefined when it is usable. */
export function checkTlsaRecord(record: TlsaRecord, profile: TlsaProfile): Omit<TlsaUnusable, 'record'> | undefined {
  const { usage, selector, matchingType, data } = record;
  if (!Number.isInteger(usage) || usage < 0 || usage > 3) {
    return { code: 'unknown-usage', message: `usage ${usage} is not 0–3 (RFC 6698 §2.1.1)` };
  }
  if (profile === 'smtp' && (usage === TLSA_USAGE.PKIX_TA || usage === TLSA_USAGE.PKIX_EE)) {
    return { code: 'pkix-usage-in-smtp', message: `usage ${usage} (PKIX) is unusable for SMTP (RFC 7672 §3.1.3)` };
  }
  if (selector !== TLSA_SELECTOR.CERT && selector !== TLSA_SELECTOR.SPKI) {
    return { code: 'unknown-selector', message: `selector ${selector} is not 0 or 1 (RFC 6698 §2.1.2)` };
  }
  if (matchingType !== TLSA_MATCHING.FULL && matchingType !== TLSA_MATCHING.SHA256 && matchingType !== TLSA_MATCHING.SHA512) {
    return { code: 'unknown-matching-type', message: `matching type ${matchingType} is not 0–2 (RFC 6698 §2.1.3)` };
  }
  if (data.length === 0) return { code: 'empty-data', message: 'the record has no association data' };
  const digestLength = DIGEST_LENGTH[matchingType];
  if (digestLength !== undefined) {
    if (data.length !== digestLength) {
      return {
        code: 'bad-digest-length',
        message: `matching type ${matchingType} needs ${digestLength} octets of digest, got ${data.length} (RFC 7671 §5.4)`,
      };
    }
    return undefined;
  }
  if (data.length > MAX_FULL_DATA || !fullDataParses(selector, data)) {
    const what = selector === TLSA_SELECTOR.CERT ? 'a DER certificate' : 'a DER SubjectPublicKeyInfo';
    return { code: 'bad-full-data', message: `Full(0) data is not ${what}` };
  }
  return undefined;
}

function fullDataParses(selector: number, data: Uint8Array): boolean {
  try {
    if (selector === TLSA_SELECTOR.CERT) new X509Certificate(data);
    else createPublicKey({ key: Buffer.from(data), format: 'der', type: 'spki' });
    return true;
  } catch {
    return false;
  }
}

/** Digest preference (RFC 7671 §9): higher is stronger. Full(0) is not a digest and is never dropped. */
const DIGEST_RANK: Readonly<Record<number, number>> = { [TLSA_MATCHING.SHA256]: 1, [TLSA_MATCHING.SHA512]: 2 };

/**
 * RFC 7671 §9: among records with the same usage and selector, a client ignores digest records whose
 * algorithm is weaker than the strongest one it supports that is present, so that a server operator can
 * retire a weak digest without a window of attack. Full(0) records are kept.
 */
export function applyDigestAgility(records: readonly TlsaRecord[]): TlsaRecord[] {
  const best = new Map<string, number>();
  for (const r of records) {
    const rank = DIGEST_RANK[r.matchingType];
    if (rank === undefined) continue;
    const key = `${r.usage}/${r.selector}`;
    best.set(key, Math.max(best.get(key) ?? 0, rank));
  }
  return records.filter((r) => {
    const rank = DIGEST_RANK[r.matchingType];
    return rank === undefined || rank === best.get(`${r.usage}/${r.selector}`);
  });
}

export type TlsaParseResult = { ok: true; value: TlsaRecord } | { ok: false; error: { message: string; offset: number } };

const PRESENTATION = /^\s*(\d{1,3})\s+(\d{1,3})\s+(\d{1,3})\s+([0-9A-Fa-f\s]*?)\s*$/;

/**
 * Parses TLSA presentation text, `<usage> <selector> <matching-type> <hex>` (RFC 6698 §2.2; the hex may
 * hold spaces). Values are checked to fit an octet, not for usability (see checkTlsaRecord). Never throws.
 */
export function parseTlsaText(text: string): TlsaParseResult {
  const m = PRESENTATION.exec(text);
  if (m === null) {
    return { ok: false, error: { message: 'expected "<usage> <selector> <matching-type> <hex data>"', offset: 0 } };
  }
  const [usage, selector, matchingType] = [m[1], m[2], m[3]].map(Number) as [number, number, number];
  for (const [value, name] of [[usage, 'usage'], [selector, 'selector'], [matchingType, 'matching type']] as const) {
    if (value > 255) return { ok: false, error: { message: `${name} ${value} does not fit in an octet`, offset: 0 } };
  }
  const hex = (m[4] ?? '').replace(/\s+/g, '');
  if (hex.length === 0 || hex.length % 2 !== 0) {
    return { ok: false, error: { message: 'association data must be a non-empty even number of hex digits', offset: text.indexOf(m[4] ?? '') } };
  }
  return { ok: true, value: { usage, selector, matchingType, data: Uint8Array.from(Buffer.from(hex, 'hex')) } };
}

/** Formats a record in presentation form, upper-case hex (RFC 6698 §2.2). */
export function formatTlsa(record: TlsaRecord): string {
  return `${record.usage} ${record.selector} ${record.matchingType} ${Buffer.from(record.data).toString('hex').toUpperCase()}`;
}
