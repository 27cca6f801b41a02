// End-to-end tests of `mailflow tls-policy` through main(), DNS from a zone file (--zone), --probe against a
// STARTTLS server on loopback (--port) with a TestPki certificate.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestPki } from '../../src/testing/test-pki.js';
import { TestSmtpServer } from '../../src/transport/tls-policy/test-smtp-server.js';
import { runCli } from '../support/cli-runner.js';

const dir = mkdtempSync(join(tmpdir(), 'mailflow-cli-tls-'));
let pki: TestPki;
let smtp: TestSmtpServer;
const zoneFile = join(dir, 'zone.json');
const configFile = join(dir, 'config.json');
const caFile = join(dir, 'ca.pem');

before(async () => {
  pki = new TestPki();
  const root = pki.createRoot('cli test root');
  const leaf = pki.issue(root, { dnsNames: ['mx.dane.example', 'mx.plain.example'] });
  writeFileSync(caFile, root.certPem);
  smtp = await TestSmtpServer.start({ certPem: leaf.certPem, keyPem: leaf.keyPem });
  const spki = createHash('sha256').update(leaf.x509.publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
  writeFileSync(zoneFile, JSON.stringify({
    'dane.example': [{ MX: [10, 'mx.dane.example'] }, 'SECURE'],
    'mx.dane.example': [{ A: '127.0.0.1' }, 'SECURE'],
    '_25._tcp.mx.dane.example': [{ TLSA: { usage: 3, selector: 1, matchingType: 1, data: spki } }, 'SECURE'],
    'plain.example': [{ MX: [10, 'mx.plain.example'] }],
    'mx.plain.example': [{ A: '127.0.0.1' }],
    'partner.example': [{ MX: [10, 'mx.plain.example'] }],
    'nullmx.example': [{ MX: [0, ''] }],
  }));
  writeFileSync(configFile, JSON.stringify({ tls: { defaultTls: 'forced', mandatory: [{ domain: 'partner.example', names: ['mx.plain.example'], caFile }] } }));
});

after(async () => {
  await smtp.stop();
  pki.dispose();
  rmSync(dir, { recursive: true, force: true });
});

test('DANE domain with --probe --json: mechanism, requirements, and a met requirement', async () => {
  const { code, stdout, stderr } = await runCli(['tls-policy', 'dane.example', '--zone', zoneFile, '--json', '--probe', '--port', String(smtp.port), '--helo', 'cli.test']);
  assert.equal(code, 0, stderr);
  const report = JSON.parse(stdout) as { mx: { host: string; mechanism: string; requirements: { authenticate: string }; probe: { ok: boolean; requirementMet: boolean; tls: { version: string } } }[] };
  assert.equal(report.mx[0]?.host, 'mx.dane.example');
  assert.equal(report.mx[0]?.mechanism, 'dane');
  assert.equal(report.mx[0]?.requirements.authenticate, 'dane');
  assert.equal(report.mx[0]?.probe.requirementMet, true);
  assert.match(report.mx[0]?.probe.tls.version ?? '', /TLSv1\.[23]/);
});

test('default from --config (forced) and why DANE and MTA-STS did not apply, in text', async () => {
  const { code, stdout } = await runCli(['tls-policy', 'plain.example', '--zone', zoneFile, '--config', configFile]);
  assert.equal(code, 0);
  assert.match(stdout, /mx\.plain\.example \(preference 10\): .*forced/);
  assert.match(stdout, /not dane: mx-insecure/);
  assert.match(stdout, /not mta-sts: no-record/);
});

test('a mandatory rule with a CA file: --probe checks WebPKI against it', async () => {
  const { code, stdout } = await runCli(['tls-policy', 'partner.example', '--zone', zoneFile, '--config', configFile, '--json', '--probe', '--port', String(smtp.port)]);
  assert.equal(code, 0);
  const report = JSON.parse(stdout) as { mx: { mechanism: string; probe: { requirementMet: boolean; tls: { authentication: string } } }[] };
  assert.equal(report.mx[0]?.mechanism, 'mandatory');
  assert.equal(report.mx[0]?.probe.requirementMet, true);
  assert.match(report.mx[0]?.probe.tls.authentication ?? '', /mx\.plain\.example/);
});

test('opportunistic probe without a CA: the unauthenticated session is reported as such', async () => {
  const { stdout } = await runCli(['tls-policy', 'plain.example', '--zone', zoneFile, '--probe', '--port', String(smtp.port)]);
  assert.match(stdout, /opportunistic/);
  assert.match(stdout, /requirement .*met/);
  assert.match(stdout, /certificate: CN=mx\.dane\.example/);
});

test('null MX, bad arguments and a bad config are reported', async () => {
  const nullMx = await runCli(['tls-policy', 'nullmx.example', '--zone', zoneFile, '--json']);
  assert.equal((JSON.parse(nullMx.stdout) as { nullMx: boolean }).nullMx, true);
  assert.equal((await runCli(['tls-policy', '-bad-', '--zone', zoneFile])).code, 2);
  assert.equal((await runCli(['tls-policy', 'plain.example', '--zone', zoneFile, '--port', '99999'])).code, 2);
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ tls: { defaultTls: 'sometimes' } }));
  const result = await runCli(['tls-policy', 'plain.example', '--zone', zoneFile, '--config', bad]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /tls\.defaultTls/);
});

test('--config takes the gateway YAML config: outboundTls rules and default, extraCaFile for WebPKI probes', async () => {
  const yamlFile = join(dir, 'gateway.yaml');
  writeFileSync(yamlFile, [
    'hostname: gw.example',
    'tls: { certFile: /nonexistent/cert.pem, keyFile: /nonexistent/key.pem }   # the listener certificate: not read here',
    'outboundTls:',
    '  defaultTls: forced',
    '  minTlsVersion: TLSv1.2',
    `  extraCaFile: ${caFile}`,
    '  mandatory:',
    '    - { domain: partner.example, names: [mx.plain.example] }',
    '',
  ].join('\n'));
  const partner = await runCli(['tls-policy', 'partner.example', '--zone', zoneFile, '--config', yamlFile, '--json', '--probe', '--port', String(smtp.port)]);
  assert.equal(partner.code, 0, partner.stderr);
  const report = JSON.parse(partner.stdout) as { config: { defaultTls: string; mandatoryRules: number }; mx: { mechanism: string; requirements: { authenticate: string }; probe: { requirementMet: boolean } }[] };
  assert.deepEqual(report.config, { defaultTls: 'forced', minTlsVersion: 'TLSv1.2', mandatoryRules: 1 });
  assert.equal(report.mx[0]?.mechanism, 'mandatory');
  assert.equal(report.mx[0]?.requirements.authenticate, 'webpki');
  assert.equal(report.mx[0]?.probe.requirementMet, true, 'the test CA came from outboundTls.extraCaFile');
  const plain = await runCli(['tls-policy', 'plain.example', '--zone', zoneFile, '--config', yamlFile]);
  assert.match(plain.stdout, /mx\.plain\.example \(preference 10\): .*forced/);

  const badYaml = join(dir, 'bad.yaml');
  writeFileSync(badYaml, 'outboundTls:\n  defaultTls: sometimes\n');
  const bad = await runCli(['tls-policy', 'plain.example', '--zone', zoneFile, '--config', badYaml]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /bad\.yaml:2:15: outboundTls\.defaultTls: .*'opportunistic' \| 'forced'/);
});
