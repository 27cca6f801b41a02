// The delivery engine end to end on loopback: the SQLite queue, MX records from TestDnsServer over the wire,
// and SmtpSink servers on 127.0.0.x answering per recipient.

import { describe, test, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../core/clock.js';
import { TestDnsServer } from '../../testing/dns-server.js';
import { TestPki } from '../../testing/test-pki.js';
import { createResolver } from '../../adapters/dns/index.js';
import { SqliteQueueStore } from '../../adapters/storage/sqlite/queue-store.js';
import type { NewMessage } from '../queue/types.js';
import { RETRY_MIN_BACKOFF_MS, DEFAULT_RETRY_SCHEDULE } from '../queue/retry.js';
import { DeliveryEngine, type DeliveryEngineOptions } from './engine.js';
import { SmtpSink } from './testing/smtp-sink.js';

const T0 = Date.UTC(2025, 0, 15, 12);

function msg(from: string, to: string[], extra: Partial<NewMessage> = {}): NewMessage {
  return {
    envelope: { mailFrom: from, recipients: to.map((address) => ({ address })), body: '8BITMIME', smtputf8: false },
    client: { ip: '192.0.2.9', port: 1234, helo: 'c.example', listener: 'submission' },
    receivedAt: T0,
    data: Buffer.from(`From: <${from}>\r\nSubject: hi\r\n\r\n.leading dot\r\nbody\r\n`),
    direction: 'outbound',
    ...extra,
  };
}

describe('DeliveryEngine', () => {
  let dns: TestDnsServer;
  let sink: SmtpSink;
  let dir: string;
  let clock: ManualClock;
  let store: SqliteQueueStore;
  const engines: DeliveryEngine[] = [];

  before(async () => {
    sink = await SmtpSink.start({
      rcptReply: (a) => (a.startsWith('unknown@') ? '550 5.1.1 no such user' : a.startsWith('busy@') ? '451 4.2.1 mailbox busy' : '250 2.1.5 ok'),
    });
    dns = await TestDnsServer.start({
      'example.com': [{ MX: [10, 'mx.example.com'] }],
      'mx.example.com': [{ A: '127.0.0.1' }],
      'implicit.test': [{ A: '127.0.0.1' }],
      'nullmx.test': [{ MX: [0, '.'] }],
      'pref.test': [{ MX: [20, 'mx.example.com'] }, { MX: [10, 'dead.pref.test'] }],
      'dead.pref.test': [{ A: '127.0.0.3' }],
      'servfail.test': ['SERVFAIL'],
      'sender.test': [{ MX: [10, 'mx.example.com'] }],
    });
  });
  after(async () => {
    await sink.stop();
    await dns.stop();
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mailflow-engine-'));
    clock = new ManualClock(T0);
    store = SqliteQueueStore.openInDataDir(dir, { clock, checkpoints: 'auto' });
    sink.transactions.length = 0;
  });
  afterEach(async () => {
    for (const engine of engines.splice(0)) await engine.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function engine(overrides: Partial<DeliveryEngineOptions> = {}): DeliveryEngine {
    const e = new DeliveryEngine({
      store,
      clock,
      resolver: createResolver({ servers: [`127.0.0.1:${dns.port}`], cache: false, timeoutMs: 500, attempts: 1 }),
      hostname: 'gw.mailflow.test',
      isLocalDomain: (d) => d === 'mailflow.test',
      inbound: { kind: 'maildir', dataDir: dir },
      outbound: { port: sink.port, connectTimeoutMs: 2_000 },
      ...overrides,
    });
    engines.push(e);
    return e;
  }

  test('delivers to the MX with a verdict per recipient; 5xx bounces, 4xx defers with backoff', async () => {
    const { id } = await store.enqueue(msg('alice@sender.test', ['bob@example.com', 'unknown@example.com', 'busy@example.com']));
    await engine().runOnce();
    const got = sink.receivedBy('bob@example.com');
    assert.equal(got.length, 1);
    assert.equal(got[0]?.data.toString(), `From: <alice@sender.test>\r\nSubject: hi\r\n\r\n.leading dot\r\nbody\r\n`);
    const queued = await store.get(id);
    assert.equal(queued?.state, 'deferred');
    assert.equal(queued?.nextAttemptAt, T0 + RETRY_MIN_BACKOFF_MS);
    assert.deepEqual(queued?.recipients.map((r) => [r.status, r.lastReply?.code, r.lastReply?.enhanced]), [
      ['delivered', 250, '2.0.0'],
      ['failed', 550, '5.1.1'],
      ['pending', 451, '4.2.1'],
    ]);
    const dsns = (await store.list()).filter((m) => m.kind === 'dsn');
    assert.equal(dsns.length, 1);
    assert.equal(dsns[0]?.envelope.mailFrom, '');
    assert.deepEqual(dsns[0]?.recipients.map((r) => r.address), ['alice@sender.test']);
    const report = (await store.readBody(dsns[0]?.id as string))?.toString() ?? '';
    assert.match(report, /Content-Type: multipart\/report; report-type=delivery-status/);
    assert.match(report, /Content-Type: message\/delivery-status\r\n\r\nReporting-MTA: dns; gw\.mailflow\.test/);
    assert.match(report, /Final-Recipient: rfc822; unknown@example\.com\r\nAction: failed\r\nStatus: 5\.1\.1\r\nRemote-MTA: dns; mx\.example\.com/);
    assert.doesNotMatch(report, /busy@example\.com\r\nAction/);
    const [trace] = await store.queryTrace({ id });
    const attempt = trace?.events.find((e) => e.kind === 'attempt');
    assert.equal(attempt?.data.mx, 'mx.example.com');
    assert.equal(attempt?.data.ip, '127.0.0.1');
  });

  test('the DSN is then delivered to the sender from the null sender; the 4xx recipient is retried when due', async () => {
    const { id } = await store.enqueue(msg('alice@sender.test', ['unknown@example.com', 'busy@example.com']));
    const e = engine();
    await e.drain();
    const bounce = sink.receivedBy('alice@sender.test');
    assert.equal(bounce.length, 1);
    assert.equal(bounce[0]?.mailFrom, '');
    clock.advance(RETRY_MIN_BACKOFF_MS);
    await e.drain();
    assert.equal((await store.get(id))?.attempts, 2);
    assert.equal((await store.get(id))?.nextAttemptAt, clock.now() + 2 * RETRY_MIN_BACKOFF_MS);
  });

  test('implicit MX, preference order with fallback past a dead host, null MX and NXDOMAIN fail permanently', async () => {
    const a = await store.enqueue(msg('', ['x@implicit.test', 'y@pref.test', 'z@nullmx.test', 'w@nosuch.test']));
    await engine().drain();
    assert.equal(sink.receivedBy('x@implicit.test').length, 1);
    assert.equal(sink.receivedBy('y@pref.test').length, 1);
    const [trace] = await store.queryTrace({ id: a.id });
    assert.equal(trace?.status, 'partial');
    const statuses = trace?.events.filter((e) => e.kind === 'status').map((e) => [e.data.recipient, e.data.code, e.data.enhanced]);
    assert.deepEqual(new Set(statuses?.map((s) => JSON.stringify(s))), new Set([
      ['x@implicit.test', 250, '2.0.0'],
      ['y@pref.test', 250, '2.0.0'],
      ['z@nullmx.test', 556, '5.1.10'],
      ['w@nosuch.test', 550, '5.1.2'],
    ].map((s) => JSON.stringify(s))));
    const dead = trace?.events.find((e) => e.kind === 'attempt' && e.data.ip === '127.0.0.3');
    assert.ok(dead, 'the preferred dead MX was tried first');
    // Null sender: never a bounce.
    assert.equal((await store.list()).length, 0);
  });

  test('DNS failure defers; past the maximum age pending recipients fail and bounce', async () => {
    const { id } = await store.enqueue(msg('alice@sender.test', ['a@servfail.test']));
    const e = engine();
    await e.runOnce();
    assert.equal((await store.get(id))?.state, 'deferred');
    assert.equal((await store.get(id))?.recipients[0]?.lastReply?.enhanced, '4.4.3');
    clock.advance(DEFAULT_RETRY_SCHEDULE.maxAgeMs);
    await e.drain();
    assert.equal(await store.get(id), undefined);
    const bounce = sink.receivedBy('alice@sender.test');
    assert.equal(bounce.length, 1);
    assert.match(bounce[0]?.data.toString() ?? '', /Status: 5\.4\.7/);
  });

  test('a delay DSN is sent once after the warning time, when NOTIFY allows', async () => {
    const { id } = await store.enqueue(msg('alice@sender.test', ['busy@example.com']));
    const e = engine();
    await e.runOnce();
    clock.advance(DEFAULT_RETRY_SCHEDULE.delayWarningMs);
    await e.drain();
    clock.advance(DEFAULT_RETRY_SCHEDULE.delayWarningMs);
    await e.drain();
    const notes = sink.receivedBy('alice@sender.test');
    assert.equal(notes.length, 1);
    assert.match(notes[0]?.data.toString() ?? '', /Action: delayed[\s\S]*Will-Retry-Until/);
    assert.equal((await store.get(id))?.delayNotified, true);
  });

  test('a DSN that cannot be delivered is held, never bounced', async () => {
    await store.enqueue(msg('unknown@example.com', ['nobody@nullmx.test']));
    await engine().drain();
    const held = await store.list({ state: 'hold' });
    assert.equal(held.length, 1);
    assert.equal(held[0]?.kind, 'dsn');
    assert.equal((await store.list()).length, 1);
  });

  test('reuses connections and keeps to the per-destination concurrency limit', async () => {
    const before = sink.connections;
    for (let i = 0; i < 6; i++) await store.enqueue(msg('', [`r${i}@example.com`]));
    await engine({ pool: { perDestination: 1 } }).drain();
    assert.equal(sink.transactions.length, 6);
    assert.equal(sink.connections - before, 1);
  });

  test('smart host takes every domain', async () => {
    await store.enqueue(msg('', ['a@nullmx.test', 'b@nosuch.test']));
    await engine({ outbound: { smartHost: { host: '127.0.0.1', port: sink.port } } }).drain();
    assert.equal(sink.transactions.length, 1);
    assert.deepEqual(sink.transactions[0]?.recipients, ['a@nullmx.test', 'b@nosuch.test']);
  });

  test('inbound mail goes to Maildir: tmp → new, with Return-Path and Delivered-To', async () => {
    const { id } = await store.enqueue(msg('alice@sender.test', ['postmaster@mailflow.test'], { direction: 'inbound' }));
    await engine().drain();
    const box = join(dir, 'mailboxes', 'postmaster@mailflow.test');
    const files = readdirSync(join(box, 'new'));
    assert.equal(files.length, 1);
    assert.deepEqual(readdirSync(join(box, 'tmp')), []);
    const text = readFileSync(join(box, 'new', files[0] as string), 'utf8');
    assert.match(text, /^Return-Path: <alice@sender\.test>\r\nDelivered-To: postmaster@mailflow\.test\r\nFrom:/);
    assert.equal((await store.queryTrace({ id }))[0]?.status, 'delivered');
  });

  test('inbound relay over LMTP takes a reply per recipient', async () => {
    const lmtp = await SmtpSink.start({ lmtp: true, dataReply: (r) => (r.startsWith('full') ? '452 4.2.2 over quota' : '250 2.0.0 saved') });
    try {
      const { id } = await store.enqueue(msg('', ['ok@mailflow.test', 'full@mailflow.test'], { direction: 'inbound' }));
      await engine({ inbound: { kind: 'lmtp', host: '127.0.0.1', port: lmtp.port } }).drain();
      assert.deepEqual((await store.get(id))?.recipients.map((r) => r.status), ['delivered', 'pending']);
    } finally {
      await lmtp.stop();
    }
  });

  test('opportunistic STARTTLS is used when offered, and the trace says so', async () => {
    const pki = new TestPki();
    const root = pki.createRoot();
    const leaf = pki.issue(root, { dnsNames: ['mx.example.com'] });
    const tlsSink = await SmtpSink.start({ tls: { key: leaf.keyPem, cert: leaf.certPem } });
    try {
      const { id } = await store.enqueue(msg('', ['t@example.com']));
      await engine({ outbound: { port: tlsSink.port } }).drain();
      assert.equal(tlsSink.transactions[0]?.tls, true);
      const attempt = (await store.queryTrace({ id }))[0]?.events.find((e) => e.kind === 'attempt');
      assert.match(String(attempt?.data.tls), /^TLSv1\.[23] /);
    } finally {
      await tlsSink.stop();
      pki.dispose();
    }
  });

  test('delivers on port 25 to another loopback address (127.0.0.2:25), as the real world does', async (t) => {
    let port25: SmtpSink;
    try {
      port25 = await SmtpSink.start({ host: '127.0.0.2', port: 25 });
    } catch (error) {
      t.skip(`cannot bind 127.0.0.2:25 (${(error as Error).message}); needs root or CAP_NET_BIND_SERVICE`);
      return;
    }
    const zone = await TestDnsServer.start({ 'port25.test': [{ MX: [10, 'mx.port25.test'] }], 'mx.port25.test': [{ A: '127.0.0.2' }] });
    try {
      await store.enqueue(msg('', ['someone@port25.test']));
      await engine({ resolver: createResolver({ servers: [`127.0.0.1:${zone.port}`], cache: false }), outbound: {} }).drain();
      assert.equal(port25.receivedBy('someone@port25.test').length, 1);
    } finally {
      await port25.stop();
      await zone.stop();
    }
  });
});
