import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchPolicyMx, mxMatchesPattern, MxMatcher } from './mx-match.js';

test('exact patterns match case-insensitively, trailing dots ignored (RFC 8461 §4.1)', () => {
  assert.ok(mxMatchesPattern('Mail.Example.com.', 'mail.example.com'));
  assert.ok(!mxMatchesPattern('mail.example.com', 'mail.example.org'));
  assert.ok(!mxMatchesPattern('xmail.example.com', 'mail.example.com'));
});

test('a wildcard stands for exactly one leftmost label', () => {
  assert.ok(mxMatchesPattern('mx1.example.com', '*.example.com'));
  assert.ok(!mxMatchesPattern('example.com', '*.example.com'));
  assert.ok(!mxMatchesPattern('a.b.example.com', '*.example.com'));
  assert.ok(!mxMatchesPattern('.example.com', '*.example.com'));
  assert.ok(!mxMatchesPattern('mx1.badexample.com', '*.example.com'));
});

test('the compiled matcher agrees with the pattern function', () => {
  const patterns = ['mail.example.com', '*.example.net', '*.deep.example.org'];
  const matcher = new MxMatcher(patterns);
  for (const host of ['mail.example.com', 'x.example.net', 'example.net', 'a.b.example.net', 'y.deep.example.org', 'deep.example.org', 'MAIL.EXAMPLE.COM.', 'other']) {
    const expected = patterns.find((p) => mxMatchesPattern(host, p));
    assert.equal(matcher.match(host) !== undefined, expected !== undefined, host);
  }
  assert.equal(matchPolicyMx('x.example.net', { mx: patterns }), '*.example.net');
  assert.equal(matchPolicyMx('x.example.net', { mx: [] }), undefined);
});
