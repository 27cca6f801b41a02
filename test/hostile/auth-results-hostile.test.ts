// Hostile Authentication-Results values: huge, NULs, unbalanced and deep comments, random mutations of
// real headers. The parsers must return a result (never throw) quickly.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { parseArcAuthenticationResults, parseAuthenticationResults, MAX_AUTH_RESULTS_LENGTH } from '../../src/auth/auth-results/index.js';
import { AUTH_RESULTS_SAMPLES } from '../../src/auth/auth-results/samples.js';

function both(value: string): void {
  for (const r of [parseAuthenticationResults(value), parseArcAuthenticationResults(value)]) {
    if (!r.ok) assert.ok(r.error.code && r.error.message && Number.isInteger(r.error.offset));
  }
}

test('100 KB values, NULs, unbalanced parens and deep nesting give clear errors', () => {
  const big = `example.com; spf=pass smtp.mailfrom=${'a'.repeat(100 * 1024)}@example.com`;
  assert.equal((parseAuthenticationResults(big) as { error: { code: string } }).error.code, 'too-long');
  const justUnder = `x.example; spf=pass (${'c'.repeat(MAX_AUTH_RESULTS_LENGTH - 40)}) smtp.mailfrom=a@b`;
  const started = Date.now();
  assert.ok(parseAuthenticationResults(justUnder).ok);
  const many = `x.example; ${'dkim=pass header.d=a.example; '.repeat(300)}`;
  assert.equal((parseAuthenticationResults(many) as { error: { code: string } }).error.code, 'too-many-results');
  const paren = `x.example; spf=pass ${'('.repeat(30_000)}`;
  assert.equal((parseAuthenticationResults(paren) as { error: { code: string } }).error.code, 'comment-too-deep');
  assert.equal((parseAuthenticationResults('x.example; spf=pass (a (b) c smtp.mailfrom=x') as { error: { code: string } }).error.code, 'unbalanced-comment');
  assert.equal((parseAuthenticationResults('x.example;\u0000 spf=pass') as { error: { code: string; offset: number } }).error.offset, 10);
  assert.equal((parseAuthenticationResults(`x.example; spf=pass smtp.mailfrom="${'\\'.repeat(50_001)}`) as { error: { code: string } }).error.code, 'unterminated-quote');
  assert.ok(Date.now() - started < 2000, 'hostile inputs are handled in linear time');
});

test('random mutations of real headers and random bytes never throw', () => {
  const inserts = ['(', ')', '"', '\\', ';', '=', '.', '/', '\u0000', '\r\n', ' ', 'é', '@'];
  let n = 0;
  for (const sample of AUTH_RESULTS_SAMPLES) {
    const v = sample.value;
    for (let i = 0; i < v.length; i += 3) {
      for (const c of inserts) {
        both(v.slice(0, i) + c + v.slice(i));
        both(v.slice(0, i) + c + v.slice(i + 1));
        n += 2;
      }
      both(v.slice(0, i));
    }
  }
  for (let i = 0; i < 3000; i++) both(randomBytes(1 + (i % 200)).toString('latin1'));
  assert.ok(n > 10_000);
});
