import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clearSpfParseCache, isSpfRecordText, parseSpfRecord } from './record.js';

function ok(text: string) {
  const r = parseSpfRecord(text);
  assert.ok(r.ok, `${text}: ${r.ok ? '' : r.error.message}`);
  return r.value;
}

function bad(text: string, code: string, offset: number) {
  const r = parseSpfRecord(text);
  assert.equal(r.ok, false, text);
  if (!r.ok) {
    assert.equal(r.error.code, code, `${text}: ${r.error.message}`);
    assert.equal(r.error.offset, offset, `${text}: offset (${r.error.message})`);
  }
}

void test('record selection text', () => {
  assert.equal(isSpfRecordText('v=spf1'), true);
  assert.equal(isSpfRecordText('V=SpF1 -all'), true);
  assert.equal(isSpfRecordText('v=spf10'), false);
  assert.equal(isSpfRecordText('v=spf1mx'), false);
  assert.equal(isSpfRecordText(' v=spf1'), false);
});

void test('mechanisms, qualifiers, dual CIDR and modifiers', () => {
  const r = ok('v=spf1 +a -mx:mail.example.com/24//64 ~ptr ?include:_spf.example.com ip4:192.0.2.0/24 ip6:2001:DB8::/32 exists:%{ir}.bl.example.org a//0 redirect=_spf.example.net exp=why.%{d} x-custom=%{l}  ');
  assert.deepEqual(r.mechanisms.map((m) => `${m.qualifier}${m.kind}`), ['+a', '-mx', '~ptr', '?include', '+ip4', '+ip6', '+exists', '+a']);
  const mx = r.mechanisms[1]!;
  assert.ok(mx.kind === 'mx');
  if (mx.kind === 'mx') {
    assert.equal(mx.cidr4, 24);
    assert.equal(mx.cidr6, 64);
    assert.equal(mx.domain?.literal, 'mail.example.com');
  }
  const a0 = r.mechanisms[7]!;
  if (a0.kind === 'a') assert.deepEqual([a0.cidr4, a0.cidr6, a0.domain], [32, 0, undefined]);
  assert.equal(r.redirect?.value.literal, '_spf.example.net');
  assert.equal(r.exp?.value.literal, undefined);
  assert.equal(r.unknownModifiers[0]?.name, 'x-custom');
  assert.equal(r.dnsTermCount, 7);
  assert.equal(r.mechanisms[4]!.offset, 'v=spf1 +a -mx:mail.example.com/24//64 ~ptr ?include:_spf.example.com '.length);
});

void test('syntax errors carry a code and the offset of the problem', () => {
  bad('v=spf1 -all moo', 'unknown-mechanism', 12);
  bad('v=spf1 ip4:1.2.3.4/33', 'invalid-cidr', 18);
  bad('v=spf1 ip4:1.2.3.4/032', 'invalid-cidr', 18);
  bad('v=spf1 ip4:1.2.3', 'invalid-ip4', 11);
  bad('v=spf1 ip6::CAFE::BABE', 'invalid-ip6', 11);
  bad('v=spf1 a:museum', 'invalid-domain-spec', 9);
  bad('v=spf1 a:abc.123', 'invalid-domain-spec', 9);
  bad('v=spf1 a:example.-com', 'invalid-domain-spec', 9);
  bad('v=spf1 mx:example.com:8080', 'invalid-domain-spec', 10);
  bad('v=spf1 a:', 'invalid-domain-spec', 9);
  bad('v=spf1 a/33', 'invalid-cidr', 8);
  bad('v=spf1 a//129', 'invalid-cidr', 8);
  bad('v=spf1 -all.', 'invalid-mechanism', 11);
  bad('v=spf1 ptr/0', 'invalid-mechanism', 10);
  bad('v=spf1 exists', 'invalid-mechanism', 13);
  bad('v=spf1 redirect:x.example.com', 'unknown-mechanism', 7);
  bad('v=spf1 redirect=a.example.com redirect=b.example.com', 'duplicate-modifier', 30);
  bad('v=spf1 exp=', 'invalid-domain-spec', 11);
  bad('v=spf1 1up=foo', 'invalid-mechanism', 7);
  bad('v=spf1 =all', 'invalid-mechanism', 7);
  bad('v=spf1 foo=%abc', 'invalid-macro', 11);
  bad('v=spf1 exists:%{r}.example.com', 'invalid-macro', 14);
  bad('v=spf1 a:%{a}.example.com', 'invalid-macro', 9);
  bad('v=spf1 a:ctrl.example.com\rptr', 'invalid-character', 25);
  bad('v=spf1 \u0080a', 'non-ascii', 7);
  bad('v=spf1 a:\u00efx.example.net', 'non-ascii', 9);
  bad('spf1 a', 'not-spf', 0);
});

void test('domain-specs per §7.1: macro or toplabel at the end', () => {
  ok('v=spf1 a:foo.example.xn--zckzah');
  ok('v=spf1 a:foo:bar/baz.example.com');
  ok('v=spf1 include:o.spf.example.com.');
  ok('v=spf1 exists:%{ir}.%{v}._spf.%{d2}');
  ok('v=spf1 a:%{H}.bar');
  ok('v=spf1 a:macro%%percent%_%_space%-url-space.example.com');
  ok('v=spf1 moo.cow-far_out=man:dog/cat');
  ok('v=spf1 default=+');
  ok('v=spf1');
});

void test('parse results are cached by text and never throw', () => {
  clearSpfParseCache();
  const a = parseSpfRecord('v=spf1 mx -all');
  assert.equal(parseSpfRecord('v=spf1 mx -all'), a);
  for (const weird of ['', 'v=spf1 ' + '%'.repeat(5000), 'v=spf1 ' + 'a '.repeat(10000), 'v=spf1 ip6:' + ':'.repeat(100), null as unknown as string]) {
    const r = parseSpfRecord(weird);
    assert.equal(typeof r.ok, 'boolean');
  }
});
