import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDkimSignature } from './signature.js';

const BASE = 'v=1; a=rsa-sha256; d=example.com; s=sel; h=from:to; bh=AAAA; b=AAAA';

function reason(value: string): string | undefined {
  const result = parseDkimSignature(value);
  return result.ok ? undefined : result.error.reason;
}

test('a minimal signature parses with defaults', () => {
  const result = parseDkimSignature(BASE);
  assert.ok(result.ok);
  assert.equal(result.value.algorithm, 'rsa-sha256');
  assert.deepEqual(result.value.canonicalization, { header: 'simple', body: 'simple' });
  assert.equal(result.value.identityDomain, 'example.com');
  assert.deepEqual(result.value.headerFields, ['from', 'to']);
});

test('optional tags: c with only a header part, i in a subdomain, l, t, x, q', () => {
  const result = parseDkimSignature(`${BASE}; c=relaxed; i=user@mail.Example.com; l=10; t=100; x=200; q=dns/txt`);
  assert.ok(result.ok);
  assert.deepEqual(result.value.canonicalization, { header: 'relaxed', body: 'simple' });
  assert.equal(result.value.identityDomain, 'mail.example.com');
  assert.equal(result.value.bodyLength, 10);
  assert.equal(result.value.timestamp, 100);
  assert.equal(result.value.expiration, 200);
});

test('each broken part gets its reason code', () => {
  assert.equal(reason('v=1; a=rsa-sha256'), 'signature-missing-tag');
  assert.equal(reason(BASE.replace('v=1', 'v=2')), 'signature-version');
  assert.equal(reason(BASE.replace('rsa-sha256', 'rsa-md5')), 'algorithm-unknown');
  assert.equal(reason(`${BASE}; c=fancy/simple`), 'canonicalization-unknown');
  assert.equal(reason(`${BASE}; q=http/well-known`), 'query-method-unknown');
  assert.equal(reason(BASE.replace('h=from:to', 'h=to:subject')), 'from-not-signed');
  assert.equal(reason(`${BASE}; i=user@example.org`), 'identity-mismatch');
  assert.equal(reason(`${BASE}; i=user@badexample.com`), 'identity-mismatch');
  assert.equal(reason(`${BASE}; t=200; x=100`), 'timestamps-inconsistent');
  assert.equal(reason(`${BASE}; l=ten`), 'signature-bad-tag');
  assert.equal(reason(BASE.replace('b=AAAA', 'b=!!!')), 'signature-bad-tag');
  assert.equal(reason(BASE.replace('d=example.com', 'd=exa mple..com')), 'signature-bad-tag');
  assert.equal(reason(BASE.replace('h=from:to', 'h=from::to')), 'signature-bad-tag');
  assert.equal(reason(`${BASE}; v=1`), 'signature-syntax');
});

test('t= and x= with more than 12 digits are infinite (RFC 6376 §3.5)', () => {
  const result = parseDkimSignature(`${BASE}; t=1; x=99999999999999999999`);
  assert.ok(result.ok);
  assert.equal(result.value.expiration, Infinity);
});

test('a broken signature still reports what it said, for the result', () => {
  const result = parseDkimSignature('v=1; a=rsa-sha256; d=Example.COM; s=sel; h=to; bh=AAAA; b=AbCdEfGhIj');
  assert.ok(!result.ok);
  assert.equal(result.error.partial.domain, 'example.com');
  assert.equal(result.error.partial.selector, 'sel');
  assert.equal(result.error.partial.signatureBase64, 'AbCdEfGhIj');
});
