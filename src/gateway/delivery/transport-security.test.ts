// Delivery under the TLS policy engine, with real parts: the SQLite queue, TestDnsServer over the wire (MX,
// TLSA and _mta-sts TXT, the AD bit from SECURE), a real HTTPS server for the MTA-STS policy (the test CA
// passed as an extra CA), and SmtpSink servers on 127.0.0.1 with TestPki certificates. Each case checks the
// per-recipient status, the trace's attempt event and what the server saw (no plaintext where forbidden);
// the last case checks what the TLS-RPT collector counted across them.

import { describe, test, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../core/clock.js';
import { createResolver } from '../../adapters/dns/index.js';
import { createHttpsFetcher } from '../../adapters/https/index.js';
import { SqliteQueueStore } from '../../adapters/storage/sqlite/queue-store.js';
import { MemoryMtaStsCache } from '../../transport/mta-sts/cache.js';
import { MemoryTlsRptCollector } from '../../reports/tlsrpt/collector.js';
import { TestDnsServer } from '../../testing/dns-server.js';
import { TestHttpsServer } from '../../testing/https-server.js';
import { TestPki, type TestCertificate } from '../../testing/test-pki.js';
import type { TlsPolicyConfig } from '../../transport/tls-policy/types.js';
import { DEFAULT_RETRY_SCHEDULE } from '../queue/retry.js';
import type { NewMessage } from '../queue/types.js';
import type { TraceEvent } from '../trace/types.js';
import { DeliveryEngine, type DeliveryEngineOptions } from './engine.js';
import { SmtpSink } from './testing/smtp-sink.js';
import { policyEngineTls } from './tls-policy.js';

const MX_NAMES = ['mx.partner.test', 'mx.dane.test', 'mx.danebad.test', 'mx1.sts.test', 'mx2.sts.test', 'mx.plain.test', 'relay.test'];

describe('delivery under the TLS policy engine', () => {
  let pki: TestPki;
  let root: TestCertificate;
  let good: TestCertificate;
  let wrong: TestCertificate;
  let dns: TestDnsServer;
  let https: TestHttpsServer;
  let tlsGood: SmtpSink;
  let tlsWrong: SmtpSink;
  let plain: SmtpSink;
  let dir: string;
  let clock: ManualClock;
  let store: SqliteQueueStore;
  const collector = new MemoryTlsRptCollector();
  const engines: DeliveryEngine[] = [];

  before(async () => {
    pki = new TestPki();
    root = pki.createRoot('delivery tls root');
    good = pki.issue(root, { dnsNames: MX_NAMES });
    wrong = pki.issue(root, { dnsNames: ['other.test'] });
    const stsHost = pki.issue(root, { dnsNames: ['mta-sts.sts.test'] });
    const spki = (cert: TestCertificate): string => createHash('sha256').update(cert.x509.publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
    tlsGood = await SmtpSink.start({ tls: { key: good.keyPem, cert: good.certPem } });
    tlsWrong = await SmtpSink.start({ tls: { key: wrong.keyPem, cert: wrong.certPem } });
    plain = await SmtpSink.start();
    https = await TestHttpsServer.start({ 'mta-sts.sts.test': stsHost }, stsHost);
    https.routes.set('mta-sts.sts.test', { body: 'version: STSv1\r\nmode: enforce\r\nmx: mx2.sts.test\r\nmax_age: 86400\r\n' });
    dns = await TestDnsServer.start({
      'partner.test': [{ MX: [10, 'mx.partner.test'] }],
      'mx.partner.test': [{ A: '127.0.0.1' }],
      'dane.test': [{ MX: [10, 'mx.dane.test'] }, 'SECURE'],
      'mx.dane.test': [{ A: '127.0.0.1' }, 'SECURE'],
      '_25._tcp.mx.dane.test': [{ TLSA: { usage: 3, selector: 1, matchingType: 1, data: spki(good) } }, 'SECURE'],
      'danebad.test': [{ MX: [10, 'mx.danebad.test'] }, 'SECURE'],
      'mx.danebad.test': [{ A: '127.0.0.1' }, 'SECURE'],
      '_25._tcp.mx.danebad.test': [{ TLSA: { usage: 3, selector: 1, matchingType: 1, data: spki(wrong) } }, 'SECURE'],
      'sts.test': [{ MX: [10, 'mx1.sts.test'] }, { MX: [20, 'mx2.sts.test'] }],
      'mx1.sts.test': [{ A: '127.0.0.1' }],
      'mx2.sts.test': [{ A: '127.0.0.1' }],
      '_mta-sts.sts.test': [{ TXT: 'v=STSv1; id=20250115' }],
      'mta-sts.sts.test': [{ A: '127.0.0.1' }],
      'plain.test': [{ MX: [10, 'mx.plain.test'] }],
      'mx.plain.test': [{ A: '127.0.0.1' }],
      'relay.test': [{ A: '127.0.0.1' }],
    });
  });
  after(async () => {
    await Promise.all([tlsGood.stop(), tlsWrong.stop(), plain.stop(), https.stop(), dns.stop()]);
    pki.dispose();
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mailflow-tls-delivery-'));
    // Certificates are valid from now: the clock must be near the real time for their dates to check.
    clock = new ManualClock(Date.now());
    store = SqliteQueueStore.openInDataDir(dir, { clock, checkpoints: 'auto' });
  });
  afterEach(async () => {
    for (const engine of engines.splice(0)) await engine.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function engine(port: number, config: Partial<TlsPolicyConfig> = {}, overrides: Partial<DeliveryEngineOptions> = {}): DeliveryEngine {
    const resolver = createResolver({ servers: [`127.0.0.1:${dns.port}`], cache: false, timeoutMs: 1_000, attempts: 1 });
    const fetcher = createHttpsFetcher({ extraCa: [root.certPem], lookup: () => Promise.resolve({ address: '127.0.0.1', family: 4 }), portOverride: https.port });
    const policy: TlsPolicyConfig = { defaultTls: 'opportunistic', minTlsVersion: 'TLSv1.2', mandatory: [], ...config };
    const e = new DeliveryEngine({
      store, clock, resolver,
      hostname: 'gw.mailflow.test',
      isLocalDomain: (d) => d === 'mailflow.test',
      inbound: { kind: 'maildir', dataDir: dir },
      outbound: {
        port, connectTimeoutMs: 3_000,
        tls: { decide: policyEngineTls(policy, { resolver, fetcher, mtaStsCache: new MemoryMtaStsCache(), clock }), extraCa: [root.certPem], collector },
      },
      ...overrides,
    });
    engines.push(e);
    return e;
  }

  function msg(to: string, from = 'alice@mailflow.test'): NewMessage {
    return {
      envelope: { mailFrom: from, recipients: [{ address: to }], body: '8BITMIME', smtputf8: false },
      client: { ip: '192.0.2.9', port: 1234, helo: 'c.example', listener: 'submission' },
      receivedAt: clock.now(),
      data: Buffer.from(`From: <${from}>\r\nSubject: tls\r\n\r\nbody\r\n`),
      direction: 'outbound',
    };
  }

  async function attempts(id: string): Promise<TraceEvent['data'][]> {
    const [trace] = await store.queryTrace({ id });
    return (trace?.events ?? []).filter((e) => e.kind === 'attempt').map((e) => e.data);
  }

  test('mandatory rule, certificate with the wrong name: deferred 4.7.5 certificate-host-mismatch, no plaintext, in trace and DSN', async () => {
    const before = { connections: tlsWrong.connections, transactions: tlsWrong.transactions.length };
    const { id } = await store.enqueue(msg('bob@partner.test'));
    const e = engine(tlsWrong.port, { mandatory: [{ domain: 'partner.test', names: ['mx.partner.test'] }] });
    await e.runOnce();
    const queued = await store.get(id);
    assert.equal(queued?.state, 'deferred');
    const reply = queued?.recipients[0]?.lastReply;
    assert.equal(reply?.code, 451);
    assert.equal(reply?.enhanced, '4.7.5');
    assert.match(reply?.text ?? '', /mandatory policy for mx\.partner\.test: certificate-host-mismatch/);
    assert.equal(tlsWrong.connections - before.connections, 1, 'no second (plaintext) connection');
    assert.equal(tlsWrong.transactions.length, before.transactions, 'no MAIL FROM sent');
    const [attempt] = await attempts(id);
    assert.equal(attempt?.mechanism, 'mandatory');
    assert.equal(attempt?.tlsFailure, 'certificate-host-mismatch');
    // The delay DSN after DELAY_WARNING_MS carries the same diagnostic (to the local sender's Maildir).
    clock.advance(DEFAULT_RETRY_SCHEDULE.delayWarningMs);
    await e.drain();
    const box = join(dir, 'mailboxes', 'alice@mailflow.test', 'new');
    const dsn = readdirSync(box).map((f) => readFileSync(join(box, f), 'utf8')).join('\n');
    assert.match(dsn, /Action: delayed/);
    assert.match(dsn, /Diagnostic-Code: smtp; 451 4\.7\.5 TLS required by the mandatory policy for mx\.partner\.test: certificate-host-mismatch/);
  });

  test('mandatory rule with a pinned fingerprint that does not match: certificate-not-trusted', async () => {
    const { id } = await store.enqueue(msg('carol@partner.test'));
    await engine(tlsGood.port, { mandatory: [{ domain: 'partner.test', fingerprints: ['00'.repeat(32)] }] }).runOnce();
    const reply = (await store.get(id))?.recipients[0]?.lastReply;
    assert.equal(reply?.enhanced, '4.7.5');
    assert.match(reply?.text ?? '', /certificate-not-trusted/);
  });

  test('DANE-EE TLSA matches: delivered over TLS, the trace says dane with version and cipher', async () => {
    const before = tlsGood.transactions.length;
    const { id } = await store.enqueue(msg('dan@dane.test'));
    await engine(tlsGood.port).runOnce();
    assert.equal(await store.get(id), undefined, 'completed');
    const got = tlsGood.transactions.slice(before);
    assert.equal(got.length, 1);
    assert.equal(got[0]?.tls, true);
    const attempt = (await attempts(id)).find((a) => a.mail !== undefined);
    assert.equal(attempt?.mechanism, 'dane');
    assert.match(String(attempt?.tlsVersion), /^TLSv1\.[23]$/);
    assert.ok(typeof attempt?.tlsCipher === 'string' && attempt.tlsCipher.length > 0);
    assert.match(String(attempt?.tls), / verified$/);
  });

  test('DANE TLSA does not match the certificate: deferred tlsa-invalid, nothing sent', async () => {
    const before = tlsGood.transactions.length;
    const { id } = await store.enqueue(msg('eve@danebad.test'));
    await engine(tlsGood.port).runOnce();
    const reply = (await store.get(id))?.recipients[0]?.lastReply;
    assert.equal(reply?.code, 451);
    assert.match(reply?.text ?? '', /dane policy for mx\.danebad\.test: tlsa-invalid/);
    assert.equal(tlsGood.transactions.length, before);
    assert.equal((await attempts(id))[0]?.tlsFailure, 'tlsa-invalid');
  });

  test('MTA-STS enforce: the MX outside the policy is skipped, the one inside gets the mail under WebPKI', async () => {
    const before = tlsGood.transactions.length;
    const { id } = await store.enqueue(msg('sts@sts.test'));
    await engine(tlsGood.port).runOnce();
    assert.equal(await store.get(id), undefined, 'completed');
    assert.equal(tlsGood.transactions.length - before, 1);
    const list = await attempts(id);
    const blocked = list.find((a) => a.mx === 'mx1.sts.test');
    assert.equal(blocked?.blocked, 'validation-failure');
    assert.equal(blocked?.ip, undefined, 'no connection to the blocked MX');
    const delivered = list.find((a) => a.mx === 'mx2.sts.test');
    assert.equal(delivered?.mechanism, 'mta-sts');
    assert.match(String(delivered?.tls), / verified$/);
  });

  test('forced TLS and a server without STARTTLS: deferred 4.7.4 starttls-not-supported, no plaintext MAIL', async () => {
    const before = plain.transactions.length;
    const { id } = await store.enqueue(msg('pat@plain.test'));
    await engine(plain.port, { defaultTls: 'forced' }).runOnce();
    const reply = (await store.get(id))?.recipients[0]?.lastReply;
    assert.equal(reply?.enhanced, '4.7.4');
    assert.match(reply?.text ?? '', /forced policy for mx\.plain\.test: starttls-not-supported/);
    assert.equal(plain.transactions.length, before);
  });

  test('opportunistic and a server without STARTTLS: delivered in plaintext', async () => {
    const before = plain.transactions.length;
    const { id } = await store.enqueue(msg('opp@plain.test'));
    await engine(plain.port).runOnce();
    assert.equal(await store.get(id), undefined, 'completed');
    assert.equal(plain.transactions[before]?.tls, false);
    const attempt = (await attempts(id)).find((a) => a.mail !== undefined);
    assert.equal(attempt?.mechanism, 'opportunistic');
    assert.equal(attempt?.tls, 'none');
    assert.equal(attempt?.tlsReported, 'starttls-not-supported');
  });

  test('connections are reused only under the same decision', async () => {
    const connections = tlsGood.connections;
    for (let i = 0; i < 3; i++) await store.enqueue(msg(`r${i}@dane.test`));
    await store.enqueue(msg('x@sts.test'));
    await engine(tlsGood.port, {}, { pool: { perDestination: 1 } }).drain();
    // Three messages to dane.test share one DANE session; sts.test (same address, WebPKI) gets its own.
    assert.equal(tlsGood.connections - connections, 2);
  });

  test('smart host with mandatory TLS and a certificate for another name: deferred, nothing sent', async () => {
    const before = tlsWrong.transactions.length;
    const { id } = await store.enqueue(msg('s@dane.test'));
    await engine(tlsWrong.port, {}, { outbound: { smartHost: { host: 'relay.test', port: tlsWrong.port, tls: 'mandatory' }, tls: { extraCa: [root.certPem] } } }).runOnce();
    const reply = (await store.get(id))?.recipients[0]?.lastReply;
    assert.match(reply?.text ?? '', /certificate-host-mismatch/);
    assert.equal(tlsWrong.transactions.length, before);
  });

  test('a TLS report (RFC 8460 §3) is delivered despite the recipient policy failing, and its session is not counted', async () => {
    const before = tlsGood.transactions.length;
    const day = Math.floor(Date.now() / 86_400_000) * 86_400_000;
    const counted = () => collector.collect('danebad.test', day, day + 2 * 86_400_000);
    const countedBefore = JSON.stringify(await counted());
    const message = msg('tlsrpt@danebad.test', '');
    const { id } = await store.enqueue({ ...message, tlsReport: true });
    assert.equal((await store.get(id))?.envelope.tlsReport, true);
    await engine(tlsGood.port).runOnce();
    assert.equal(await store.get(id), undefined, 'completed despite the TLSA mismatch');
    const got = tlsGood.transactions.slice(before);
    assert.deepEqual(got.map((t) => [t.recipients, t.tls]), [[['tlsrpt@danebad.test'], true]]);
    const attempt = (await attempts(id)).find((a) => a.mail !== undefined);
    assert.equal(attempt?.mechanism, 'opportunistic');
    assert.equal(JSON.stringify(await counted()), countedBefore, 'the report session is not counted');
  });

  test('TLS-RPT: the collector counted successes and failures per policy (mandatory and smart host not reported)', async () => {
    const day = Math.floor(Date.now() / 86_400_000) * 86_400_000;
    const range = [day, day + 2 * 86_400_000] as const;
    assert.deepEqual(await collector.domains(...range), ['dane.test', 'danebad.test', 'plain.test', 'sts.test']);
    // Failure counts per result type (details also differ by stage and sending IP, so several may share a type).
    const byType = (details: { resultType: string; failedSessionCount: number }[]): string[] => {
      const counts = new Map<string, number>();
      for (const d of details) counts.set(d.resultType, (counts.get(d.resultType) ?? 0) + d.failedSessionCount);
      return [...counts].map(([type, n]) => `${type}×${n}`).sort();
    };
    const summary = async (domain: string) => (await collector.collect(domain, ...range)).map((p) => ({
      type: p.policy.policyType, ...p.summary, details: byType(p.failureDetails),
    }));
    // dane.test: one session for the first message, one for the reuse test (three messages), none for the smart host.
    assert.deepEqual(await summary('dane.test'), [{ type: 'tlsa', totalSuccessfulSessionCount: 2, totalFailureSessionCount: 0, details: [] }]);
    assert.deepEqual(await summary('danebad.test'), [{ type: 'tlsa', totalSuccessfulSessionCount: 0, totalFailureSessionCount: 1, details: ['tlsa-invalid×1'] }]);
    // sts.test: twice mx1 blocked, twice mx2 delivered.
    assert.deepEqual(await summary('sts.test'), [{ type: 'sts', totalSuccessfulSessionCount: 2, totalFailureSessionCount: 2, details: ['validation-failure×2'] }]);
    assert.deepEqual(await summary('plain.test'), [{ type: 'no-policy-found', totalSuccessfulSessionCount: 0, totalFailureSessionCount: 2, details: ['starttls-not-supported×2'] }]);
  });
});
