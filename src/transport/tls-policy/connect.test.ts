// The STARTTLS client over real TCP/TLS on 127.0.0.1 against scripted servers with TestPki certificates:
// every mechanism's happy path and every failure type, and hostile servers.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ManualClock } from '../../core/clock.js';
import { TestPki, type TestCertificate } from '../../testing/test-pki.js';
import { connectSmtpTls, type SmtpTlsOutcome } from './connect.js';
import { TestSmtpServer, type TestSmtpServerOptions } from './test-smtp-server.js';
import type { TlsPolicyDecision, TlsRequirements } from './types.js';
import { MAX_REPLY_LINE_BYTES } from './smtp-reply.js';

let pki: TestPki;
let root: TestCertificate;
let good: TestCertificate;
let wrongName: TestCertificate;
let wildcard: TestCertificate;
let selfSigned: TestCertificate;
const servers: TestSmtpServer[] = [];

before(() => {
  pki = new TestPki();
  root = pki.createRoot('mailflow test root');
  good = pki.issue(root, { dnsNames: ['mx.test'] });
  wrongName = pki.issue(root, { dnsNames: ['other.test'] });
  wildcard = pki.issue(root, { dnsNames: ['*.mail.test'] });
  selfSigned = pki.createRoot('mx.test');
});

after(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  pki.dispose();
});

async function server(options: TestSmtpServerOptions): Promise<TestSmtpServer> {
  const s = await TestSmtpServer.start(options);
  servers.push(s);
  return s;
}

function withCert(cert: TestCertificate, chain = false): TestSmtpServerOptions {
  return { certPem: chain ? `${cert.certPem}${root.certPem}` : cert.certPem, keyPem: cert.keyPem };
}

function decision(mechanism: TlsPolicyDecision['mechanism'], requirements: Partial<TlsRequirements>): Pick<TlsPolicyDecision, 'mechanism' | 'requirements'> {
  return { mechanism, requirements: { tls: 'required', minVersion: 'TLSv1.2', authenticate: 'none', names: ['mx.test'], servername: 'mx.test', ...requirements } };
}

async function connect(s: TestSmtpServer, d: Pick<TlsPolicyDecision, 'mechanism' | 'requirements'>, extra: { clock?: ManualClock; timeoutMs?: number } = {}): Promise<SmtpTlsOutcome> {
  const outcome = await connectSmtpTls(d, {
    host: '127.0.0.1',
    port: s.port,
    heloName: 'client.test',
    extraCa: [root.certPem],
    ...(extra.clock ? { clock: extra.clock } : {}),
    ...(extra.timeoutMs ? { replyTimeoutMs: extra.timeoutMs, handshakeTimeoutMs: extra.timeoutMs } : {}),
  });
  if (outcome.ok) await outcome.connection.close();
  return outcome;
}

const sts = decision('mta-sts', { authenticate: 'webpki', sts: { mode: 'enforce', id: '1', mx: ['mx.test'], maxAge: 86400 } });

test('WebPKI (MTA-STS enforce): trusted chain and matching name pass; SNI, TLS details and EHLO after TLS', async () => {
  const s = await server(withCert(good));
  const outcome = await connectSmtpTls(sts, { host: '127.0.0.1', port: s.port, heloName: 'client.test', extraCa: [root.certPem] });
  assert.ok(outcome.ok, JSON.stringify(!outcome.ok && outcome.failure));
  const { connection } = outcome;
  assert.equal(connection.tls?.authenticated, true);
  assert.match(connection.tls?.version ?? '', /^TLSv1\.[23]$/);
  assert.deepEqual(connection.tls?.peer?.dnsNames, ['mx.test']);
  assert.ok(!connection.extensions.includes('STARTTLS'));
  assert.equal((await connection.command('NOOP')).code, 250);
  await connection.close();
  assert.deepEqual(s.servernames, ['mx.test']);
  assert.deepEqual(s.commands, ['EHLO client.test', 'STARTTLS', 'EHLO client.test', 'NOOP', 'QUIT']);
});

test('WebPKI: wildcard certificates match one label', async () => {
  const s = await server(withCert(wildcard));
  const ok = await connect(s, decision('mta-sts', { authenticate: 'webpki', names: ['mx1.mail.test'], servername: 'mx1.mail.test' }));
  assert.ok(ok.ok);
  const deeper = await connect(s, decision('mta-sts', { authenticate: 'webpki', names: ['a.mx1.mail.test'], servername: 'a.mx1.mail.test' }));
  assert.equal(!deeper.ok && deeper.failure.resultType, 'certificate-host-mismatch');
});

