// Hosting our own MTA-STS policy: the whole gateway (startGateway) with mtaStsHosting on serves the policy for
// each accepted domain over HTTPS with the certificate for mta-sts.DOMAIN (chosen by SNI among
// tls.sniCertificates), and mailflow's own MTA-STS client (the fetcher and parser delivery uses, with WebPKI
// checks against the test CA) reads it back. Wrong paths, hosts and methods get 404/405; the logged TXT
// record's id follows the policy text.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHttpsFetcher } from '../../src/adapters/https/index.js';
import { WireResolver } from '../../src/adapters/dns/wire-resolver.js';
import { parseConfig } from '../../src/config/index.js';
import { startGateway, type RunningGateway } from '../../src/gateway/main.js';
import { mtaStsPolicyAndRecord } from '../../src/gateway/mta-sts-host.js';
import { TestPki, type TestCertificate } from '../../src/testing/test-pki.js';
import { fetchMtaStsPolicy } from '../../src/transport/mta-sts/fetch.js';

const work = mkdtempSync(join(tmpdir(), 'mailflow-mta-sts-host-'));
let pki: TestPki;
let root: TestCertificate;
let gw: RunningGateway;
const logged: { event: string; fields?: Record<string, unknown> }[] = [];

before(async () => {
  pki = new TestPki();
  root = pki.createRoot('mta-sts hosting root');
  const main = pki.issue(root, { dnsNames: ['mx.example.test'] });
  const sts = pki.issue(root, { dnsNames: ['mta-sts.example.test', 'mta-sts.example.org'] });
  const file = (name: string, text: string) => {
    writeFileSync(join(work, name), text);
    return join(work, name);
  };
  const parsed = parseConfig(`hostname: mx.example.test
listeners: [{ role: inbound, host: 127.0.0.1, port: 0, tls: starttls }]
acceptedDomains: [{ domain: example.test }, { domain: example.org }]
tls:
  certFile: ${file('main.pem', main.certPem)}
  keyFile: ${file('main.key', main.keyPem)}
  sniCertificates: [{ certFile: ${file('sts.pem', sts.certPem)}, keyFile: ${file('sts.key', sts.keyPem)} }]
mtaStsHosting: { enabled: true, port: 0, mode: enforce, mx: [mx.example.test, "*.backup.example.test"], maxAgeSeconds: 86400 }
delivery: { paused: true }
`);
  assert.ok(parsed.ok, JSON.stringify(!parsed.ok && parsed.errors));
  gw = await startGateway({
    config: parsed.config, dataDir: join(work, 'data'),
    logger: { log: (_level, event, fields) => void logged.push({ event, ...(fields ? { fields } : {}) }) },
    resolver: new WireResolver({ servers: ['127.0.0.1:9'], timeoutMs: 200, attempts: 1 }),
  });
});
after(async () => {
  await gw?.stop(100);
  pki.dispose();
  rmSync(work, { recursive: true, force: true });
});

test('mailflow\'s own MTA-STS client fetches and parses the hosted policy for each accepted domain, over WebPKI', async () => {
  const hosting = gw.mtaStsHosting;
  assert.ok(hosting);
  const fetcher = createHttpsFetcher({ extraCa: [root.certPem], lookup: () => Promise.resolve({ address: '127.0.0.1', family: 4 }), portOverride: hosting.port });
  for (const domain of ['example.test', 'example.org']) {
    const result = await fetchMtaStsPolicy(domain, fetcher);
    assert.ok(result.ok, JSON.stringify(result));
    assert.equal(result.policy.mode, 'enforce');
    assert.deepEqual(result.policy.mx, ['mx.example.test', '*.backup.example.test']);
    assert.equal(result.policy.maxAge, 86400);
  }
  // The TXT record to publish is logged; its id is derived from the policy text.
  const expected = mtaStsPolicyAndRecord({ mode: 'enforce', mx: ['mx.example.test', '*.backup.example.test'], maxAgeSeconds: 86400 });
  assert.equal(hosting.record, expected.record);
  assert.match(hosting.record, /^v=STSv1; id=[0-9a-f]{20}$/);
  const line = logged.find((l) => l.event === 'mta-sts-hosting');
  assert.match(String(line?.fields?.message), /publish TXT "v=STSv1; id=[0-9a-f]{20}" at _mta-sts\.example\.test, _mta-sts\.example\.org/);
  assert.notEqual(mtaStsPolicyAndRecord({ mode: 'testing', mx: ['mx.example.test'], maxAgeSeconds: 86400 }).record, expected.record);
});

/** One HTTPS request to the hosting listener; the certificate check is the fetcher test's job. */
function get(host: string, path: string, method = 'GET'): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: gw.mtaStsHosting?.port, path, method, servername: host, headers: { host }, rejectUnauthorized: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

test('other paths, hosts and methods get 404 and 405; no redirects', async () => {
  assert.equal(await get('mta-sts.example.test', '/.well-known/mta-sts.txt'), 200);
  assert.equal(await get('mta-sts.example.test', '/.well-known/mta-sts.txt?x=1'), 200);
  assert.equal(await get('mta-sts.example.test', '/'), 404);
  assert.equal(await get('mta-sts.unknown.test', '/.well-known/mta-sts.txt'), 404);
  assert.equal(await get('example.test', '/.well-known/mta-sts.txt'), 404);
  assert.equal(await get('mta-sts.example.test', '/.well-known/mta-sts.txt', 'POST'), 405);
});

test('an invalid policy setting stops the start with the setting named', () => {
  assert.throws(() => mtaStsPolicyAndRecord({ mode: 'enforce', mx: [], maxAgeSeconds: 86400 }), /mtaStsHosting\.mx: mode enforce needs at least one mx pattern/);
  assert.throws(() => mtaStsPolicyAndRecord({ mode: 'enforce', mx: ['bad host'], maxAgeSeconds: 86400 }), /mtaStsHosting\.mx: "bad host" is not a host name/);
});
