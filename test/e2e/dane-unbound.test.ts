// End-to-end DANE through a real validating resolver: Debian's nsd serves a zone signed at test time
// (ldns-keygen -a ECDSAP256SHA256 + ldns-signzone) and an unsigned one; Debian's unbound validates with a
// trust anchor for the signed zone's KSK; our wire resolver reads the AD bit; decideTlsPolicy and
// connectSmtpTls do the rest against a STARTTLS server on loopback. All on 127.0.0.1 ports chosen here.
// The peers come from scripts/install-test-peers.sh: when they are missing this test fails, it never skips.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createResolver } from '../../src/adapters/dns/index.js';
import type { DnsResolver } from '../../src/core/dns/types.js';
import type { HttpsFetcher } from '../../src/core/https/types.js';
import { systemClock } from '../../src/core/clock.js';
import { MemoryMtaStsCache } from '../../src/transport/mta-sts/cache.js';
import { connectSmtpTls } from '../../src/transport/tls-policy/connect.js';
import { decideTlsPolicy } from '../../src/transport/tls-policy/select.js';
import { TestSmtpServer } from '../../src/transport/tls-policy/test-smtp-server.js';
import { DEFAULT_TLS_POLICY_CONFIG, type TlsPolicyDeps } from '../../src/transport/tls-policy/types.js';
import { TestPki } from '../../src/testing/test-pki.js';

const BINARIES = ['/usr/sbin/nsd', '/usr/sbin/unbound', '/usr/bin/ldns-keygen', '/usr/bin/ldns-signzone'];
/** How long the daemons get to answer their first validated query. */
const STARTUP_MS = 15_000;

const dir = mkdtempSync(join(tmpdir(), 'mailflow-dane-e2e-'));
const children: ChildProcess[] = [];
let pki: TestPki;
let smtp: TestSmtpServer;
let deps: TlsPolicyDeps;

const noFetch: HttpsFetcher = { fetch: () => Promise.resolve({ kind: 'error', error: 'dns', detail: 'no HTTPS in this test' }) };

async function freePort(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const tcp = createServer();
    const port = await new Promise<number>((resolve) => tcp.listen(0, '127.0.0.1', () => resolve((tcp.address() as { port: number }).port)));
    const udp = createSocket('udp4');
    const ok = await new Promise<boolean>((resolve) => {
      udp.once('error', () => resolve(false));
      udp.bind(port, '127.0.0.1', () => resolve(true));
    });
    await new Promise<void>((resolve) => tcp.close(() => resolve()));
    if (ok) {
      await new Promise<void>((resolve) => udp.close(() => resolve()));
      return port;
    }
  }
  throw new Error('no free port for both UDP and TCP');
}

function zone(origin: string, tlsa: Record<string, string>): string {
  const lines = [`$ORIGIN ${origin}.`, '$TTL 300', `@ IN SOA ns.${origin}. hostmaster.${origin}. 1 3600 600 86400 300`, `@ IN NS ns.${origin}.`, 'ns IN A 127.0.0.1'];
  Object.keys(tlsa).forEach((host, i) => lines.push(`@ IN MX ${10 * (i + 1)} ${host}.${origin}.`, `${host} IN A 127.0.0.1`, `_25._tcp.${host} IN TLSA 3 1 1 ${tlsa[host]}`));
  return `${lines.join('\n')}\n`;
}