test('WebPKI failures: wrong name, expired, self-signed, untrusted CA; no plaintext fallback under enforce', async () => {
  const wrong = await connect(await server(withCert(wrongName)), sts);
  assert.ok(!wrong.ok);
  assert.equal(wrong.failure.resultType, 'certificate-host-mismatch');
  assert.equal(wrong.failure.stage, 'verify');
  assert.equal(wrong.failure.plaintextFallback, false);
  const later = new ManualClock(Date.now() + 60 * 86400_000);
  const expired = await connect(await server(withCert(good)), sts, { clock: later });
  assert.equal(!expired.ok && expired.failure.resultType, 'certificate-expired');
  const self = await connect(await server(withCert(selfSigned)), sts);
  assert.equal(!self.ok && self.failure.resultType, 'certificate-not-trusted', JSON.stringify(!self.ok && self.failure));
  const s = await server(withCert(good));
  const untrusted = await connectSmtpTls(sts, { host: '127.0.0.1', port: s.port, heloName: 'client.test' });
  assert.equal(!untrusted.ok && untrusted.failure.resultType, 'certificate-not-trusted');
});

test('MTA-STS testing: a certificate failure is reported and the TLS session goes on', async () => {
  const outcome = await connect(await server(withCert(wrongName)), decision('mta-sts', { tls: 'optional', authenticate: 'webpki' }));
  assert.ok(outcome.ok);
  assert.equal(outcome.reportFailure?.resultType, 'certificate-host-mismatch');
  assert.equal(outcome.connection.tls?.authenticated, false);
});

test('mandatory rule with a CA file: only that CA is trusted', async () => {
  const s = await server(withCert(good));
  const d = decision('mandatory', { authenticate: 'webpki', caFile: '/nonexistent/ca.pem' });
  const ok = await connectSmtpTls(d, { host: '127.0.0.1', port: s.port, heloName: 'client.test', caPem: root.certPem });
  assert.ok(ok.ok);
  await ok.connection.close();
  const otherPki = pki.createRoot('another root');
  const refused = await connectSmtpTls(d, { host: '127.0.0.1', port: s.port, heloName: 'client.test', caPem: otherPki.certPem });
  assert.equal(!refused.ok && refused.failure.resultType, 'certificate-not-trusted');
  const unreadable = await connectSmtpTls(d, { host: '127.0.0.1', port: s.port, heloName: 'client.test' });
  assert.equal(!unreadable.ok && unreadable.failure.stage, 'connect');
});

