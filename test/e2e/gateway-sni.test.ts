// Several certificates on one gateway (SNI): a client naming a host gets that host's certificate, on an
// implicit-TLS listener and after STARTTLS; a wildcard covers one label; no name or an unknown one gets the
// default. Also through the YAML config (tls.sniCertificates with files), and a key that does not match its
// certificate stops the start with the setting named. Real TLS on 127.0.0.1.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { parseConfig } from '../../src/config/index.js';
import { resolveSettings } from '../../src/gateway/process/settings.js';
import { startSmtpGateway, type SmtpGateway } from '../../src/gateway/smtp/server.js';
import { certificateNames, nameCovers } from '../../src/gateway/smtp/sni.js';
import { TestPki, type TestCertificate } from '../../src/testing/test-pki.js';
import { MemorySink, startTestGateway, testConfig } from './gateway-harness.js';

let pki: TestPki;
let root: TestCertificate;
let main: TestCertificate;
let other: TestCertificate;
let wild: TestCertificate;
let gateway: SmtpGateway;
let port: (name: string) => number;

before(async () => {
  pki = new TestPki();
  root = pki.createRoot('sni root');
  main = pki.issue(root, { dnsNames: ['mx.example.com'] });
  other = pki.issue(root, { dnsNames: ['mail.other.test', 'smtp.other.test'] });
  wild = pki.issue(root, { dnsNames: ['*.wild.test'] });
  const config = await testConfig(undefined, {
    listeners: [
      { name: 'smtps', role: 'submission', host: '127.0.0.1', port: 0, tls: 'implicit' },
      { name: 'mx', role: 'inbound', host: '127.0.0.1', port: 0, tls: 'starttls' },
    ],
    tls: { key: main.keyPem, cert: main.certPem, sni: [{ key: other.keyPem, cert: other.certPem }, { key: wild.keyPem, cert: wild.certPem }] },
  });
  ({ gateway, port } = await startTestGateway(config));
});
after(async () => {
  await gateway.close(0);
  pki.dispose();
});

/** The DNS names of the certificate the server presents for `servername` (none: no SNI). */
async function presented(socketPort: number, servername: string | undefined, starttls = false): Promise<string[]> {
  const raw = netConnect({ port: socketPort, host: '127.0.0.1' });
  if (starttls) {
    // Greeting, EHLO, STARTTLS, each answered before the next.
    let text = '';
    raw.setEncoding('latin1');
    const waitFor = (pattern: RegExp) => new Promise<void>((resolve) => {
      const check = () => (pattern.test(text) ? (raw.removeListener('data', onData), resolve()) : undefined);
      const onData = (d: string) => ((text += d), check());
      raw.on('data', onData);
      check();
    });
    await waitFor(/^220 /m);
    raw.write('EHLO client.test\r\n');
    await waitFor(/^250 /m);
    text = '';
    raw.write('STARTTLS\r\n');
    await waitFor(/^220 /m);
  } else {
    await new Promise((resolve) => raw.once('connect', resolve));
  }
  const secure: TLSSocket = tlsConnect({ socket: raw, rejectUnauthorized: false, ...(servername === undefined ? {} : { servername }) });
  await new Promise((resolve, reject) => {
    secure.once('secureConnect', resolve);
    secure.once('error', reject);
  });
  const names = (secure.getPeerCertificate().subjectaltname ?? '').split(', ').map((s) => s.replace(/^DNS:/, ''));
  secure.destroy();
  return names;
}

test('a client naming a host gets its certificate; wildcards cover one label; otherwise the default', async () => {
  const smtps = port('smtps');
  assert.deepEqual(await presented(smtps, 'mail.other.test'), ['mail.other.test', 'smtp.other.test']);
  assert.deepEqual(await presented(smtps, 'SMTP.Other.Test'), ['mail.other.test', 'smtp.other.test']);
  assert.deepEqual(await presented(smtps, 'a.wild.test'), ['*.wild.test']);
  assert.deepEqual(await presented(smtps, 'a.b.wild.test'), ['mx.example.com']);
  assert.deepEqual(await presented(smtps, 'unknown.test'), ['mx.example.com']);
  assert.deepEqual(await presented(smtps, undefined), ['mx.example.com']);
  // The same after STARTTLS on the inbound listener.
  assert.deepEqual(await presented(port('mx'), 'smtp.other.test', true), ['mail.other.test', 'smtp.other.test']);
  assert.deepEqual(await presented(port('mx'), undefined, true), ['mx.example.com']);
});

test('from the YAML config: tls.sniCertificates files are read; a key that does not match stops the start', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mailflow-sni-'));
  try {
    const write = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    const yaml = (keyFile: string) => `hostname: mx.example.com
listeners: [{ role: submission, host: 127.0.0.1, port: 0, tls: implicit }]
tls:
  certFile: ${write('main.pem', main.certPem)}
  keyFile: ${write('main.key', main.keyPem)}
  sniCertificates: [{ certFile: ${write('other.pem', other.certPem)}, keyFile: ${keyFile} }]
`;
    const good = parseConfig(yaml(write('other.key', other.keyPem)));
    assert.ok(good.ok);
    const settings = await resolveSettings(good.config, dir);
    const started = await startSmtpGateway(settings.gateway, { sink: new MemorySink() });
    try {
      assert.deepEqual(await presented(started.listeners[0]!.address.port, 'mail.other.test'), ['mail.other.test', 'smtp.other.test']);
    } finally {
      await started.close(0);
    }
    const mismatched = parseConfig(yaml(write('wrong.key', wild.keyPem)));
    assert.ok(mismatched.ok);
    const wrong = await resolveSettings(mismatched.config, dir);
    await assert.rejects(startSmtpGateway(wrong.gateway, { sink: new MemorySink() }), /tls\.sniCertificates\[0\]: .*key values mismatch/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('certificate names and wildcard matching', () => {
  assert.deepEqual(certificateNames(other.certPem), ['mail.other.test', 'smtp.other.test']);
  assert.equal(nameCovers('*.wild.test', 'a.wild.test'), true);
  assert.equal(nameCovers('*.wild.test', 'wild.test'), false);
  assert.equal(nameCovers('*.wild.test', 'a.b.wild.test'), false);
  assert.equal(nameCovers('mx.example.com', 'mx.example.com'), true);
});
