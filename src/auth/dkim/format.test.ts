import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatAuthResultsDkim, formatAuthResultsDkimAll } from './format.js';
import type { DkimSignatureResult } from './types.js';

const base: DkimSignatureResult = {
  result: 'pass',
  reason: 'verified',
  detail: 'ok',
  domain: 'example.com',
  selector: 'sel',
  algorithm: 'rsa-sha256',
  canonicalization: 'relaxed/relaxed',
  headerFields: ['from'],
  bodyLengthLimited: false,
  headerB: 'AbCdEf12',
  warnings: [],
};

test('pass: d, s and b, no comment', () => {
  assert.equal(formatAuthResultsDkim(base), 'dkim=pass header.d=example.com header.s=sel header.b=AbCdEf12');
});

test('not pass: a reason comment with parentheses escaped; i= when present; b= quoted when it holds / or =', () => {
  const out = formatAuthResultsDkim({ ...base, result: 'fail', reason: 'body-hash-mismatch', detail: 'body changed (a lot)', identity: '@example.com', headerB: 'Ab/+Cd=1' });
  assert.equal(out, 'dkim=fail (body-hash-mismatch: body changed \\(a lot\\)) header.d=example.com header.i=@example.com header.s=sel header.b="Ab/+Cd=1"');
});

test('a message without signatures is dkim=none', () => {
  assert.deepEqual(formatAuthResultsDkimAll({ signatures: [] }), ['dkim=none']);
  assert.deepEqual(formatAuthResultsDkimAll({ signatures: [base, { ...base, selector: 'two' }] }).length, 2);
});
