import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHeaderBlock } from '../../core/message/headers.js';
import { blankTagValue, canonicalizeHeaderField, HeaderIndex, parseCanonicalization } from './canonicalize.js';

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
