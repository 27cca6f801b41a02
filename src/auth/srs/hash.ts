// The SRS cryptographic pieces, as libsrs2/PostSRSd and Mail::SRS compute them: the HMAC-SHA1 hash over
// ASCII-lower-cased fields and the two-character base32 day stamp.

import { createHmac, timingSafeEqual } from 'node:crypto';

/** Timestamps count days (libsrs2 SRS_TIME_PRECISION). */
export const SECONDS_PER_DAY = 86_400;
/** Two base32 characters hold 10 bits: stamps wrap every 1024 days (SRS_TIME_SLOTS). */
export const TIMESTAMP_SLOTS = 1024;
export const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** Lower-cases ASCII letters only, as C tolower() and Perl lc on bytes do; other characters stay. */
export function asciiLower(text: string): string {
  return text.replace(/[A-Z]+/g, (s) => s.toLowerCase());
}

/**
 * The full base64url HMAC-SHA1 of the lower-cased fields, concatenated (libsrs2 srs_hash_create,
 * Mail::SRS hash_create). Callers cut it to the hash length.
 */
export function srsHmac(secret: string | Uint8Array, fields: readonly string[]): string {
  const hmac = createHmac('sha1', secret);
  for (const field of fields) hmac.update(asciiLower(field), 'utf8');
  return hmac.digest('base64url');
}

/** Maps a hash to one comparable form: base64 and base64url alphabets folded together, case folded. */
export function normalizeHash(hash: string): string {
  return hash.replace(/\+/g, '-').replace(/\//g, '_').toLowerCase();
}

/** Case-insensitive, alphabet-insensitive hash comparison of equal-length strings, in constant time. */
export function hashesEqual(given: string, computedPrefix: string): boolean {
  const a = Buffer.from(normalizeHash(given), 'utf8');
  const b = Buffer.from(normalizeHash(computedPrefix), 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The day stamp for a time in Unix ms: floor(days) mod 1024, as two base32 characters. */
export function timestampFor(nowMs: number): string {
  const day = Math.floor(nowMs / 1000 / SECONDS_PER_DAY) % TIMESTAMP_SLOTS;
  return `${BASE32_ALPHABET[(day >> 5) & 31]}${BASE32_ALPHABET[day & 31]}`;
}

/** Decodes a stamp to its day slot (0..1023), or null when it is not two base32 characters (any case). */
export function decodeTimestamp(stamp: string): number | null {
  if (stamp.length !== 2) return null;
  let value = 0;
  for (const char of stamp.toUpperCase()) {
    const index = BASE32_ALPHABET.indexOf(char);
    if (index < 0) return null;
    value = (value << 5) | index;
  }
  return value;
}

/**
 * Age in days of a stamp's slot at `nowMs`, counting forward through the 1024-day cycle: a slot "in the
 * future" is almost 1024 days old (libsrs2 srs_timestamp_check, Mail::SRS timestamp_check).
 */
export function timestampAgeDays(slot: number, nowMs: number): number {
  const today = Math.floor(nowMs / 1000 / SECONDS_PER_DAY) % TIMESTAMP_SLOTS;
  return (today - slot + TIMESTAMP_SLOTS) % TIMESTAMP_SLOTS;
}
