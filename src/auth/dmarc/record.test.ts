import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDmarcRecordText, parseDmarcRecord } from './record.js';
import type { DmarcRecord } from './types.js';

function parse(text: string): DmarcRecord {
  const r = parseDmarcRecord(text);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return r.value;
}

void test('parses every RFC 9989 tag', () => {
  const r = parse('v=DMARC1; p=quarantine; sp=reject; np=none; psd=n; t=y; adkim=s; aspf=r; rua=mailto:a@example.com,mailto:b@example.com; ruf=mailto:f@example.com; fo=1:d:s');
  assert.equal(r.p, 'quarantine');
  assert.equal(r.pStatus, 'valid');
  assert.equal(r.sp, 'reject');
  assert.equal(r.np, 'none');
  assert.equal(r.psd, 'n');
  assert.equal(r.testing, true);
  assert.equal(r.adkim, 'strict');
  assert.equal(r.aspf, 'relaxed');
  assert.deepEqual(r.rua.map((u) => u.address), ['a@example.com', 'b@example.com']);
  assert.equal(r.ruf[0]!.scheme, 'mailto');
  assert.deepEqual(r.fo, ['1', 'd', 's']);
  assert.deepEqual(r.issues, []);
});

void test('defaults: relaxed alignment, psd=u, t=n, fo=0', () => {
  const r = parse('v=DMARC1; p=none');
  assert.equal(r.adkim, 'relaxed');
  assert.equal(r.aspf, 'relaxed');
  assert.equal(r.psd, 'u');
  assert.equal(r.testing, false);
  assert.deepEqual(r.fo, ['0']);
});

void test('v must come first, exactly DMARC1 (case-sensitive), WSP around "=" allowed', () => {
  assert.ok(parseDmarcRecord('v = DMARC1; p=reject').ok);
  assert.ok(parseDmarcRecord('V=DMARC1;p=reject').ok, 'tag names are case-insensitive ABNF literals');
  const lower = parseDmarcRecord('v=dmarc1; p=reject');
  assert.ok(!lower.ok && lower.error.code === 'bad-version' && /case-sensitive/.test(lower.error.message));
  const trailing = parseDmarcRecord('v=DMARC1x; p=reject');
  assert.ok(!trailing.ok && trailing.error.code === 'bad-version');
  const notFirst = parseDmarcRecord('p=reject; v=DMARC1');
  assert.ok(!notFirst.ok && notFirst.error.code === 'not-dmarc');
  assert.equal(isDmarcRecordText('v=DMARC1'), true);
  assert.equal(isDmarcRecordText('v=DMARC1 ; p=none'), true);
  assert.equal(isDmarcRecordText('v=spf1 -all'), false);
});

void test('policy values are case-insensitive; other values keep their case', () => {
  const r = parse('v=DMARC1; p=Reject; adkim=S; rua=mailto:DMARC@Example.COM');
  assert.equal(r.p, 'reject');
  assert.equal(r.adkim, 'strict');
  assert.equal(r.rua[0]!.uri, 'mailto:DMARC@Example.COM');
});

void test('a stray word is a syntax issue with offset and a suggested fix; the rest still parses', () => {
  const text = 'v=DMARC1; p=none; reject';
  const r = parse(text);
  assert.equal(r.p, 'none');
  const issue = r.issues.find((i) => i.code === 'syntax')!;
  assert.equal(issue.offset, text.indexOf('reject'));
  assert.match(issue.fix, /p=reject/);
  const colon = parse('v=DMARC1; p:reject');
  assert.match(colon.issues[0]!.fix, /"p=reject"/);
});

void test('invalid p/sp/np are flagged; missing p is flagged with its consequence', () => {
  const bad = parse('v=DMARC1; p=rejected; rua=mailto:a@example.com');
  assert.equal(bad.pStatus, 'invalid');
  assert.match(bad.issues.find((i) => i.code === 'invalid-policy')!.fix, /did you mean p=reject/);
  const sub = parse('v=DMARC1; p=reject; sp=bogus');
  assert.equal(sub.subPolicyInvalid, true);
  const none = parse('v=DMARC1; adkim=s');
  assert.equal(none.pStatus, 'absent');
  const missing = none.issues.find((i) => i.code === 'missing-policy')!;
  assert.equal(missing.severity, 'error');
  const withRua = parse('v=DMARC1; rua=mailto:a@example.com');
  assert.equal(withRua.issues.find((i) => i.code === 'missing-policy')!.severity, 'warning');
});

void test('bad enumerated values fall back to defaults with a warning', () => {
  const r = parse('v=DMARC1; p=none; adkim=x; aspf=relaxed; t=maybe; psd=yes; fo=0:1');
  assert.equal(r.adkim, 'relaxed');
  assert.equal(r.testing, false);
  assert.equal(r.psd, 'u');
  assert.deepEqual(r.fo, ['0']);
  assert.equal(r.issues.filter((i) => i.code === 'invalid-value').length, 5);
});

void test('RFC 7489 tags are accepted and reported as legacy', () => {
  const r = parse('v=DMARC1; p=reject; pct=50; rf=afrf; ri=3600');
  assert.equal(r.legacy.pct, 50);
  assert.deepEqual(r.legacy.rf, ['afrf']);
  assert.equal(r.legacy.ri, 3600);
  const legacy = r.issues.filter((i) => i.code === 'legacy-tag');
  assert.deepEqual(legacy.map((i) => i.tag), ['pct', 'rf', 'ri']);
  assert.match(legacy[0]!.fix, /t=y/);
  const badPct = parse('v=DMARC1; p=reject; pct=150');
  assert.equal(badPct.legacy.pct, undefined);
});

void test('report URIs: !size suffixes accepted as legacy, non-URIs dropped with a fix', () => {
  const r = parse('v=DMARC1; p=none; rua=mailto:a@example.com!10m, dmarc@example.com, https://r.example/x');
  assert.equal(r.rua.length, 2);
  assert.equal(r.rua[0]!.maxBytes, 10 * 1024 * 1024);
  assert.equal(r.rua[1]!.scheme, 'https');
  assert.ok(r.issues.some((i) => i.code === 'legacy-size'));
  assert.match(r.issues.find((i) => i.code === 'invalid-uri')!.fix, /mailto:dmarc@example.com/);
});

void test('unknown tags are ignored with an info issue; duplicates keep the first', () => {
  const r = parse('v=DMARC1; p=none; p=reject; foo=bar; adkimm=s');
  assert.equal(r.p, 'none');
  assert.ok(r.issues.some((i) => i.code === 'duplicate-tag'));
  const unknown = r.issues.filter((i) => i.code === 'unknown-tag');
  assert.equal(unknown.length, 2);
  assert.match(unknown[1]!.fix, /adkim/);
});

void test('empty parts and trailing separators are fine; control characters are syntax issues', () => {
  const r = parse('v=DMARC1;;p=none;  ;');
  assert.equal(r.p, 'none');
  assert.deepEqual(r.issues, []);
  const ctl = parse('v=DMARC1; p=none; rua=mailto:a@b.example\u0000');
  assert.ok(ctl.issues.some((i) => i.code === 'syntax'));
});

void test('psd=y with ruf is flagged (RFC 9989 §10.2)', () => {
  const r = parse('v=DMARC1; p=reject; psd=y; ruf=mailto:f@example');
  assert.ok(r.issues.some((i) => i.code === 'psd-rua-ruf'));
});
