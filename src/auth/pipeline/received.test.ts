import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseReceived, MAX_RECEIVED_LENGTH } from './received.js';

const cases: [string, string, { ip: string; helo: string; rdns?: string; by?: string }][] = [
  [
    'Postfix',
    'from mail.contoso.example (mail.contoso.example [192.0.2.1])\r\n\tby mx.fabrikam.example (Postfix) with ESMTPS id 4F2C1A0; Mon, 1 Jan 2024 00:00:00 +0000 (UTC)',
    { ip: '192.0.2.1', helo: 'mail.contoso.example', rdns: 'mail.contoso.example', by: 'mx.fabrikam.example' },
  ],
  ['Postfix, no rDNS, IPv6', 'from helo.example (unknown [IPv6:2001:db8::25]) by mx.example (Postfix) with ESMTP id X; date', { ip: '2001:db8::25', helo: 'helo.example', by: 'mx.example' }],
  [
    'Sendmail (may be forged)',
    'from helo.example (user@rdns.example [198.51.100.7] (may be forged)) by mx.example.org (8.15.2/8.15.2) with ESMTP id x1; date',
    { ip: '198.51.100.7', helo: 'helo.example', rdns: 'rdns.example', by: 'mx.example.org' },
  ],
  [
    'Exchange internal (bare IP comment)',
    'from EXCH01.contoso.com (10.0.0.1) by EXCH02.contoso.com (10.0.0.2) with Microsoft SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.1.2507.39; Mon, 1 Jan 2024 00:00:00 +0000',
    { ip: '10.0.0.1', helo: 'EXCH01.contoso.com', by: 'EXCH02.contoso.com' },
  ],
  [
    'Exchange Online',
    'from NAM11-CO1-obe.outbound.protection.outlook.com (mail-co1nam11on2041.outbound.protection.outlook.com [40.107.220.41]) by mx.example with ESMTPS id 1; date',
    { ip: '40.107.220.41', helo: 'NAM11-CO1-obe.outbound.protection.outlook.com', rdns: 'mail-co1nam11on2041.outbound.protection.outlook.com', by: 'mx.example' },
  ],
  [
    'Gmail (rDNS with a trailing dot)',
    'from mail-sor-f41.google.com (mail-sor-f41.google.com. [209.85.220.41])\r\n        by mx.google.com with SMTPS id a640c23a62f3a-a5;\r\n        Mon, 01 Jan 2024 00:00:00 -0800 (PST)',
    { ip: '209.85.220.41', helo: 'mail-sor-f41.google.com', rdns: 'mail-sor-f41.google.com', by: 'mx.google.com' },
  ],
  ['Exim (helo= in the comment)', 'from rdns.example ([203.0.113.9] helo=helo.example) by mx.example with esmtps (TLS1.3) id 1r; date', { ip: '203.0.113.9', helo: 'helo.example', rdns: 'rdns.example', by: 'mx.example' }],
  ['domain-literal HELO', 'from [192.0.2.77] (rdns.example [192.0.2.77]) by mx.example; date', { ip: '192.0.2.77', helo: '[192.0.2.77]', rdns: 'rdns.example', by: 'mx.example' }],
  ['domain-literal HELO, no comment', 'from [192.0.2.78] by mx.example; date', { ip: '192.0.2.78', helo: '[192.0.2.78]', by: 'mx.example' }],
];

for (const [name, value, expected] of cases) {
  void test(`Received: ${name}`, () => {
    const parsed = parseReceived(value);
    assert.ok(parsed.ok, JSON.stringify(parsed));
    assert.deepEqual(parsed.value, expected);
  });
}

void test('fields without a client address say why', () => {
  const gmailInternal = parseReceived('by 2002:a05:6a10:a84c:b0:4a9:1d5b:2f6c with SMTP id x; Mon, 1 Jan 2024 00:00:00 -0800 (PST)');
  assert.deepEqual(gmailInternal.ok ? null : gmailInternal.reason, 'no-from-clause');
  const noIp = parseReceived('from helo.example (rdns.example) by mx.example; date');
  assert.deepEqual(noIp.ok ? null : noIp.reason, 'no-ip');
  const badIp = parseReceived('from helo.example (rdns [999.1.1.1]) by mx; date');
  assert.equal(badIp.ok, false);
  const long = parseReceived(`from x (y [192.0.2.1]) ${'z'.repeat(MAX_RECEIVED_LENGTH)}`);
  assert.deepEqual(long.ok ? null : long.reason, 'too-long');
});

void test('hostile input: unbalanced comments, nested comments, words that look like keywords in comments', () => {
  assert.equal(parseReceived('from (((((').ok, false);
  const nested = parseReceived('from helo.example (by evil [192.0.2.66] (with (nested) comments)) by mx.example; date');
  assert.ok(nested.ok);
  assert.equal(nested.value.ip, '192.0.2.66');
  assert.equal(nested.value.by, 'mx.example');
  // A date that mentions "from" is after the semicolon and is not read.
  const date = parseReceived('by mx.example with local; from [192.0.2.1]');
  assert.equal(date.ok, false);
});
