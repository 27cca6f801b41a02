// The real HTTPS poster over TLS on loopback with TestPki certificates: the request it sends (method, media
// type, length, body), certificate validation, no redirects, the response cap and the timeout.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestHttpsServer } from '../../testing/https-server.js';
import { TestPki } from '../../testing/test-pki.js';
import { createHttpsPoster, type HttpsPoster } from './poster.js';

const pki = new TestPki();
const root = pki.createRoot('Poster Test CA');
let server: TestHttpsServer;
const seen: { method: string; type: string; length: string; body: Buffer }[] = [];

before(async () => {
  const hosts = ['ok.test', 'moved.test', 'big.test', 'slow.test'];
  server = await TestHttpsServer.start(Object.fromEntries(hosts.map((h) => [h, pki.issue(root, { dnsNames: [h] })])), pki.issue(root, { dnsNames: ['other.test'] }));
  server.routes.set('ok.test', (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', type: req.headers['content-type'] ?? '', length: req.headers['content-length'] ?? '', body: Buffer.concat(chunks) });
      res.writeHead(201, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  server.routes.set('moved.test', { status: 307, headers: { location: 'https://ok.test/' }, body: '' });
  server.routes.set('big.test', { body: Buffer.alloc(1_000_000, 0x62), chunked: true });
  server.routes.set('slow.test', { body: 'x', delayMs: 2_000 });
});

after(async () => {
  await server.stop();
  pki.dispose();
});

const poster = (ca = root.certPem): HttpsPoster =>
  createHttpsPoster({ extraCa: [ca], portOverride: server.port, lookup: () => Promise.resolve({ address: '127.0.0.1', family: 4 }), totalTimeoutMs: 500 });
const body = Buffer.from([0x1f, 0x8b, 1, 2, 3]);

test('POSTs the body with its media type and length and returns the status', async () => {
  const r = await poster().post({ url: 'https://ok.test/report', contentType: 'application/tlsrpt+gzip', body });
  assert.equal(r.kind === 'response' && r.status, 201);
  assert.deepEqual(seen.at(-1), { method: 'POST', type: 'application/tlsrpt+gzip', length: '5', body });
});

test('an untrusted certificate, a wrong name and a non-https URL are errors; a redirect is a status, not followed', async () => {
  const stranger = pki.createRoot('Stranger CA');
  const untrusted = await poster(stranger.certPem).post({ url: 'https://ok.test/', contentType: 'x/y', body });
  assert.equal(untrusted.kind === 'error' && untrusted.error, 'certificate');
  const wrongName = await poster().post({ url: 'https://unknown.test/', contentType: 'x/y', body });
  assert.equal(wrongName.kind === 'error' && wrongName.error, 'certificate');
  const plain = await poster().post({ url: 'http://ok.test/', contentType: 'x/y', body });
  assert.equal(plain.kind === 'error' && plain.error, 'bad-url');
  const moved = await poster().post({ url: 'https://moved.test/', contentType: 'x/y', body });
  assert.equal(moved.kind === 'response' && moved.status, 307);
});

test('a large answer is cut at maxResponseBytes with its status kept; a slow one times out', async () => {
  const big = await poster().post({ url: 'https://big.test/', contentType: 'x/y', body, maxResponseBytes: 1000 });
  assert.ok(big.kind === 'response');
  assert.equal(big.status, 200);
  assert.equal(big.body.length, 1000);
  const slow = await poster().post({ url: 'https://slow.test/', contentType: 'x/y', body });
  assert.equal(slow.kind === 'error' && slow.error, 'timeout');
});
