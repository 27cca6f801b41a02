import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDigestAgility, checkTlsaRecord, classifyTlsa, formatTlsa, parseTlsaText } from './tlsa.js';
import type { TlsaRecord } from './types.js';

const rec = (usage: number, selector: number, matchingType: number, bytes: number, fill = 0xab): TlsaRecord => ({
  usage,
  selector,
  matchingType,
  data: new Uint8Array(bytes).fill(fill),
});

test('SHA-256 and SHA-512 records need 32 and 64 octets (RFC 7671 §5.4)', () => {
  assert.equal(checkTlsaRecord(rec(3, 1, 1, 32), 'smtp'), undefined);
  assert.equal(checkTlsaRecord(rec(3, 1, 2, 64), 'smtp'), undefined);
  assert.equal(checkTlsaRecord(rec(3, 1, 1, 31), 'smtp')?.code, 'bad-digest-length');
  assert.equal(checkTlsaRecord(rec(3, 1, 1, 64), 'smtp')?.code, 'bad-digest-length');
  assert.equal(checkTlsaRecord(rec(2, 0, 2, 32), 'smtp')?.code, 'bad-digest-length');
  assert.equal(checkTlsaRecord(rec(3, 1, 1, 0), 'smtp')?.code, 'empty-data');
});

test('unknown parameters and PKIX usages in SMTP are unusable (RFC 7672 §3.1.3)', () => {
  assert.equal(checkTlsaRecord(rec(4, 1, 1, 32), 'smtp')?.code, 'unknown-usage');
  assert.equal(checkTlsaRecord(rec(255, 1, 1, 32), 'generic')?.code, 'unknown-usage');
  assert.equal(checkTlsaRecord(rec(3, 2, 1, 32), 'smtp')?.code, 'unknown-selector');
  assert.equal(checkTlsaRecord(rec(3, 1, 3, 32), 'smtp')?.code, 'unknown-matching-type');
  assert.equal(checkTlsaRecord(rec(0, 1, 1, 32), 'smtp')?.code, 'pkix-usage-in-smtp');
  assert.equal(checkTlsaRecord(rec(1, 1, 1, 32), 'smtp')?.code, 'pkix-usage-in-smtp');
  assert.equal(checkTlsaRecord(rec(1, 1, 1, 32), 'generic'), undefined);
});

test('Full(0) data must be a certificate (selector 0) or an SPKI (selector 1)', () => {
  assert.equal(checkTlsaRecord(rec(3, 0, 0, 100), 'smtp')?.code, 'bad-full-data');
  assert.equal(checkTlsaRecord(rec(3, 1, 0, 100), 'smtp')?.code, 'bad-full-data');
  assert.equal(checkTlsaRecord(rec(2, 0, 0, 20_000), 'smtp')?.code, 'bad-full-data');
});

test('classifyTlsa splits usable from unusable, keeping the reason', () => {
  const { usable, unusable } = classifyTlsa([rec(3, 1, 1, 32), rec(1, 1, 1, 32), rec(3, 1, 1, 5)], 'smtp');
  assert.equal(usable.length, 1);
  assert.deepEqual(unusable.map((u) => u.code), ['pkix-usage-in-smtp', 'bad-digest-length']);
});

test('digest agility keeps only the strongest digest per usage and selector (RFC 7671 §9)', () => {
  const kept = applyDigestAgility([rec(3, 1, 1, 32), rec(3, 1, 2, 64), rec(3, 0, 1, 32), rec(2, 1, 1, 32), rec(3, 1, 0, 10)]);
  assert.deepEqual(
    kept.map((r) => `${r.usage}${r.selector}${r.matchingType}`),
    ['312', '301', '211', '310'],
  );
});

test('parseTlsaText reads presentation form and refuses garbage without throwing', () => {
  const parsed = parseTlsaText('3 1 1 0A0b 0c');
  assert.ok(parsed.ok);
  assert.deepEqual([...parsed.value.data], [10, 11, 12]);
  assert.equal(formatTlsa(parsed.value), '3 1 1 0A0B0C');
  for (const bad of ['', '3 1 1', '3 1 1 abc', '3 1 1 zz', '256 1 1 00', 'x 1 1 00', '3 1 1 00 junk']) {
    assert.equal(parseTlsaText(bad).ok, false, bad);
  }
});
