// The daily TLS-RPT job: reports per policy domain from the collector, the rua from `_smtp._tls`, gzip files
// written once per day, the counts of old days pruned; the scheduler runs yesterday at start when it is due.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryTlsRptCollector } from '../../reports/tlsrpt/collector.js';
import { parseTlsRptInput } from '../../reports/tlsrpt/parse.js';
import { ZoneResolver } from '../../testing/zone-resolver.js';
import { buildDailyTlsRptReports, DAY_MS, KEEP_DAYS, REPORT_DELAY_MS, scheduleDailyTlsRpt, writeDailyTlsRptReports } from './tlsrpt-job.js';

const D0 = Date.UTC(2025, 0, 15);
const settings = { organizationName: 'Example Gateway', contactInfo: 'postmaster@gw.example', submitter: 'gw.example' };
const resolver = new ZoneResolver({ '_smtp._tls.a.test': [{ TXT: 'v=TLSRPTv1; rua=mailto:tlsrpt@a.test,https://r.a.test/v1' }] });

async function filled(): Promise<MemoryTlsRptCollector> {
  const c = new MemoryTlsRptCollector();
  const policy = (domain: string) => ({ policyType: 'sts' as const, policyString: ['version: STSv1', 'mode: enforce', `mx: mx.${domain}`, 'max_age: 86400'], policyDomain: domain, mxHost: [`mx.${domain}`] });
  await c.record({ at: D0 + 10, policy: policy('a.test'), result: { kind: 'success' } });
  await c.record({ at: D0 + 20, policy: policy('a.test'), result: { kind: 'failure', resultType: 'certificate-expired', receivingMxHostname: 'mx.a.test' } });
  await c.record({ at: D0 + 30, policy: policy('b.test'), result: { kind: 'success' } });
  await c.record({ at: D0 - 10 * DAY_MS, policy: policy('a.test'), result: { kind: 'success' } });
  return c;
}

test('builds one report per policy domain with the day range, counts and the rua (or why none)', async () => {
  const reports = await buildDailyTlsRptReports(D0, await filled(), resolver, settings);
  assert.deepEqual(reports.map((r) => r.policyDomain), ['a.test', 'b.test']);
  const [a, b] = reports;
  assert.equal(a?.report.dateRange.startDatetime, '2025-01-15T00:00:00Z');
  assert.equal(a?.report.dateRange.endDatetime, '2025-01-15T23:59:59Z');
  assert.deepEqual(a?.report.policies[0]?.summary, { totalSuccessfulSessionCount: 1, totalFailureSessionCount: 1 });
  assert.deepEqual(a?.rua, [{ scheme: 'mailto', uri: 'mailto:tlsrpt@a.test' }, { scheme: 'https', uri: 'https://r.a.test/v1' }]);
  assert.match(a?.filename ?? '', /^gw\.example!a\.test!1736899200!1736985599\.json\.gz$/);
  assert.deepEqual(b?.rua && 'none' in b.rua ? b.rua.none : undefined, 'no-record');
  // The gzip body is a report our own parser reads back.
  const parsed = parseTlsRptInput(a?.gzip ?? Buffer.alloc(0));
  assert.ok(parsed.ok);
  assert.equal(parsed.value.organizationName, 'Example Gateway');
});

test('writes the files once per day and prunes days older than KEEP_DAYS', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mailflow-tlsrpt-job-'));
  try {
    const collector = await filled();
    const written = await writeDailyTlsRptReports(D0, dir, collector, resolver, settings);
    assert.equal(written.length, 2);
    const files = readdirSync(dir).filter((f) => f.endsWith('.json.gz')).sort();
    assert.deepEqual(files, written.map((r) => r.filename).sort());
    assert.match(gunzipSync(readFileSync(join(dir, files[0] as string))).toString(), /"organization-name":"Example Gateway"/);
    assert.deepEqual(await writeDailyTlsRptReports(D0, dir, collector, resolver, settings), [], 'a day is built once');
    assert.deepEqual(await collector.domains(D0 - KEEP_DAYS * DAY_MS - 5 * DAY_MS, D0), [], 'old days pruned');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the scheduler runs yesterday at start once it is due, then waits for the next day', async () => {
  const days: number[] = [];
  const stop = scheduleDailyTlsRpt(() => D0 + REPORT_DELAY_MS + 1, (day) => {
    days.push(day);
    return Promise.resolve();
  }, (error) => assert.fail(String(error)));
  await new Promise((resolve) => setImmediate(resolve));
  stop();
  assert.deepEqual(days, [D0 - DAY_MS]);
});