test('pinned fingerprints: certificate or public key hash passes, anything else is not trusted', async () => {
  const s = await server(withCert(selfSigned));
  const certHash = createHash('sha256').update(selfSigned.der).digest('hex');
  const spkiHash = createHash('sha256').update(selfSigned.x509.publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
  assert.ok((await connect(s, decision('mandatory', { authenticate: 'pinned', fingerprints: [certHash] }))).ok);
  assert.ok((await connect(s, decision('mandatory', { authenticate: 'pinned', fingerprints: [spkiHash] }))).ok);
  const bad = await connect(s, decision('mandatory', { authenticate: 'pinned', fingerprints: ['00'.repeat(32)] }));
  assert.equal(!bad.ok && bad.failure.resultType, 'certificate-not-trusted');
});

test('DANE-EE and DANE-TA pass on the presented chain; a non-matching TLSA set fails tlsa-invalid', async () => {
  const spki = createHash('sha256').update(selfSigned.x509.publicKey.export({ type: 'spki', format: 'der' })).digest();
  const ee = await connect(await server(withCert(selfSigned)), decision('dane', { authenticate: 'dane', tlsa: [{ usage: 3, selector: 1, matchingType: 1, data: spki }] }));
  assert.ok(ee.ok);
  assert.match(ee.connection.tls?.authentication ?? '', /dane-ee/);
  const ta = await connect(await server(withCert(good, true)), decision('dane', { authenticate: 'dane', tlsa: [{ usage: 2, selector: 0, matchingType: 1, data: createHash('sha256').update(root.der).digest() }] }));
  assert.ok(ta.ok, JSON.stringify(!ta.ok && ta.failure));
  const taWrongName = await connect(await server(withCert(wrongName, true)), decision('dane', { authenticate: 'dane', tlsa: [{ usage: 2, selector: 0, matchingType: 1, data: createHash('sha256').update(root.der).digest() }] }));
  assert.equal(!taWrongName.ok && taWrongName.failure.resultType, 'certificate-host-mismatch');
  const miss = await connect(await server(withCert(good)), decision('dane', { authenticate: 'dane', tlsa: [{ usage: 3, selector: 1, matchingType: 1, data: Buffer.alloc(32, 7) }] }));
  assert.ok(!miss.ok);
  assert.equal(miss.failure.resultType, 'tlsa-invalid');
  assert.equal(miss.failure.plaintextFallback, false);
});

test('no STARTTLS: starttls-not-supported when TLS is required; opportunistic goes on in plaintext and reports it', async () => {
  const s = await server({ starttls: false });
  const forced = await connect(s, decision('forced', {}));
  assert.ok(!forced.ok);
  assert.equal(forced.failure.resultType, 'starttls-not-supported');
  assert.equal(forced.failure.plaintextFallback, false);
  const opportunistic = await connect(s, decision('opportunistic', { tls: 'optional' }));
  assert.ok(opportunistic.ok);
  assert.equal(opportunistic.connection.tls, undefined);
  assert.equal(opportunistic.reportFailure?.resultType, 'starttls-not-supported');
  const refused = await connect(await server({ afterStarttls: 'refuse' }), decision('forced', {}));
  assert.equal(!refused.ok && refused.failure.resultType, 'starttls-not-supported');
});

test('opportunistic and forced accept any certificate (no authentication)', async () => {
  const s = await server(withCert(selfSigned));
  const forced = await connect(s, decision('forced', {}));
  assert.ok(forced.ok);
  assert.equal(forced.connection.tls?.authenticated, true);
});

test('minimum TLS version: a TLS 1.2-only server fails a TLS 1.3 minimum', async () => {
  const s = await server({ ...withCert(good), maxVersion: 'TLSv1.2' });
  const ok = await connect(s, decision('forced', {}));
  assert.equal(ok.ok && ok.connection.tls?.version, 'TLSv1.2');
  const refused = await connect(s, decision('mandatory', { minVersion: 'TLSv1.3' }));
  assert.ok(!refused.ok);
  assert.equal(refused.failure.stage, 'handshake');
  assert.equal(refused.failure.resultType, 'validation-failure');
});

test('hostile: garbage after STARTTLS, bytes injected after the 220, a stall, a huge banner, a stalled banner', async () => {
  const garbage = await connect(await server({ afterStarttls: 'garbage' }), decision('opportunistic', { tls: 'optional' }));
  assert.ok(!garbage.ok);
  assert.equal(garbage.failure.resultType, 'validation-failure');
  assert.equal(garbage.failure.plaintextFallback, true, 'opportunistic may retry without STARTTLS');
  const inject = await connect(await server({ afterStarttls: 'inject' }), decision('forced', {}));
  assert.ok(!inject.ok);
  assert.equal(inject.failure.plaintextFallback, false);
  assert.match(inject.failure.detail, /after its STARTTLS reply|handshake/);
  const stall = await connect(await server({ ...withCert(good), afterStarttls: 'stall' }), decision('forced', {}), { timeoutMs: 300 });
  assert.ok(!stall.ok);
  assert.equal(stall.failure.stage, 'handshake');
  assert.match(stall.failure.detail, /within 300 ms/);
  const huge = await connect(await server({ banner: `220 ${'x'.repeat(MAX_REPLY_LINE_BYTES * 50)}` }), decision('forced', {}));
  assert.ok(!huge.ok);
  assert.match(huge.failure.detail, /line-too-long/);
  const silent = await connect(await server({ banner: 'stall' }), decision('forced', {}), { timeoutMs: 200 });
  assert.ok(!silent.ok);
  assert.match(silent.failure.detail, /timeout/);
  assert.equal(silent.failure.resultType, undefined, 'not a TLS failure');
  const closed = await connectSmtpTls(decision('forced', {}), { host: '127.0.0.1', port: 1, heloName: 'client.test' });
  assert.equal(!closed.ok && closed.failure.stage, 'connect');
});

test('a 554 banner ends the session with the reply', async () => {
  const outcome = await connect(await server({ banner: '554 5.7.1 go away' }), decision('forced', {}));
  assert.ok(!outcome.ok);
  assert.equal(outcome.failure.stage, 'banner');
  assert.equal(outcome.failure.reply?.code, 554);
});
