// The QueueStore + TraceStore contract: one list of assertions every implementation must pass (the embedded
// SQLite store today, PostgreSQL later). An implementation supplies `open(dir, clock)`; calling it twice
// with the same dir must reach the same data (that is how durability across restarts is checked).

import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../src/core/clock.js';
import type { NewMessage, QueueStore } from '../../src/gateway/queue/types.js';
import { QueueClosedError, QueueLeaseError } from '../../src/gateway/queue/types.js';
import type { TraceStore } from '../../src/gateway/trace/types.js';

export type ContractStore = QueueStore & TraceStore;
export type OpenStore = (dir: string, clock: ManualClock) => ContractStore | Promise<ContractStore>;

const T0 = Date.UTC(2025, 0, 15, 12, 0, 0);
const LEASE = 60_000;

export function message(overrides: Partial<NewMessage> = {}, from = 'alice@example.org', to = ['bob@example.com']): NewMessage {
  return {
    envelope: {
      mailFrom: from,
      recipients: to.map((address) => ({ address })),
      body: '8BITMIME',
      smtputf8: false,
    },
    client: { ip: '192.0.2.7', port: 40000, helo: 'client.example.org', listener: 'inbound' },
    receivedAt: T0,
    data: Buffer.from(`From: <${from}>\r\nSubject: test\r\n\r\nHello\r\n`),
    direction: 'outbound',
    ...overrides,
  };
}

