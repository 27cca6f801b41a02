import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shouldRewrite } from './policy.js';

const localDomains = ['example.com', '.example.com', 'example.net'];

test('shouldRewrite: external forwards of foreign senders only', () => {
  const cases: [string, string, boolean, string][] = [
    ['alice@other.org', 'gmail.com', true, 'external-forward'],
    ['alice@other.org', 'example.com', false, 'local-delivery'],
    ['alice@other.org', 'MX.Example.com', false, 'local-delivery'],
    ['bob@example.com', 'gmail.com', false, 'local-sender'],
    ['bob@sub.example.com', 'gmail.com', false, 'local-sender'],
    ['bob@EXAMPLE.NET.', 'gmail.com', false, 'local-sender'],
    ['', 'gmail.com', false, 'null-sender'],
    ['<>', 'gmail.com', false, 'null-sender'],
    ['postmaster', 'gmail.com', false, 'no-sender-domain'],
    ['SRS0=abcd=2W=a.org=u@elsewhere.org', 'gmail.com', true, 'external-forward'],
  ];
  for (const [sender, recipientDomain, rewrite, reason] of cases) {
    assert.deepEqual(shouldRewrite({ sender, recipientDomain, localDomains }), { rewrite, reason }, `${sender} → ${recipientDomain}`);
  }
});
