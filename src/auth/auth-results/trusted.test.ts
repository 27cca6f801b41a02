import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectTrustedAuthResults } from './trusted.js';

test('selectTrustedAuthResults keeps only trusted authserv-ids', () => {
  const headers = [
    'mx.example.net; spf=pass smtp.mailfrom=a@b.example',
    'MX.EXAMPLE.NET.; dkim=pass header.d=b.example',
    'evil.example; dmarc=pass header.from=bank.example',
    'spf=pass smtp.mailfrom=x.example; dmarc=pass action=none header.from=x.example',
    'mx.example.net; spf=pass (unclosed',
  ];
  const out = selectTrustedAuthResults(headers, ['mx.example.net', '']);
  assert.deepEqual(out.trusted.map((t) => t.index), [0, 1]);
  assert.deepEqual(out.ignored.map((i) => [i.index, i.reason]), [
    [2, 'untrusted'],
    [3, 'no-authserv-id'],
    [4, 'unparsable'],
  ]);
  assert.equal(out.ignored[0]!.authservId, 'evil.example');
  assert.equal(out.ignored[2]!.error?.code, 'unbalanced-comment');
  assert.deepEqual(selectTrustedAuthResults(headers, []).trusted, []);
});
