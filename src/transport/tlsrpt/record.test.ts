import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ZoneResolver } from '../../testing/zone-resolver.js';
import { generateTlsRptRecord, lookupTlsRpt, parseTlsRptRecord } from './record.js';
import { sessionOutcome } from './outcome.js';
import type { TlsPolicyDecision } from '../tls-policy/types.js';

test('parseTlsRptRecord: RFC 8460 §3 examples and extensions', () => {
  const r = parseTlsRptRecord('v=TLSRPTv1; rua=mailto:reports@example.com,https://reporting.example.com/v1/tlsrpt; ext=1');
  assert.ok(r.ok);
  assert.deepEqual(r.value.rua.map((u) => u.scheme), ['mailto', 'https']);
  assert.deepEqual(r.value.extensions, [{ name: 'ext', value: '1' }]);
  assert.ok(parseTlsRptRecord('v=TLSRPTv1;rua=mailto:a@b.example;').ok);
});

test('parseTlsRptRecord: errors with codes', () => {
  const cases: [string, string][] = [
    ['v=TLSRPTv2; rua=mailto:a@b.example', 'not-tlsrpt'],
    ['rua=mailto:a@b.example; v=TLSRPTv1', 'not-tlsrpt'],
    ['v=TLSRPTv1', 'missing-rua'],
    ['v=TLSRPTv1; rua=http://insecure.example/', 'bad-uri'],
    ['v=TLSRPTv1; rua=mailto:nobody', 'bad-uri'],
    ['v=TLSRPTv1; rua=mailto:a@b.example; rua=mailto:c@d.example', 'duplicate-field'],
    ['v=TLSRPTv1; garbage', 'bad-field'],
    [`v=TLSRPTv1; rua=mailto:a@b.example; x=${'y'.repeat(5000)}`, 'too-long'],
  ];
  for (const [text, code] of cases) {
    const r = parseTlsRptRecord(text);
    assert.equal(r.ok ? 'ok' : r.error.code, code, text.slice(0, 60));
  }
});

test('lookupTlsRpt: one record, none, several, invalid, DNS error', async () => {
  const resolver = new ZoneResolver({
    '_smtp._tls.one.example': [{ TXT: ['v=TLSRPTv1; rua=mai', 'lto:tls@one.example'] }, { TXT: 'unrelated' }],
    '_smtp._tls.two.example': [{ TXT: 'v=TLSRPTv1; rua=mailto:a@two.example' }, { TXT: 'v=TLSRPTv1; rua=mailto:b@two.example' }],
    '_smtp._tls.bad.example': [{ TXT: 'v=TLSRPTv1; rua=ftp://x' }],
    '_smtp._tls.slow.example': ['TIMEOUT'],
  });
  const one = await lookupTlsRpt('one.example', resolver);
  assert.equal(one.kind === 'record' && one.record.rua[0]?.uri, 'mailto:tls@one.example');
  const reasons = await Promise.all(['none.example', 'two.example', 'bad.example', 'slow.example'].map(async (d) => {
    const r = await lookupTlsRpt(d, resolver);
    return r.kind === 'none' ? r.reason : 'record';
  }));
  assert.deepEqual(reasons, ['no-record', 'multiple-records', 'invalid-record', 'dns-error']);
});

test('generateTlsRptRecord round-trips and refuses bad URIs', () => {
  const text = generateTlsRptRecord(['mailto:tlsrpt@example.com', 'https://example.com/tlsrpt']);
  assert.equal(text, 'v=TLSRPTv1; rua=mailto:tlsrpt@example.com,https://example.com/tlsrpt');
  assert.ok(parseTlsRptRecord(text).ok);
  assert.throws(() => generateTlsRptRecord(['http://example.com']), RangeError);
  assert.throws(() => generateTlsRptRecord([]), RangeError);
});

const stsDecision: TlsPolicyDecision = {
  domain: 'example.com',
  mxHost: 'mx1.example.com',
  mechanism: 'mta-sts',
  reportAs: 'sts',
  policyString: ['version: STSv1', 'mode: enforce', 'mx: *.example.com', 'max_age: 86400'],
  requirements: { tls: 'required', minVersion: 'TLSv1.2', authenticate: 'webpki', names: ['mx1.example.com'], servername: 'mx1.example.com', sts: { mode: 'enforce', id: '1', mx: ['*.example.com'], maxAge: 86400 } },
  skipped: [],
  policyFailures: [],
};

test('sessionOutcome: failures carry the result type and where; non-TLS failures and local rules are not reported', () => {
  const failed = sessionOutcome({ decision: stsDecision, at: 1, sendingMtaIp: '192.0.2.1', receivingIp: '198.51.100.1', outcome: { ok: false, failure: { stage: 'verify', resultType: 'certificate-expired', detail: 'expired', plaintextFallback: false } } });
  assert.deepEqual(failed?.policy.mxHost, ['*.example.com']);
  assert.equal(failed?.result.kind === 'failure' && failed.result.resultType, 'certificate-expired');
  assert.equal(failed?.result.kind === 'failure' && failed.result.receivingIp, '198.51.100.1');
  assert.equal(sessionOutcome({ decision: stsDecision, at: 1, outcome: { ok: false, failure: { stage: 'connect', detail: 'refused', plaintextFallback: false } } }), undefined);
  assert.equal(sessionOutcome({ decision: { ...stsDecision, reportAs: undefined, mechanism: 'mandatory' }, at: 1 }), undefined);
  const blocked = sessionOutcome({ decision: { ...stsDecision, blocked: { resultType: 'validation-failure', detail: 'mx mismatch' } }, at: 1 });
  assert.equal(blocked?.result.kind === 'failure' && blocked.result.resultType, 'validation-failure');
});
