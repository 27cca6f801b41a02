import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DmarcRecordRow } from '../../../gateway/reports/dmarc-records.js';
import { SqliteDmarcRecordStore } from './dmarc-store.js';

const DAY = 86_400_000;
const D0 = Date.UTC(2026, 2, 10);

function row(ip: string, disposition: 'pass' | 'reject'): DmarcRecordRow {
  return {
    policyDomain: 'example.com',
    record: {
      sourceIp: ip,
      policyEvaluated: { disposition, dkim: 'fail', spf: disposition === 'pass' ? 'pass' : 'fail', reasons: [] },
      identifiers: { headerFrom: 'example.com', envelopeFrom: 'example.com' },
      authResults: { dkim: [], spf: [{ domain: 'example.com', scope: 'mfrom', result: disposition === 'pass' ? 'pass' : 'fail' }] },
    },
  };
}

test('SqliteDmarcRecordStore: identical rows are summed per day across flushes and reopening; prune drops old days', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mailflow-dmarc-store-'));
  try {
    const path = join(dir, 'queue.sqlite');
    const store = new SqliteDmarcRecordStore({ path });
    store.record(row('192.0.2.1', 'pass'), D0 + 1000);
    store.record(row('192.0.2.1', 'pass'), D0 + 2000);
    store.flush();
    store.record(row('192.0.2.1', 'pass'), D0 + 3000);
    store.record(row('192.0.2.9', 'reject'), D0 + 4000);
    store.record(row('192.0.2.1', 'pass'), D0 - DAY * 10);
    store.close();
    const again = new SqliteDmarcRecordStore({ path });
    assert.deepEqual(await again.domains(D0, D0 + DAY), ['example.com']);
    const records = await again.collect('EXAMPLE.com', D0, D0 + DAY);
    assert.deepEqual(records.map((r) => [r.sourceIp, r.count, r.policyEvaluated.disposition]), [['192.0.2.1', 3, 'pass'], ['192.0.2.9', 1, 'reject']]);
    await again.prune(D0 - DAY);
    assert.deepEqual(await again.domains(0, D0), []);
    assert.equal((await again.collect('example.com', D0, D0 + DAY)).length, 2);
    again.close();
    assert.throws(() => again.record(row('192.0.2.1', 'pass'), D0), /closed/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
