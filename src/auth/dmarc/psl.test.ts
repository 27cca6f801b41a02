import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadPublicSuffixList } from './psl.js';

const SMALL = ['// ===BEGIN ICANN DOMAINS===', 'com', 'uk', 'co.uk', '*.ck', '!www.ck', '公司.cn', 'cn', '// ===END ICANN DOMAINS===', '// ===BEGIN PRIVATE DOMAINS===', 'blogspot.com', '// ===END PRIVATE DOMAINS==='].join('\n');

void test('registrable domains: normal, wildcard, exception, IDN and private rules', () => {
  const r = loadPublicSuffixList(SMALL);
  assert.ok(r.ok);
  const psl = r.value;
  assert.equal(psl.registrableDomain('a.b.example.co.uk'), 'example.co.uk');
  assert.equal(psl.registrableDomain('co.uk'), null);
  assert.equal(psl.registrableDomain('x.test.ck'), 'x.test.ck');
  assert.equal(psl.registrableDomain('test.ck'), null);
  assert.equal(psl.registrableDomain('a.www.ck'), 'www.ck');
  assert.equal(psl.registrableDomain('www.食狮.公司.cn'), '食狮.公司.cn');
  assert.equal(psl.registrableDomain('www.xn--85x722f.xn--55qx5d.cn'), 'xn--85x722f.xn--55qx5d.cn');
  assert.equal(psl.registrableDomain('me.blogspot.com'), 'me.blogspot.com');
  assert.equal(psl.publicSuffix('me.blogspot.com'), 'blogspot.com');
  assert.equal(psl.registrableDomain('example.unlisted'), 'example.unlisted');
  assert.equal(psl.registrableDomain('.example.com'), null);
  assert.equal(psl.registrableDomain(''), null);
  assert.equal(psl.registrableDomain(null), null);
});

void test('private rules can be left out', () => {
  const r = loadPublicSuffixList(SMALL, { includePrivate: false });
  assert.ok(r.ok);
  assert.equal(r.value.registrableDomain('me.blogspot.com'), 'blogspot.com');
  assert.equal(r.value.privateRuleCount, 1);
});

void test('bad lists are refused with a reason and a line', () => {
  const empty = loadPublicSuffixList('   ');
  assert.ok(!empty.ok && empty.error.code === 'empty');
  const noIcann = loadPublicSuffixList('com\nnet\n');
  assert.ok(!noIcann.ok && noIcann.error.code === 'no-icann-section');
  const bad = loadPublicSuffixList('// ===BEGIN ICANN DOMAINS===\ncom\nex?ample\n');
  assert.ok(!bad.ok && bad.error.code === 'bad-rule' && bad.error.line === 3);
  const short = loadPublicSuffixList(SMALL, { requireComplete: true });
  assert.ok(!short.ok && short.error.code === 'too-few-rules');
});
