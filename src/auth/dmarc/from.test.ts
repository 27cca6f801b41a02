import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeEncodedWords, extractFromDomain } from './from.js';

function domains(value: string): string[] {
  const r = extractFromDomain([value]);
  assert.ok(r.ok, r.ok ? '' : `${r.error.code}: ${r.error.message}`);
  return r.domains;
}

function errorCode(values: string[]): string {
  const r = extractFromDomain(values);
  assert.ok(!r.ok, 'expected an error');
  return r.error.code;
}

void test('plain, named, quoted and commented mailboxes', () => {
  assert.deepEqual(domains('user@Example.COM'), ['example.com']);
  assert.deepEqual(domains(' Test User <test@example.com>'), ['example.com']);
  assert.deepEqual(domains('"Test, User" <test@example.com>'), ['example.com']);
  assert.deepEqual(domains('test@example.com (Test <x@evil.example>)'), ['example.com']);
  assert.deepEqual(domains('"quoted@local"@example.com'), ['example.com']);
  assert.deepEqual(domains('<@relay.example,@b.example:user@example.com>'), ['example.com']);
  assert.deepEqual(domains('user@example.com.'), ['example.com']);
  assert.deepEqual(domains('Test\r\n User\r\n <test@example.com>'), ['example.com']);
});

void test('several authors: distinct domains in order, same domain once', () => {
  assert.deepEqual(domains('Bad User <spoof@example.org>,Test User <test@example.com>'), ['example.org', 'example.com']);
  assert.deepEqual(domains('a@example.com, b@EXAMPLE.com'), ['example.com']);
  const r = extractFromDomain(['a@example.com, b@example.com']);
  assert.ok(r.ok && r.addresses.length === 2);
});

void test('group syntax (RFC 6854)', () => {
  assert.deepEqual(domains('Team: a@example.com, b@example.net;'), ['example.com', 'example.net']);
  assert.equal(errorCode(['undisclosed-recipients:;']), 'no-author-domain');
});

void test('From field count: none and several are errors', () => {
  assert.equal(errorCode([]), 'no-from');
  assert.equal(errorCode(['a@example.com', 'b@example.com']), 'multiple-from');
});

void test('no address, address literals, bad IDNs and broken syntax', () => {
  assert.equal(errorCode(['"Test User"']), 'no-author-domain');
  assert.equal(errorCode(['user@[192.0.2.1]']), 'invalid-author-domain');
  assert.equal(errorCode(['user@192.0.2.1']), 'invalid-author-domain');
  assert.equal(errorCode(['user@xn--zz.example']), 'invalid-author-domain');
  assert.equal(errorCode(['"unterminated <a@example.com>']), 'no-author-domain');
  assert.equal(errorCode(['A <a@example.com> <b@evil.example>']), 'no-author-domain');
  assert.equal(errorCode(['<a@example.com']), 'no-author-domain');
  assert.equal(errorCode(['user@exa mple.com']), 'invalid-author-domain');
});

void test('IDN and UTF-8 domains become A-labels', () => {
  assert.deepEqual(domains('user@Bücher.example'), ['xn--bcher-kva.example']);
  assert.deepEqual(domains('пользователь@пример.рф'), ['xn--e1afmkfd.xn--p1ai']);
  assert.deepEqual(domains('user@xn--e1afmkfd.xn--p1ai'), ['xn--e1afmkfd.xn--p1ai']);
});

void test('encoded words never supply the address; address-like display names are flagged', () => {
  const r = extractFromDomain(['=?utf-8?q?ceo=40bank=2Eexample?= <x@evil.example>']);
  assert.ok(r.ok);
  assert.deepEqual(r.domains, ['evil.example']);
  assert.ok(r.warnings.some((w) => w.includes('bank.example') && w.includes('evil.example')));
  const b64 = extractFromDomain(['=?UTF-8?B?Y2VvQGJhbmsuZXhhbXBsZQ==?= <x@evil.example>']);
  assert.ok(b64.ok && b64.warnings.some((w) => w.includes('bank.example')));
  // An encoded word where the domain should be is not a domain.
  assert.equal(errorCode(['x@=?utf-8?q?bank.example?=']), 'invalid-author-domain');
  assert.equal(decodeEncodedWords('=?iso-8859-1?q?J=F6rg?='), 'Jörg');
  assert.equal(decodeEncodedWords('=?bogus-charset?q?x?='), '=?bogus-charset?q?x?=');
});