/** Registers the contract suite for one implementation. */
export function queueStoreContract(name: string, open: OpenStore): void {
  describe(`QueueStore contract: ${name}`, () => {
    let dir: string;
    let clock: ManualClock;
    let store: ContractStore;

    beforeEach(async () => {
      dir = mkdtempSync(join(tmpdir(), 'mailflow-queue-contract-'));
      clock = new ManualClock(T0);
      store = await open(dir, clock);
    });
    afterEach(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });

    test('enqueue stores metadata, recipients and the exact body as incoming', async () => {
      const body = Buffer.concat([Buffer.from('Subject: x\r\n\r\n'), Buffer.from([0, 13, 10, 46, 13, 255, 10])]);
      const { id } = await store.enqueue(message({
        data: body,
        envelope: {
          mailFrom: 'alice@example.org',
          recipients: [{ address: 'bob@example.com', dsn: { notify: ['FAILURE', 'DELAY'], orcpt: 'rfc822;bob@example.com' } }, { address: 'carol@example.net' }],
          body: 'BINARYMIME',
          smtputf8: true,
          dsn: { ret: 'HDRS', envid: 'E1' },
        },
      }));
      const stored = await store.get(id);
      assert.ok(stored);
      assert.equal(stored.state, 'incoming');
      assert.equal(stored.kind, 'mail');
      assert.equal(stored.size, body.length);
      assert.equal(stored.queuedAt, T0);
      assert.deepEqual(stored.envelope, { mailFrom: 'alice@example.org', body: 'BINARYMIME', smtputf8: true, dsn: { ret: 'HDRS', envid: 'E1' } });
      assert.deepEqual(stored.recipients.map((r) => [r.index, r.address, r.status, r.attempts]), [
        [0, 'bob@example.com', 'pending', 0],
        [1, 'carol@example.net', 'pending', 0],
      ]);
      assert.deepEqual(stored.recipients[0]?.dsn, { notify: ['FAILURE', 'DELAY'], orcpt: 'rfc822;bob@example.com' });
      assert.deepEqual(await store.readBody(id), body);
    });

    test('concurrent enqueues all resolve with distinct ids and are all stored', async () => {
      const results = await Promise.all(Array.from({ length: 300 }, (_, i) => store.enqueue(message({ data: Buffer.from(`m${i}`) }))));
      const ids = new Set(results.map((r) => r.id));
      assert.equal(ids.size, 300);
      assert.equal((await store.counts()).incoming, 300);
    });

    test('a committed message survives closing and reopening the store', async () => {
      const { id } = await store.enqueue(message());
      await store.close();
      store = await open(dir, clock);
      assert.equal((await store.get(id))?.state, 'incoming');
      assert.ok(await store.readBody(id));
    });

    test('claim takes due messages under a lease, once', async () => {
      const a = await store.enqueue(message());
      const b = await store.enqueue(message());
      const claimed = await store.claim({ now: T0, limit: 10, owner: 'w1', leaseMs: LEASE });
      assert.deepEqual(claimed.map((m) => m.id).sort(), [a.id, b.id].sort());
      for (const m of claimed) {
        assert.equal(m.state, 'active');
        assert.deepEqual(m.lease, { owner: 'w1', until: T0 + LEASE });
      }
      assert.deepEqual(await store.claim({ now: T0, limit: 10, owner: 'w2', leaseMs: LEASE }), []);
    });

    test('claim respects the limit', async () => {
      for (let i = 0; i < 5; i++) await store.enqueue(message());
      assert.equal((await store.claim({ now: T0, limit: 3, owner: 'w', leaseMs: LEASE })).length, 3);
      assert.equal((await store.claim({ now: T0, limit: 3, owner: 'w', leaseMs: LEASE })).length, 2);
    });

    test('per-recipient updates are recorded; a wrong lease owner is refused', async () => {
      const { id } = await store.enqueue(message({}, 'a@example.org', ['x@example.com', 'y@example.com']));
      await store.claim({ now: T0, limit: 1, owner: 'w1', leaseMs: LEASE });
      const reply = { code: 550, enhanced: '5.1.1', text: 'no such user', remote: 'mx.example.com' };
      await store.updateRecipients(id, 'w1', [{ index: 0, status: 'delivered', reply: { code: 250, enhanced: '2.0.0', text: 'ok' } }, { index: 1, status: 'failed', reply }], T0 + 5);
      const stored = await store.get(id);
      assert.deepEqual(stored?.recipients.map((r) => [r.status, r.attempts, r.lastReply?.code, r.updatedAt]), [
        ['delivered', 1, 250, T0 + 5],
        ['failed', 1, 550, T0 + 5],
      ]);
      await assert.rejects(store.updateRecipients(id, 'intruder', [{ index: 0, status: 'failed' }], T0), QueueLeaseError);
      await assert.rejects(store.defer(id, 'intruder', T0, 'x'), QueueLeaseError);
      await assert.rejects(store.complete(id, 'intruder'), QueueLeaseError);
    });

    test('defer moves to deferred and the message is due again only at its next attempt time', async () => {
      const { id } = await store.enqueue(message());
      await store.claim({ now: T0, limit: 1, owner: 'w', leaseMs: LEASE });
      await store.defer(id, 'w', T0 + 300_000, '451 4.3.0 try later');
      const stored = await store.get(id);
      assert.equal(stored?.state, 'deferred');
      assert.equal(stored?.attempts, 1);
      assert.equal(stored?.nextAttemptAt, T0 + 300_000);
      assert.equal(stored?.reason, '451 4.3.0 try later');
      assert.equal(stored?.lease, undefined);
      assert.deepEqual(await store.claim({ now: T0 + 299_999, limit: 1, owner: 'w', leaseMs: LEASE }), []);
      assert.equal((await store.claim({ now: T0 + 300_000, limit: 1, owner: 'w', leaseMs: LEASE }))[0]?.id, id);
    });

    test('complete deletes message and body and sets the final trace status', async () => {
      const { id } = await store.enqueue(message({}, 'a@example.org', ['x@example.com', 'y@example.com']));
      await store.claim({ now: T0, limit: 1, owner: 'w', leaseMs: LEASE });
      await store.updateRecipients(id, 'w', [{ index: 0, status: 'delivered' }, { index: 1, status: 'failed' }], T0);
      await store.complete(id, 'w');
      assert.equal(await store.get(id), undefined);
      assert.equal(await store.readBody(id), undefined);
      const [trace] = await store.queryTrace({ id });
      assert.equal(trace?.status, 'partial');
      assert.equal(trace?.events.at(-1)?.kind, 'final');
    });

    test('hold and release; held and corrupt messages are never claimed', async () => {
      const held = await store.enqueue(message());
      const bad = await store.enqueue(message());
      assert.equal(await store.hold(held.id, 'operator'), true);
      await store.markCorrupt(bad.id, 'unreadable');
      assert.deepEqual(await store.claim({ now: T0 + 1e9, limit: 10, owner: 'w', leaseMs: LEASE }), []);
      assert.equal((await store.get(held.id))?.state, 'hold');
      assert.equal((await store.get(bad.id))?.state, 'corrupt');
      assert.equal(await store.hold(bad.id, 'x'), false);
      assert.equal(await store.hold('nosuchid', 'x'), false);
      assert.equal(await store.release(bad.id, T0), false);
      assert.equal(await store.release(held.id, T0 + 10), true);
      assert.equal((await store.get(held.id))?.state, 'deferred');
      assert.equal((await store.claim({ now: T0 + 10, limit: 10, owner: 'w', leaseMs: LEASE }))[0]?.id, held.id);
    });

    test('enqueue with hold commits the message directly in hold with its reason; never claimed until released', async () => {
      const reason = 'quarantine: dmarc p=quarantine for example.org';
      const held = await store.enqueue(message({ hold: reason, traceEvents: [{ kind: 'policy', data: { stage: 'inbound-auth', decision: 'quarantine' } }] }));
      const normal = await store.enqueue(message());
      const stored = await store.get(held.id);
      assert.equal(stored?.state, 'hold');
      assert.equal(stored?.reason, reason);
      assert.deepEqual((await store.list({ state: 'hold' })).map((m) => m.id), [held.id]);
      assert.deepEqual(await store.counts(), { incoming: 1, active: 0, deferred: 0, hold: 1, corrupt: 0 });
      assert.deepEqual((await store.claim({ now: T0 + 1e9, limit: 10, owner: 'w', leaseMs: LEASE })).map((m) => m.id), [normal.id]);
      // Start-up recovery leaves it where it is, whatever the leases.
      assert.equal(await store.recover(T0 + 1e9, { allLeases: true }), 1);
      assert.equal((await store.get(held.id))?.state, 'hold');
      const [trace] = await store.queryTrace({ id: held.id });
      assert.equal(trace?.status, 'held');
      assert.deepEqual(trace?.events.map((e) => e.kind), ['connection', 'envelope', 'policy', 'queue']);
      assert.deepEqual(trace?.events.at(-1)?.data, { state: 'hold', reason });
      assert.deepEqual(await store.readBody(held.id), message().data);
      // The survives-a-restart property holds for held messages too.
      await store.close();
      store = await open(dir, clock);
      assert.equal((await store.get(held.id))?.state, 'hold');
      assert.equal(await store.release(held.id, T0 + 10), true);
      assert.equal((await store.claim({ now: T0 + 10, limit: 10, owner: 'w2', leaseMs: LEASE }))[0]?.id, held.id);
    });

    test('the tlsReport mark survives the store (and a reopen); other messages have none', async () => {
      const report = await store.enqueue(message({ tlsReport: true }));
      const plain = await store.enqueue(message());
      await store.close();
      store = await open(dir, clock);
      assert.equal((await store.get(report.id))?.envelope.tlsReport, true);
      assert.equal((await store.get(plain.id))?.envelope.tlsReport, undefined);
      assert.equal((await store.claim({ now: T0, limit: 10, owner: 'w', leaseMs: LEASE })).find((m) => m.id === report.id)?.envelope.tlsReport, true);
    });

    test('discard drops a message that is not being delivered; the trace keeps why', async () => {
      const held = await store.enqueue(message({ hold: 'quarantine: dmarc p=quarantine for example.org' }));
      const waiting = await store.enqueue(message());
      const active = await store.enqueue(message());
      await store.hold(waiting.id, 'x');
      await store.release(waiting.id, T0);
      assert.deepEqual((await store.claim({ now: T0, limit: 10, owner: 'w', leaseMs: LEASE })).map((m) => m.id).sort(), [waiting.id, active.id].sort());
      await store.defer(waiting.id, 'w', T0 + 60_000, '451 try later');
      assert.equal(await store.discard(held.id, 'spam, checked by hand'), true);
      assert.equal(await store.discard(waiting.id, 'sender asked'), true);
      // Active (being delivered) and unknown messages are not dropped.
      assert.equal(await store.discard(active.id, 'x'), false);
      assert.equal(await store.discard('nosuchid', 'x'), false);
      assert.equal(await store.discard(held.id, 'again'), false);
      assert.equal(await store.get(held.id), undefined);
      assert.equal(await store.readBody(held.id), undefined);
      assert.equal((await store.get(active.id))?.state, 'active');
      assert.deepEqual(await store.counts(), { incoming: 0, active: 1, deferred: 0, hold: 0, corrupt: 0 });
      const [trace] = await store.queryTrace({ id: held.id });
      assert.equal(trace?.status, 'dropped');
      assert.deepEqual(trace?.events.at(-1)?.data, { status: 'dropped', reason: 'spam, checked by hand', from: 'hold' });
      const [deferred] = await store.queryTrace({ id: waiting.id });
      assert.deepEqual(deferred?.events.at(-1)?.data, { status: 'dropped', reason: 'sender asked', from: 'deferred' });
    });

    test('recover requeues active messages whose lease expired, and only those', async () => {
      const fresh = await store.enqueue(message());
      const tried = await store.enqueue(message());
      await store.claim({ now: T0, limit: 2, owner: 'dead', leaseMs: LEASE });
      await store.defer(tried.id, 'dead', T0, 'x');
      await store.claim({ now: T0, limit: 1, owner: 'dead', leaseMs: LEASE }); // `tried` again, attempts 1
      const live = await store.enqueue(message());
      await store.claim({ now: T0 + LEASE, limit: 1, owner: 'alive', leaseMs: LEASE }); // `live`, lease to T0+2L
      assert.equal(await store.recover(T0 + LEASE + 1), 2);
      assert.equal((await store.get(fresh.id))?.state, 'incoming');
      assert.equal((await store.get(tried.id))?.state, 'deferred');
      assert.equal((await store.get(live.id))?.state, 'active');
      assert.equal((await store.get(fresh.id))?.nextAttemptAt, T0 + LEASE + 1);
    });

    test('list and counts by state', async () => {
      const a = await store.enqueue(message());
      await store.enqueue(message());
      await store.hold(a.id, 'x');
      assert.deepEqual(await store.counts(), { incoming: 1, active: 0, deferred: 0, hold: 1, corrupt: 0 });
      assert.deepEqual((await store.list({ state: 'hold' })).map((m) => m.id), [a.id]);
      assert.equal((await store.list()).length, 2);
    });

    test('trace: events in order and queries by sender, recipient, domain, time and id', async () => {
      const a = await store.enqueue(message({
        traceEvents: [{ kind: 'policy', data: { stage: 'spf', decision: 'accept', result: 'pass' } }],
      }, 'Alice@Example.org', ['bob@example.com']));
      clock.advance(1000);
      const b = await store.enqueue(message({ receivedAt: T0 + 1000 }, 'zed@other.test', ['carol@example.net']));
      const [trace] = await store.queryTrace({ id: a.id });
      assert.deepEqual(trace?.events.map((e) => e.kind), ['connection', 'envelope', 'policy', 'queue']);
      assert.equal(trace?.status, 'queued');
      assert.equal(trace?.clientIp, '192.0.2.7');
      assert.deepEqual(trace?.recipients, ['bob@example.com']);
      const ids = async (q: Parameters<TraceStore['queryTrace']>[0]): Promise<string[]> => (await store.queryTrace(q)).map((m) => m.id);
      assert.deepEqual(await ids({ from: 'alice@example.org' }), [a.id]);
      assert.deepEqual(await ids({ from: '@example.org' }), [a.id]);
      assert.deepEqual(await ids({ to: 'CAROL@example.net' }), [b.id]);
      assert.deepEqual(await ids({ to: '@example.com' }), [a.id]);
      assert.deepEqual(await ids({ since: T0 + 1 }), [b.id]);
      assert.deepEqual(await ids({}), [b.id, a.id]);
      assert.deepEqual(await ids({ from: 'alice@example.org', to: 'carol@example.net' }), []);
      await store.appendTrace(a.id, [{ kind: 'attempt', data: { mx: 'mx.example.com', ip: '192.0.2.1', reply: '250 ok' } }]);
      assert.equal((await store.queryTrace({ id: a.id }))[0]?.events.at(-1)?.data.mx, 'mx.example.com');
    });

    test('trace outlives the message and is pruned only when final', async () => {
      const { id } = await store.enqueue(message());
      await store.claim({ now: T0, limit: 1, owner: 'w', leaseMs: LEASE });
      await store.updateRecipients(id, 'w', [{ index: 0, status: 'delivered' }], T0);
      await store.complete(id, 'w');
      const queued = await store.enqueue(message());
      assert.equal((await store.queryTrace({ id }))[0]?.status, 'delivered');
      assert.equal(await store.pruneTrace(T0 + 1), 1);
      assert.deepEqual(await store.queryTrace({ id }), []);
      assert.equal((await store.queryTrace({ id: queued.id })).length, 1);
    });

    test('a closed store rejects with QueueClosedError', async () => {
      await store.close();
      await assert.rejects(store.enqueue(message()), QueueClosedError);
      await assert.rejects(store.get('x'), QueueClosedError);
      store = await open(dir, clock);
    });
  });
}
