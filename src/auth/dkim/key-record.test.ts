import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { DkimKeyCache, loadPublicKey, parseDkimKeyRecord } from './key-record.js';

const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
const RSA_SPKI = rsa.export({ type: 'spki', format: 'der' }).toString('base64');
const RSA_PKCS1 = rsa.export({ type: 'pkcs1', format: 'der' }).toString('base64');

test('parses tags with defaults: k=rsa, s=*, no flags', () => {
  const result = parseDkimKeyRecord(`p=${RSA_SPKI}`);
  assert.ok(result.ok);
  assert.equal(result.value.keyType, 'rsa');
  assert.deepEqual(result.value.serviceTypes, ['*']);
  assert.equal(result.value.testing, false);
});

test('h=, s=, t=y:s and n= are read; empty p= is a revoked key', () => {
  const result = parseDkimKeyRecord('v=DKIM1; k=ed25519; h=sha256; s=email; t=y:s; n=note; p=');
  assert.ok(result.ok);
  assert.deepEqual(result.value.hashAlgorithms, ['sha256']);
  assert.equal(result.value.testing, true);
  assert.equal(result.value.strictIdentity, true);
  assert.equal(result.value.revoked, true);
});

test('errors: version not first or wrong, unknown k=, missing or bad p=', () => {
  const code = (text: string): string | undefined => {
    const r = parseDkimKeyRecord(text);
    return r.ok ? undefined : r.error.code;
  };
  assert.equal(code('k=rsa; v=DKIM1; p=AAAA'), 'key-version');
  assert.equal(code('v=DKIM1: g=*; p=AAAA'), 'key-version');
  assert.equal(code('k=ed25519-sha256; p=AAAA'), 'key-type-unknown');
  assert.equal(code('v=DKIM1; k=rsa'), 'key-missing-p');
  assert.equal(code('p=not base64!'), 'key-bad-base64');
  assert.equal(code('p=AAAA; p=BBBB'), 'key-syntax');
});

test('RSA keys load from SubjectPublicKeyInfo and from bare PKCS#1; garbage does not', () => {
  for (const p of [RSA_SPKI, RSA_PKCS1]) {
    const record = parseDkimKeyRecord(`p=${p}`);
    assert.ok(record.ok);
    const key = loadPublicKey(record.value);
    assert.ok(key.ok);
    assert.equal(key.bits, 1024);
  }
  const bad = parseDkimKeyRecord('p=AAAAAAAA');
  assert.ok(bad.ok);
  assert.equal(loadPublicKey(bad.value).ok, false);
});

test('Ed25519 keys must be the raw 32 octets (RFC 8463 §4)', () => {
  const good = parseDkimKeyRecord('k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=');
  assert.ok(good.ok);
  assert.ok(loadPublicKey(good.value).ok);
  const spki = parseDkimKeyRecord(`k=ed25519; p=${RSA_SPKI}`);
  assert.ok(spki.ok);
  assert.equal(loadPublicKey(spki.value).ok, false);
});

test('the cache returns the same KeyObject for the same text and evicts the least recently used', () => {
  const cache = new DkimKeyCache(2);
  const a = cache.load(`p=${RSA_SPKI}`);
  const again = cache.load(`p=${RSA_SPKI}`);
  assert.ok(a.ok && again.ok);
  assert.equal(a.key, again.key);
  cache.load('k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=');
  cache.load('p=');
  assert.equal(cache.size, 2);
  const reloaded = cache.load(`p=${RSA_SPKI}`);
  assert.ok(reloaded.ok);
  assert.notEqual(reloaded.key, a.ok ? a.key : undefined, 'evicted, so loaded afresh');
  const revoked = cache.load('p=');
  assert.ok(!revoked.ok && revoked.code === 'key-revoked');
});
