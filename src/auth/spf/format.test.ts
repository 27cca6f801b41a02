import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatAuthResultsSpf, formatReceivedSpf } from './format.js';
import type { SpfResult } from './types.js';

const base: SpfResult = {
  result: 'pass',
  reason: 'matched-mechanism',
  detail: 'ok',
  identity: 'mailfrom',
  domain: 'example.com',
  sender: 'user@example.com',
  mechanism: 'ip4:192.0.2.0/24',
  lookups: 0,
  voidLookups: 0,
  trail: [],
};
const input = { ip: '192.0.2.1', sender: 'user@example.com', helo: 'mail.example.com' };

void test('Received-SPF (RFC 7208 §9.1)', () => {
  assert.equal(
    formatReceivedSpf(base, input, 'mx.example.org'),
    'Received-SPF: pass (mx.example.org: domain of user@example.com designates 192.0.2.1 as permitted sender) ' +
      'client-ip=192.0.2.1; envelope-from=user@example.com; helo=mail.example.com; receiver=mx.example.org; identity=mailfrom; mechanism=ip4:192.0.2.0/24',
  );
  const err = formatReceivedSpf({ ...base, result: 'permerror', reason: 'syntax-error', detail: 'bad (record)\r\nX-Injected: yes', mechanism: undefined }, { ...input, ip: '::FFFF:192.0.2.1' });
  assert.ok(!/[\r\n]/.test(err), 'no CR/LF from DNS text reaches the header');
  assert.match(err, /^Received-SPF: permerror \(domain of user@example\.com: error|^Received-SPF: permerror \(error in processing/);
  assert.match(err, /client-ip=192\.0\.2\.1;/);
  assert.match(err, /problem="bad \(record\) X-Injected: yes"/);
  const nul = formatReceivedSpf({ ...base, result: 'softfail' }, { ...input, sender: '', ip: '2001:DB8:0:0:0:0:0:1' });
  assert.match(nul, /^Received-SPF: softfail \(transitioning domain of user@example.com does not designate 2001:db8::1/);
  assert.match(nul, /envelope-from="<>"/);
});

void test('Authentication-Results spf method (RFC 8601 §2.7.2)', () => {
  assert.equal(formatAuthResultsSpf(base), 'spf=pass (matched-mechanism: ip4:192.0.2.0/24) smtp.mailfrom=user@example.com');
  assert.equal(
    formatAuthResultsSpf({ ...base, result: 'none', reason: 'no-record', identity: 'helo', domain: 'mail.example.com', mechanism: undefined }),
    'spf=none (no-record) smtp.helo=mail.example.com',
  );
  assert.equal(formatAuthResultsSpf({ ...base, sender: 'a b@example.com' }), 'spf=pass (matched-mechanism: ip4:192.0.2.0/24) smtp.mailfrom="a b@example.com"');
});
