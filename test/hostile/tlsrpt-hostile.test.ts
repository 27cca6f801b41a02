// Hostile TLS-RPT input: gzip bombs, truncated gzip, malformed and wrongly typed JSON, odd policy types,
// deep MIME nesting. Every case is a result, never a throw, and memory stays bounded.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { parseTlsRptInput, MAX_REPORT_JSON_BYTES } from '../../src/reports/tlsrpt/parse.js';

const valid = {
  'organization-name': 'X',
  'date-range': { 'start-datetime': '2024-01-01T00:00:00Z', 'end-datetime': '2024-01-01T23:59:59Z' },
  'contact-info': 'x@example.com',
  'report-id': '1',
  policies: [{ policy: { 'policy-type': 'sts', 'policy-domain': 'example.com' }, summary: { 'total-successful-session-count': 1, 'total-failure-session-count': 0 } }],
};

test('a gzip bomb stops at the cap', () => {
  const bomb = gzipSync(Buffer.alloc(MAX_REPORT_JSON_BYTES + 1024 * 1024, 0x20)); // ~17 MiB of spaces in ~17 KiB
  assert.ok(bomb.length < 100_000);
  const result = parseTlsRptInput(bomb);
  assert.equal(!result.ok && result.error.code, 'too-large');
  const small = parseTlsRptInput(gzipSync(Buffer.alloc(2 * 1024 * 1024, 0x20)), { maxJsonBytes: 1024 * 1024 });
  assert.equal(!small.ok && small.error.code, 'too-large');
});

test('a gzip bomb inside a mail stops at the cap too', () => {
  const gz = gzipSync(Buffer.alloc(MAX_REPORT_JSON_BYTES * 2, 0x7b)).toString('base64');
  const mail = `Content-Type: multipart/report; report-type=tlsrpt; boundary=x\r\n\r\n--x\r\nContent-Type: application/tlsrpt+gzip\r\nContent-Transfer-Encoding: base64\r\n\r\n${gz}\r\n--x--\r\n`;
  const result = parseTlsRptInput(mail);
  assert.equal(!result.ok && result.error.code, 'too-large');
});

test('truncated gzip, malformed JSON, wrong types: coded errors', () => {
  const gz = gzipSync(Buffer.from(JSON.stringify(valid)));
  const cases: [Buffer | string, string][] = [
    [gz.subarray(0, gz.length - 10), 'bad-gzip'],
    ['{"organization-name": ', 'bad-json'],
    ['{}', 'bad-report'],
    ['[]', 'no-report-part'],
    [JSON.stringify({ ...valid, policies: 'none' }), 'bad-report'],
    [JSON.stringify({ ...valid, 'date-range': { 'start-datetime': 'yesterday', 'end-datetime': 'today' } }), 'bad-report'],
    [JSON.stringify({ ...valid, policies: [{ policy: {}, summary: {} }] }), 'bad-report'],
    [JSON.stringify({ ...valid, policies: [{ ...valid.policies[0], summary: { 'total-successful-session-count': -1, 'total-failure-session-count': 0 } }] }), 'bad-report'],
    [JSON.stringify({ ...valid, policies: [{ ...valid.policies[0], 'failure-details': [{ 'result-type': 7 }] }] }), 'bad-report'],
    [JSON.stringify({ ...valid, policies: [{ ...valid.policies[0], 'failure-details': [{ 'result-type': 'x', 'failed-session-count': 1, 'receiving-ip': {} }] }] }), 'bad-report'],
    ['{"__proto__": {"polluted": 1}}', 'bad-report'],
    ['not a report at all', 'no-report-part'],
    ['', 'no-report-part'],
  ];
  for (const [input, code] of cases) {
    const result = parseTlsRptInput(input);
    assert.equal(result.ok ? 'ok' : result.error.code, code, String(input).slice(0, 80));
  }
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('an unknown policy-type is kept as other with a warning (NOTES: rpt03); unknown result types are flagged', () => {
  const odd = { ...valid, policies: [{ ...valid.policies[0], policy: { 'policy-type': 'invalid-policy-type', 'policy-domain': 'example.com' }, 'failure-details': [{ 'result-type': 'brand-new-type', 'failed-session-count': 2 }] }] };
  const result = parseTlsRptInput(JSON.stringify(odd));
  assert.ok(result.ok);
  assert.equal(result.value.policies[0]?.policy.policyType, 'other');
  assert.equal(result.value.policies[0]?.policy.policyTypeText, 'invalid-policy-type');
  assert.equal(result.warnings.length, 2);
});

test('deeply nested multiparts and part floods stay bounded', () => {
  let mail = `{"not": "reached"}`;
  for (let i = 0; i < 50; i++) mail = `Content-Type: multipart/mixed; boundary=b${i}\r\n\r\n--b${i}\r\n${mail}\r\n--b${i}--\r\n`;
  const nested = parseTlsRptInput(mail);
  assert.equal(!nested.ok && nested.error.code, 'no-report-part');
  const flood = `Content-Type: multipart/mixed; boundary=f\r\n\r\n${'--f\r\nContent-Type: text/plain\r\n\r\nhi\r\n'.repeat(10_000)}--f--\r\n`;
  const result = parseTlsRptInput(flood);
  assert.equal(!result.ok && result.error.code, 'no-report-part');
});