function start(command: string, args: string[]): void {
  const child = spawn(command, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => void (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => void (output += d.toString()));
  child.on('exit', (code) => {
    if (code !== null && code !== 0) process.stderr.write(`${command} exited ${code}: ${output}\n`);
  });
  children.push(child);
}

async function waitForValidation(resolver: DnsResolver): Promise<void> {
  const deadline = Date.now() + STARTUP_MS;
  for (;;) {
    const answer = await resolver.resolve('dane.test', 'SOA');
    if (answer.kind === 'records' && answer.secure) return;
    if (Date.now() > deadline) throw new Error(`unbound did not validate dane.test within ${STARTUP_MS} ms: ${JSON.stringify(answer)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

before(async () => {
  const missing = BINARIES.filter((b) => !existsSync(b));
  if (missing.length) throw new Error(`missing ${missing.join(', ')}: run scripts/install-test-peers.sh (apt-get install nsd unbound ldnsutils)`);
  pki = new TestPki();
  const leaf = pki.createRoot('mx.dane.test');
  const spkiHash = createHash('sha256').update(leaf.x509.publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
  const wrongHash = 'ab'.repeat(32);
  smtp = await TestSmtpServer.start({ certPem: leaf.certPem, keyPem: leaf.keyPem });

  writeFileSync(join(dir, 'dane.test.zone'), zone('dane.test', { mx: spkiHash, 'mx-wrong': wrongHash, 'mx-tampered': spkiHash }));
  writeFileSync(join(dir, 'plain.test.zone'), zone('plain.test', { mx: spkiHash }));
  const ksk = execFileSync('ldns-keygen', ['-a', 'ECDSAP256SHA256', '-k', 'dane.test'], { cwd: dir }).toString().trim();
  const zsk = execFileSync('ldns-keygen', ['-a', 'ECDSAP256SHA256', 'dane.test'], { cwd: dir }).toString().trim();
  execFileSync('ldns-signzone', ['dane.test.zone', ksk, zsk], { cwd: dir });
  // Tamper after signing: the TLSA data changes under an RRSIG made for the original, so unbound finds it bogus.
  const signedPath = join(dir, 'dane.test.zone.signed');
  const signed = readFileSync(signedPath, 'utf8');
  const tampered = signed.replace(new RegExp(`^(_25\\._tcp\\.mx-tampered\\.dane\\.test\\.\\s+\\d+\\s+IN\\s+TLSA\\s+3 1 1 )${spkiHash}$`, 'm'), `$1${wrongHash}`);
  assert.notEqual(tampered, signed, 'the tampered TLSA line was found in the signed zone');
  writeFileSync(signedPath, tampered);

  const nsdPort = await freePort();
  const unboundPort = await freePort();
  writeFileSync(join(dir, 'nsd.conf'), [
    'server:', '  ip-address: 127.0.0.1', `  port: ${nsdPort}`, '  username: ""', '  chroot: ""', `  zonesdir: "${dir}"`, '  database: ""',
    `  pidfile: "${dir}/nsd.pid"`, `  xfrdfile: "${dir}/xfrd.state"`, `  zonelistfile: "${dir}/zone.list"`, `  logfile: "${dir}/nsd.log"`, '  server-count: 1',
    'remote-control:', '  control-enable: no',
    'zone:', '  name: dane.test', `  zonefile: "${signedPath}"`,
    'zone:', '  name: plain.test', `  zonefile: "${dir}/plain.test.zone"`, '',
  ].join('\n'));
  writeFileSync(join(dir, 'unbound.conf'), [
    'server:', '  interface: 127.0.0.1', `  port: ${unboundPort}`, '  do-ip6: no', '  do-daemonize: no', '  username: ""', '  chroot: ""',
    `  directory: "${dir}"`, '  pidfile: ""', '  use-syslog: no', `  logfile: "${dir}/unbound.log"`, '  do-not-query-localhost: no',
    '  local-zone: "test." nodefault', `  trust-anchor-file: "${join(dir, `${ksk}.key`)}"`, '  module-config: "validator iterator"',
    '  access-control: 127.0.0.0/8 allow',
    'stub-zone:', '  name: "dane.test"', `  stub-addr: 127.0.0.1@${nsdPort}`,
    'stub-zone:', '  name: "plain.test"', `  stub-addr: 127.0.0.1@${nsdPort}`,
    'remote-control:', '  control-enable: no', '',
  ].join('\n'));
  start('/usr/sbin/nsd', ['-d', '-c', join(dir, 'nsd.conf')]);
  start('/usr/sbin/unbound', ['-d', '-c', join(dir, 'unbound.conf')]);
  const resolver = createResolver({ servers: [`127.0.0.1:${unboundPort}`], cache: false, timeoutMs: 2000 });
  await waitForValidation(resolver);
  deps = { resolver, fetcher: noFetch, mtaStsCache: new MemoryMtaStsCache(), clock: systemClock };
});

after(async () => {
  await Promise.all(children.map((child) => new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 3000).unref();
  })));
  await smtp?.stop();
  pki?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function connect(decision: Awaited<ReturnType<typeof decideTlsPolicy>>) {
  return connectSmtpTls(decision, { host: '127.0.0.1', port: smtp.port, heloName: 'client.test', handshakeTimeoutMs: 5000, replyTimeoutMs: 5000 });
}

test('a validated TLSA record that matches: DANE applies and the session authenticates (DANE-EE)', async () => {
  const decision = await decideTlsPolicy('dane.test', 'mx.dane.test', DEFAULT_TLS_POLICY_CONFIG, deps);
  assert.equal(decision.mechanism, 'dane', JSON.stringify(decision.skipped));
  assert.equal(decision.requirements.authenticate, 'dane');
  const outcome = await connect(decision);
  assert.ok(outcome.ok, JSON.stringify(!outcome.ok && outcome.failure));
  assert.equal(outcome.connection.tls?.authenticated, true);
  assert.match(outcome.connection.tls?.authentication ?? '', /dane-ee/);
  await outcome.connection.close();
});

test('a validated TLSA record that does not match the certificate: tlsa-invalid, no plaintext', async () => {
  const decision = await decideTlsPolicy('dane.test', 'mx-wrong.dane.test', DEFAULT_TLS_POLICY_CONFIG, deps);
  assert.equal(decision.mechanism, 'dane');
  const outcome = await connect(decision);
  assert.ok(!outcome.ok);
  assert.equal(outcome.failure.resultType, 'tlsa-invalid');
  assert.equal(outcome.failure.plaintextFallback, false);
});

test('a TLSA record tampered after signing is bogus: the MX is blocked with dnssec-invalid', async () => {
  const decision = await decideTlsPolicy('dane.test', 'mx-tampered.dane.test', DEFAULT_TLS_POLICY_CONFIG, deps);
  assert.equal(decision.mechanism, 'dane');
  assert.equal(decision.blocked?.resultType, 'dnssec-invalid', JSON.stringify(decision));
});

test('an unsigned zone means no DANE, even with TLSA records published', async () => {
  const decision = await decideTlsPolicy('plain.test', 'mx.plain.test', DEFAULT_TLS_POLICY_CONFIG, deps);
  assert.equal(decision.mechanism, 'opportunistic');
  assert.equal(decision.skipped.find((s) => s.mechanism === 'dane')?.reason, 'mx-insecure');
});
