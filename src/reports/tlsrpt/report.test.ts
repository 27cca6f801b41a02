import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { MemoryTlsRptCollector } from './collector.js';
import { buildTlsRptReport, gzipTlsRpt, tlsRptFilename, tlsRptHttpsBody, tlsRptMail, tlsRptToJson } from './generate.js';
import { parseTlsRptInput } from './parse.js';
import type { TlsRptPolicyRef } from './types.js';

const DAY = Date.UTC(2024, 8, 3);
const sts: TlsRptPolicyRef = { policyType: 'sts', policyString: ['version: STSv1', 'mode: enforce', 'mx: *.example.com', 'max_age: 86400'], policyDomain: 'Example.com', mxHost: ['*.example.com'] };
const tlsa: TlsRptPolicyRef = { policyType: 'tlsa', policyString: ['3 1 1 AA'], policyDomain: 'example.com', mxHost: ['mx1.example.com'] };

async function filled(): Promise<MemoryTlsRptCollector> {
  const c = new MemoryTlsRptCollector();
  for (let i = 0; i < 5; i++) await c.record({ at: DAY + i * 1000, policy: sts, result: { kind: 'success' } });
  for (let i = 0; i < 3; i++) await c.record({ at: DAY + 3600_000, policy: sts, result: { kind: 'failure', resultType: 'certificate-expired', receivingMxHostname: 'mx2.example.com', receivingIp: '192.0.2.2' } });
  await c.record({ at: DAY + 7200_000, policy: sts, result: { kind: 'failure', resultType: 'starttls-not-supported', receivingMxHostname: 'mx3.example.com' } });
  await c.record({ at: DAY + 100, policy: tlsa, result: { kind: 'success' } });
  await c.record({ at: DAY + 86_400_000, policy: sts, result: { kind: 'success' } }); // the next day
  await c.record({ at: DAY, policy: { ...tlsa, policyDomain: 'other.example' }, result: { kind: 'success' } });
  return c;
}

test('collector: counts per policy and failure detail, per UTC day, per policy domain', async () => {
  const c = await filled();
  assert.deepEqual(await c.domains(DAY, DAY + 86_400_000), ['example.com', 'other.example']);
  const results = await c.collect('example.com', DAY, DAY + 86_400_000);
  assert.equal(results.length, 2);
  const stsResult = results.find((r) => r.policy.policyType === 'sts');
  assert.deepEqual(stsResult?.summary, { totalSuccessfulSessionCount: 5, totalFailureSessionCount: 4 });
  assert.deepEqual(stsResult?.failureDetails.map((d) => [d.resultType, d.failedSessionCount]), [['certificate-expired', 3], ['starttls-not-supported', 1]]);
  const twoDays = await c.collect('example.com', DAY, DAY + 2 * 86_400_000);
  assert.equal(twoDays.find((r) => r.policy.policyType === 'sts')?.summary.totalSuccessfulSessionCount, 6);
  await c.prune(DAY + 86_400_000);
  assert.deepEqual(await c.domains(DAY, DAY + 86_400_000), []);
});

test('generate: RFC 8460 JSON, gzip, file name, HTTPS body; and it parses back to the same model', async () => {
  const c = await filled();
  const report = buildTlsRptReport({ organizationName: 'mailflow test', contactInfo: 'tlsrpt@sender.example', dayStart: DAY, reportId: 'r-1', policies: await c.collect('example.com', DAY, DAY + 86_400_000) });
  assert.deepEqual(report.dateRange, { startDatetime: '2024-09-03T00:00:00Z', endDatetime: '2024-09-03T23:59:59Z' });
  const json = tlsRptToJson(report);
  assert.deepEqual(Object.keys(json), ['organization-name', 'date-range', 'contact-info', 'report-id', 'policies']);
  const policy = (json.policies as Record<string, Record<string, unknown>>[])[0]?.policy;
  assert.equal(policy?.['mx-host'], '*.example.com');
  const gz = gzipTlsRpt(report);
  assert.deepEqual(JSON.parse(gunzipSync(gz).toString()), json);
  assert.equal(tlsRptFilename({ submitter: 'sender.example', policyDomain: 'example.com', report, uniqueId: '001' }), 'sender.example!example.com!1725321600!1725407999!001.json.gz');
  assert.throws(() => tlsRptFilename({ submitter: 'a!b', policyDomain: 'example.com', report }), RangeError);
  const post = tlsRptHttpsBody(report);
  assert.equal(post.contentType, 'application/tlsrpt+gzip');
  const back = parseTlsRptInput(post.body);
  assert.ok(back.ok);
  assert.equal(back.format, 'gzip');
  assert.deepEqual(back.value, report);
  const plain = parseTlsRptInput(JSON.stringify(json));
  assert.ok(plain.ok && plain.format === 'json');
});

test('mail form: multipart/report; report-type="tlsrpt" with the TLS-Report headers, and it parses back', () => {
  const report = buildTlsRptReport({ organizationName: 'mailflow test', contactInfo: 'tlsrpt@sender.example', dayStart: DAY, reportId: 'r-2', policies: [] });
  const mail = tlsRptMail({ report, submitter: 'sender.example', policyDomain: 'example.com', from: 'tlsrpt@sender.example', to: 'reports@example.com', date: DAY + 86_400_000, boundary: 'b1' }).toString();
  assert.match(mail, /^Content-Type: multipart\/report; report-type="tlsrpt"; boundary="b1"\r$/m);
  assert.match(mail, /^TLS-Report-Domain: example\.com\r$/m);
  assert.match(mail, /^TLS-Report-Submitter: sender\.example\r$/m);
  assert.match(mail, /^Subject: Report Domain: example\.com Submitter: sender\.example Report-ID: <r-2>\r$/m);
  assert.match(mail, /filename="sender\.example!example\.com!1725321600!1725407999![0-9a-f]{8}\.json\.gz"/);
  const back = parseTlsRptInput(Buffer.from(mail));
  assert.ok(back.ok);
  assert.equal(back.format, 'mail');
  assert.deepEqual(back.value, report);
  assert.throws(() => tlsRptMail({ report, submitter: 'x\r\nBcc: evil@example', policyDomain: 'example.com', from: 'a@b', to: 'c@d', date: 0 }), RangeError);
});
