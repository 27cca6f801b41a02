import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthResultsFormatError, formatAuthenticationResults, formatAuthenticationResultsValue, formatValue } from './format.js';
import { parseAuthenticationResults } from './parse.js';
import type { AuthResultEntry } from './types.js';

const entries: AuthResultEntry[] = [
  { method: 'spf', result: 'pass', comment: 'matched-mechanism: ip4:192.0.2.0/24', props: [{ ptype: 'smtp', property: 'mailfrom', value: 'alice@example.com' }] },
  {
    method: 'dkim',
    result: 'pass',
    props: [
      { ptype: 'header', property: 'd', value: 'example.com' },
      { ptype: 'header', property: 's', value: 'sel2024' },
      { ptype: 'header', property: 'b', value: 'Ab+c/9Zq' },
    ],
  },
  { method: 'dmarc', result: 'pass', props: [{ ptype: 'header', property: 'from', value: 'example.com' }, { ptype: 'policy', property: 'dmarc', value: 'reject' }] },
  { method: 'arc', result: 'pass', props: [{ ptype: 'smtp', property: 'remote-ip', value: '192.0.2.1' }] },
];

test('formats a folded header with every result on its own line', () => {
  const header = formatAuthenticationResults('mx.example.net', entries);
  assert.equal(
    header,
    [
      'Authentication-Results: mx.example.net;',
      '\tspf=pass (matched-mechanism: ip4:192.0.2.0/24)',
      '\t\tsmtp.mailfrom=alice@example.com;',
      '\tdkim=pass header.d=example.com header.s=sel2024 header.b="Ab+c/9Zq";',
      '\tdmarc=pass header.from=example.com policy.dmarc=reject;',
      '\tarc=pass smtp.remote-ip=192.0.2.1',
    ].join('\r\n'),
  );
  for (const line of header.split('\r\n')) assert.ok(line.length <= 78, line);
});

test('round-trips through the parser', () => {
  const header = formatAuthenticationResults('mx.example.net', entries, { version: 1 });
  const parsed = parseAuthenticationResults(header);
  assert.ok(parsed.ok);
  assert.equal(parsed.value.version, 1);
  assert.deepEqual(parsed.value.results, entries.map((e) => ({ ...e, props: e.props.map((p) => ({ ...p })) })));
});

test('none, quoting, reasons, hostile text in comments and values', () => {
  assert.equal(formatAuthenticationResults('example.org', []), 'Authentication-Results: example.org; none');
  assert.equal(formatAuthenticationResults('example.org', [], { version: 1 }), 'Authentication-Results: example.org 1; none');
  const header = formatAuthenticationResultsValue('example.org', [
    { method: 'dkim', result: 'fail', reason: 'body hash did not verify', comment: 'evil) (\r\nX-Injected: yes', props: [{ ptype: 'header', property: 'i', value: '@example.com' }] },
    { method: 'spf', result: 'none', props: [{ ptype: 'smtp', property: 'mailfrom', value: 'a b"c@example.com\r\nX: y' }] },
  ]);
  assert.equal(
    header,
    'example.org; dkim=fail (evil\\) \\( X-Injected: yes) reason="body hash did not verify" header.i=@example.com; spf=none smtp.mailfrom="a b\\"c@example.com X: y"',
  );
  assert.ok(parseAuthenticationResults(header).ok);
  assert.equal(formatValue('token'), 'token');
  assert.equal(formatValue('two words'), '"two words"');
  assert.equal(formatValue('a@b.example'), '"a@b.example"');
  assert.equal(formatValue('a@b.example', true), 'a@b.example');
});

test('long results fold between pieces; an unbreakable value over 998 characters is an error', () => {
  const long: AuthResultEntry = {
    method: 'dkim',
    result: 'pass',
    comment: '2048-bit key; unprotected',
    props: ['d', 'i', 's', 'a', 'b'].map((property) => ({ ptype: 'header', property, value: `${property}-value-that-is-rather-long.example.com` })),
  };
  const header = formatAuthenticationResults('mx.example.net', [long, long], { newline: '\n' });
  const lines = header.split('\n');
  assert.ok(lines.length > 5);
  for (const line of lines) assert.ok(line.length <= 78, line);
  assert.ok(parseAuthenticationResults(header).ok);
  assert.throws(() => formatAuthenticationResults('x.example', [{ method: 'dkim', result: 'pass', props: [{ ptype: 'header', property: 'b', value: 'a'.repeat(1000) }] }]), AuthResultsFormatError);
});

test('keywords are checked', () => {
  const bad: AuthResultEntry[] = [
    { method: 'sp f', result: 'pass', props: [] },
    { method: 'spf', result: 'pass;x', props: [] },
    { method: 'spf', result: 'pass', props: [{ ptype: 'smtp.x', property: 'mailfrom', value: 'a' }] },
    { method: 'spf', result: 'pass', props: [{ ptype: 'smtp', property: 'mail from', value: 'a' }] },
  ];
  for (const e of bad) assert.throws(() => formatAuthenticationResults('x.example', [e]), AuthResultsFormatError, JSON.stringify(e));
  assert.throws(() => formatAuthenticationResults('', []), AuthResultsFormatError);
  assert.throws(() => formatAuthenticationResults('x.example', [], { version: 0 }), AuthResultsFormatError);
});
