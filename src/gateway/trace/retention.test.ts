// Trace retention over a real queue database: finished trails older than the retention go, in batches;
// newer ones and those of messages still queued stay; the timer runs and stops.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../core/clock.js';
import { SqliteQueueStore } from '../../adapters/storage/sqlite/queue-store.js';
import { DAY_MS, pruneTraceOnce, startTracePruning } from './retention.js';

const T0 = Date.UTC(2026, 0, 1);

test('finished trails older than the retention are pruned in batches; recent and queued ones stay', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mailflow-trace-retention-'));
  const clock = new ManualClock(T0);
  const store = SqliteQueueStore.openInDataDir(dir, { clock, checkpoints: 'auto' });
  try {
    const enqueue = (receivedAt: number) => store.enqueue({
      envelope: { mailFrom: 'a@example.com', recipients: [{ address: 'b@example.org' }], body: '7BIT', smtputf8: false },
      client: { ip: '192.0.2.1', port: 1, helo: 'h', listener: 'inbound' }, receivedAt, data: Buffer.from('x'), direction: 'inbound',
    });
    const old: string[] = [];
    for (let k = 0; k < 7; k++) {
      const { id } = await enqueue(T0);
      await store.discard(id, 'finished');
      old.push(id);
    }
    const stillQueued = await enqueue(T0);
    const { id: recent } = await enqueue(T0 + 25 * DAY_MS);
    await store.discard(recent, 'finished');
    clock.set(T0 + 31 * DAY_MS);
    assert.equal(await pruneTraceOnce(store, clock, 30, 3), 7);
    for (const id of old) assert.deepEqual(await store.queryTrace({ id }), []);
    assert.equal((await store.queryTrace({ id: stillQueued.id })).length, 1);
    assert.equal((await store.queryTrace({ id: recent })).length, 1);
    assert.equal(await pruneTraceOnce(store, clock, 30, 3), 0);
    // The timer: stop() before the first run leaves everything; it resolves at once.
    const reports: number[] = [];
    const stop = startTracePruning(store, clock, 1, (n) => reports.push(n), (e) => assert.fail(String(e)));
    await stop();
    assert.deepEqual(reports, []);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
