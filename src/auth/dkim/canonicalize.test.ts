import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHeaderBlock } from '../../core/message/headers.js';
import { blankTagValue, canonicalizeHeaderField, headerHashInput, headerHashInputSkipping, HeaderIndex, parseCanonicalization } from './canonicalize.js';
import { parseTagList } from './tag-list.js';

test('relaxed header: lower-case name, unfold, one space, trimmed around the colon and at the end', () => {
  const raw = Buffer.from('SubJect \t:  Hello \t there\r\n\t world  ');
  assert.equal(canonicalizeHeaderField(raw, 'relaxed').toString(), 'subject:Hello there world\r\n');
  assert.equal(canonicalizeHeaderField(raw, 'relaxed', false).toString(), 'subject:Hello there world');
  assert.equal(canonicalizeHeaderField(Buffer.from('A:'), 'relaxed').toString(), 'a:\r\n');
});

test('simple header: the bytes as they are, plus CRLF', () => {
  const raw = Buffer.from('B : Y\t\r\n\tZ  ');
  assert.equal(canonicalizeHeaderField(raw, 'simple').toString(), 'B : Y\t\r\n\tZ  \r\n');
});

test('c= parsing', () => {
  assert.deepEqual(parseCanonicalization(undefined), { header: 'simple', body: 'simple' });
  assert.deepEqual(parseCanonicalization('Relaxed'), { header: 'relaxed', body: 'simple' });
  assert.deepEqual(parseCanonicalization('simple/relaxed'), { header: 'simple', body: 'relaxed' });
  assert.equal(parseCanonicalization('relaxed/relaxed/x'), undefined);
  assert.equal(parseCanonicalization('nowsp'), undefined);
});

test('blankTagValue removes the value region only', () => {
  const raw = Buffer.from('X: a=1; b= abc\r\n def ; c=2');
  assert.equal(blankTagValue(raw, 10, 21).toString(), 'X: a=1; b=; c=2');
});

test('HeaderIndex picks instances bottom-up, each once, skipping the excluded one; absent names pick nothing', () => {
  const fields = parseHeaderBlock(Buffer.from('From: 1\r\nTo: a\r\nFrom: 2\r\nDKIM-Signature: x\r\n'));
  const index = new HeaderIndex(fields);
  assert.deepEqual(index.select(['from', 'From', 'from', 'cc']), [2, 0]);
  assert.deepEqual(index.select(['dkim-signature', 'to'], 3), [1]);
  assert.equal(index.count('from'), 2);
});

test('leaving b= out while canonicalizing gives the same bytes as blanking it first', () => {
  const fields = parseHeaderBlock(Buffer.from('From: a@example.com\r\nTo:  b@example.org \r\n'));
  const signatures = [
    'DKIM-Signature: v=1; a=rsa-sha256; d=example.com;\r\n b=AbC\r\n dEf=; h=from:to; bh=xyz',
    'DKIM-Signature: v=1; h=from; b=\r\n\tAbCd  ',
    'DKIM-Signature: b= A ;v=1',
    'DKIM-Signature:b=',
  ];
  for (const text of signatures) {
    const own = Buffer.from(text);
    const colon = own.indexOf(':');
    const parsed = parseTagList(own.toString('latin1', colon + 1));
    assert.ok(parsed.ok);
    const b = parsed.value.byName.get('b');
    assert.ok(b !== undefined);
    const [from, to] = [colon + 1 + b.valueStart, colon + 1 + b.valueEnd];
    for (const algorithm of ['simple', 'relaxed'] as const) {
      const expected = headerHashInput(fields, [1, 0], blankTagValue(own, from, to), algorithm);
      assert.equal(headerHashInputSkipping(fields, [1, 0], own, from, to, algorithm).toString('latin1'), expected.toString('latin1'), `${algorithm}: ${text}`);
    }
  }
});
