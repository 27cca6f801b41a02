import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeField } from '../../core/message/headers.js';
import { parseArcMessageSignatureField, parseArcSealField, parseInstance } from './signature.js';

const field = (text: string) => makeField(Buffer.from(text, 'latin1'));
const AMS = 'ARC-Message-Signature: i=1; a=rsa-sha256; c=relaxed/simple; d=Example.ORG; s=Sel; t=12; h=From:to::Subject; bh=AAAA; b=QUJD';
const AS = 'ARC-Seal: i=2; a=ed25519-sha256; cv=pass; d=example.org; s=sel; t=12; b=QU JD';

test('parses an AMS: lower-case d=/s=, c=, h= names as written (empty ones kept), b= position', () => {
  const parsed = parseArcMessageSignatureField(field(AMS));
  assert.ok(parsed.ok);
  assert.equal(parsed.value.instance, 1);
  assert.equal(parsed.value.domain, 'example.org');
  assert.equal(parsed.value.selector, 'sel');
  assert.deepEqual(parsed.value.canonicalization, { header: 'relaxed', body: 'simple' });
  assert.deepEqual(parsed.value.headerFields, ['From', 'to', '', 'Subject']);
  assert.equal(AMS.slice(parsed.bValue.start, parsed.bValue.end), 'QUJD');
});

test('an AMS without c= is relaxed/relaxed (the suite and dkimpy); an empty h= signs nothing', () => {
  const parsed = parseArcMessageSignatureField(field('ARC-Message-Signature: i=1; a=rsa-sha256; d=x.org; s=s; h=; bh=AAAA; b=QUJD'));
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.value.canonicalization, { header: 'relaxed', body: 'relaxed' });
  assert.deepEqual(parsed.value.headerFields, []);
});

test('AMS refusals carry a reason code', () => {
  const reasons: [string, string][] = [
    [AMS.replace('h=From', 'h=arc-seal:From'), 'ams-signs-arc-seal'],
    [AMS.replace(' a=rsa-sha256', ' a=rsa-sha1'), 'algorithm-rsa-sha1'],
    [AMS.replace(' a=rsa-sha256', ' a=hmac'), 'algorithm-unknown'],
    [AMS.replace(' bh=AAAA;', ''), 'signature-missing-tag'],
    [AMS.replace(' i=1;', ' i=0;'), 'signature-bad-tag'],
    [AMS.replace(' t=12;', ' t=;'), 'signature-bad-tag'],
    [AMS.replace(' s=Sel;', ' s=Sel;;'), 'signature-syntax'],
    [AMS.replace(' s=Sel;', ' s=Sel; s=x;'), 'signature-syntax'],
    [AMS.replace(' c=relaxed/simple', ' c=fancy'), 'canonicalization-unknown'],
    [AMS.replace(' d=Example.ORG', ' d=-bad-.example'), 'signature-bad-tag'],
    [AMS.replace('b=QUJD', `b=${'A'.repeat(2000)}`), 'signature-bad-tag'],
  ];
  for (const [text, reason] of reasons) {
    const parsed = parseArcMessageSignatureField(field(text));
    assert.ok(!parsed.ok, text);
    assert.equal(parsed.reason, reason, text);
  }
});

test('a trailing semicolon is fine; a leading or doubled one is not (RFC 6376 §3.2)', () => {
  assert.ok(parseArcSealField(field(`${AS};`)).ok);
  assert.ok(!parseArcSealField(field(AS.replace('ARC-Seal: ', 'ARC-Seal: ;'))).ok);
});

test('parses an AS; h= and odd cv= values are refused', () => {
  const parsed = parseArcSealField(field(AS));
  assert.ok(parsed.ok);
  assert.equal(parsed.value.cv, 'pass');
  assert.equal(parsed.value.signatureBase64, 'QUJD');
  const withH = parseArcSealField(field(`${AS}; h=from`));
  assert.ok(!withH.ok);
  assert.equal(withH.reason, 'seal-has-h-tag');
  const badCv = parseArcSealField(field(AS.replace('cv=pass', 'cv=Pass')));
  assert.ok(!badCv.ok);
  assert.equal(badCv.reason, 'signature-bad-tag');
  assert.equal(badCv.partial.cv, 'pass');
});

test('parseInstance: 1..50 only', () => {
  assert.deepEqual(parseInstance('50'), { ok: true, value: 50 });
  for (const text of ['0', '51', '999999', '1e2', '', '-1', '12345678901']) assert.equal(parseInstance(text).ok, false, text);
  const missing = parseInstance(undefined);
  assert.ok(!missing.ok && missing.missing);
});
