// One suite for both TLS-RPT collectors (in memory and SQLite), plus what only the SQLite one promises: counts
// survive a reopen, and the table lives beside the queue in the same database file without disturbing it.

import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryTlsRptCollector } from '../../../reports/tlsrpt/collector.js';
import type { TlsRptCollector, TlsRptPolicyRef, TlsSessionOutcome } from '../../../reports/tlsrpt/types.js';
import { SqliteQueueStore } from './queue-store.js';
import { SqliteTlsRptCollector } from './tlsrpt-store.js';

const DAY = 86_400_000;
const D0 = Date.UTC(2025, 0, 15);
const dir = mkdtempSync(join(tmpdir(), 'mailflow-tlsrpt-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const sts = { policyType: 'sts' as const, policyString: ['version: STSv1', 'mode: enforce', 'mx: mx.a.test', 'max_age: 86400'], policyDomain: 'A.test', mxHost: ['mx.a.test'] };
const tlsa = { policyType: 'tlsa' as const, policyString: ['3 1 1 abcd'], policyDomain: 'b.test', mxHost: ['mx.b.test'] };
const ok = (at: number, policy: TlsRptPolicyRef = sts): TlsSessionOutcome => ({ at, policy, result: { kind: 'success' } });
const bad = (at: number, resultType: string, policy: TlsRptPolicyRef = sts): TlsSessionOutcome => ({
  at, policy, result: { kind: 'failure', resultType, receivingMxHostname: 'mx.a.test', receivingIp: '192.0.2.1', failureReasonCode: 'verify', additionalInformation: 'x' },
});

let n = 0;
const implementations: [string, () => TlsRptCollector & { close?: () => void }][] = [
  ['MemoryTlsRptCollector', () => new MemoryTlsRptCollector()],
  ['SqliteTlsRptCollector', () => new SqliteTlsRptCollector({ path: join(dir, `c${++n}.sqlite`) })],
];

for (const [name, make] of implementations) {
  describe(`TLS-RPT collector contract: ${name}`, () => {
    test('counts per policy and day, failure details merged by their fields', async () => {
      const c = make();
      await c.record(ok(D0 + 1));
      await c.record(ok(D0 + 2));
      await c.record(bad(D0 + 3, 'certificate-host-mismatch'));
      await c.record(bad(D0 + 4, 'certificate-host-mismatch'));
      await c.record(bad(D0 + 5, 'starttls-not-supported'));
      await c.record(ok(D0 + 6, tlsa));
      await c.record(ok(D0 + DAY + 1));
      assert.deepEqual(await c.domains(D0, D0 + DAY), ['a.test', 'b.test']);
      const [result, ...rest] = await c.collect('a.test', D0, D0 + DAY);
      assert.equal(rest.length, 0);
      assert.equal(result?.policy.policyDomain, 'a.test');
      assert.deepEqual(result?.policy.mxHost, ['mx.a.test']);
      assert.deepEqual(result?.summary, { totalSuccessfulSessionCount: 2, totalFailureSessionCount: 3 });
      const details = Object.fromEntries((result?.failureDetails ?? []).map((d) => [d.resultType, d.failedSessionCount]));
      assert.deepEqual(details, { 'certificate-host-mismatch': 2, 'starttls-not-supported': 1 });
      assert.equal(result?.failureDetails[0]?.receivingIp, '192.0.2.1');
      assert.deepEqual((await c.collect('a.test', D0, D0 + 2 * DAY))[0]?.summary, { totalSuccessfulSessionCount: 3, totalFailureSessionCount: 3 });
      await c.prune(D0 + DAY);
      assert.deepEqual(await c.domains(D0, D0 + 2 * DAY), ['a.test']);
      assert.deepEqual((await c.collect('a.test', D0, D0 + 2 * DAY))[0]?.summary, { totalSuccessfulSessionCount: 1, totalFailureSessionCount: 0 });
      c.close?.();
    });
  });
}

test('SqliteTlsRptCollector: counts survive a reopen and sit beside the queue in its database file', async () => {
  const queue = SqliteQueueStore.openInDataDir(dir, { checkpoints: 'auto' });
  const path = join(dir, 'queue.sqlite');
  const first = new SqliteTlsRptCollector({ path });
  await first.record(ok(D0));
  await first.record(bad(D0, 'tlsa-invalid', tlsa));
  first.close();
  await queue.enqueue({
    envelope: { mailFrom: 'a@x.test', recipients: [{ address: 'b@y.test' }], body: '8BITMIME', smtputf8: false },
    client: { ip: '127.0.0.1', port: 1, helo: 'x', listener: 'test' }, receivedAt: D0, data: Buffer.from('x\r\n'), direction: 'outbound',
  });
  const again = new SqliteTlsRptCollector({ path });
  assert.deepEqual(await again.domains(D0, D0 + DAY), ['a.test', 'b.test']);
  assert.deepEqual((await again.collect('b.test', D0, D0 + DAY))[0]?.failureDetails.map((d) => [d.resultType, d.failedSessionCount]), [['tlsa-invalid', 1]]);
  again.close();
  assert.equal((await queue.list()).length, 1);
  await queue.close();
});
