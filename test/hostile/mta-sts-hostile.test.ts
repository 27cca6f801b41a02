// Hostile policy hosts and records, over real TLS on loopback: oversized bodies (declared and chunked),
// 10,000 mx lines, CR tricks, redirects, wrong content types, slow and stalled servers, servers that never
// finish the handshake, huge TXT records. Every one must end in a definite failure, quickly.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { ManualClock } from '../../src/core/clock.js';
import { createHttpsFetcher } from '../../src/adapters/https/index.js';
import type { HttpsFetcher } from '../../src/core/https/types.js';
import { TestHttpsServer } from '../../src/testing/https-server.js';
import { TestPki } from '../../src/testing/test-pki.js';
import { ZoneResolver } from '../../src/testing/zone-resolver.js';
import { fetchMtaStsPolicy, MemoryMtaStsCache, resolveMtaStsPolicy } from '../../src/transport/mta-sts/index.js';

const pki = new TestPki();
const root = pki.createRoot('Hostile Test CA');
const HOSTS = ['big', 'chunked', 'mx10k', 'crlf', 'redirect', 'html', 'slow', 'stall', 'good', 'nocl', 'expired'];
let server: TestHttpsServer;
let blackhole: Server;
const blackholeSockets = new Set<Socket>();
const POLICY = 'version: STSv1\r\nmode: enforce\r\nmx: mx.example.com\r\nmax_age: 86400\r\n';

before(async () => {
  const certs = Object.fromEntries(HOSTS.map((h) => [`mta-sts.${h}.example`, pki.issue(root, { dnsNames: [`mta-sts.${h}.example`] })]));
  certs['mta-sts.expired.example'] = pki.issue(root, { dnsNames: ['mta-sts.expired.example'], days: -1 });
  server = await TestHttpsServer.start(certs, pki.issue(root, { dnsNames: ['fallback.example'] }));
  const routes = server.routes;
  routes.set('mta-sts.big.example', { body: POLICY + 'x'.repeat(70_000) });
  routes.set('mta-sts.chunked.example', { body: POLICY + '#'.repeat(200_000), chunked: true });
  routes.set('mta-sts.mx10k.example', { body: POLICY + Array.from({ length: 10_000 }, (_, i) => `mx: m${i}.example.com`).join('\r\n') });
  routes.set('mta-sts.crlf.example', { body: 'version: STSv1\r\nmode: testing\rmode: enforce\r\nmx: mx.example.com\r\nmax_age: 86400\r\n' });
  routes.set('mta-sts.redirect.example', { status: 301, headers: { location: 'https://mta-sts.good.example/.well-known/mta-sts.txt' }, body: '' });
  routes.set('mta-sts.html.example', { body: POLICY, contentType: 'text/html' });
  routes.set('mta-sts.slow.example', { body: POLICY, delayMs: 5_000 });
  routes.set('mta-sts.stall.example', { body: POLICY, stallBody: true });
  routes.set('mta-sts.good.example', { body: POLICY, contentType: 'text/plain; charset=utf-8' });
  routes.set('mta-sts.nocl.example', { body: POLICY, contentType: null });
  routes.set('mta-sts.expired.example', { body: POLICY });
  // Accepts TCP and never speaks TLS: only the connect timeout can end it.
  blackhole = createServer((socket) => {
    blackholeSockets.add(socket);
    socket.on('close', () => blackholeSockets.delete(socket));
  });
  await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', resolve));
});

after(async () => {
  for (const s of blackholeSockets) s.destroy();
  await new Promise<void>((resolve) => blackhole.close(() => resolve()));
  await server.stop();
  pki.dispose();
});

function fetcher(port = server.port, timeouts = { connectTimeoutMs: 1000, totalTimeoutMs: 1500 }): HttpsFetcher {
  return createHttpsFetcher({ extraCa: [root.certPem], portOverride: port, lookup: () => Promise.resolve({ address: '127.0.0.1', family: 4 }), ...timeouts });
}

async function outcome(host: string, f: HttpsFetcher = fetcher()): Promise<string> {
  const result = await fetchMtaStsPolicy(`${host}.example`, f);
  return result.ok ? 'ok' : `${result.reason}/${result.failure}`;
}

test('a good host works (parameters on text/plain allowed)', async () => {
  assert.equal(await outcome('good'), 'ok');
});

test('bodies over 64 KiB are refused, declared or chunked', async () => {
  assert.equal(await outcome('big'), 'body-too-large/sts-policy-fetch-error');
  assert.equal(await outcome('chunked'), 'body-too-large/sts-policy-fetch-error');
  assert.equal(await outcome('mx10k'), 'body-too-large/sts-policy-fetch-error', '10,000 mx lines do not fit in 64 KiB');
});

test('a bare CR cannot smuggle a second mode', async () => {
  assert.equal(await outcome('crlf'), 'policy-syntax/sts-policy-invalid');
});

test('redirects are refused, not followed', async () => {
  const before = server.requests.length;
  assert.equal(await outcome('redirect'), 'redirect-refused/sts-policy-fetch-error');
  assert.deepEqual(server.requests.slice(before).map((r) => r.host), ['mta-sts.redirect.example']);
});

test('wrong or missing content type is refused', async () => {
  assert.equal(await outcome('html'), 'content-type/sts-policy-invalid');
  assert.equal(await outcome('nocl'), 'content-type/sts-policy-invalid');
});

test('an expired or untrusted certificate is sts-webpki-invalid', async () => {
  assert.equal(await outcome('expired'), 'webpki-invalid/sts-webpki-invalid');
  const untrusting = createHttpsFetcher({ portOverride: server.port, lookup: () => Promise.resolve({ address: '127.0.0.1', family: 4 }) });
  assert.equal(await outcome('good', untrusting), 'webpki-invalid/sts-webpki-invalid');
});

test('slow, stalled and silent servers time out', async () => {
  for (const host of ['slow', 'stall']) {
    const started = Date.now();
    assert.equal(await outcome(host), 'timeout/sts-policy-fetch-error', host);
    assert.ok(Date.now() - started < 3000, `${host} took ${Date.now() - started} ms`);
  }
  const address = blackhole.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const started = Date.now();
  assert.equal(await outcome('good', fetcher(port, { connectTimeoutMs: 300, totalTimeoutMs: 5000 })), 'timeout/sts-policy-fetch-error');
  assert.ok(Date.now() - started < 2000);
});

test('nothing listening is a fetch error', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const address = closed.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  assert.equal(await outcome('good', fetcher(port)), 'fetch-failed/sts-policy-fetch-error');
});

test('huge and repeated TXT records end as none, fast', async () => {
  const resolver = new ZoneResolver({
    '_mta-sts.huge.example': [{ TXT: `v=STSv1; id=1; ${'x=y; '.repeat(12_000)}` }],
    '_mta-sts.many.example': Array.from({ length: 500 }, (_, i) => ({ TXT: `v=STSv1; id=${i}` })),
  });
  const deps = { resolver, fetcher: fetcher(), cache: new MemoryMtaStsCache(), clock: new ManualClock(0) };
  const huge = await resolveMtaStsPolicy('huge.example', deps);
  assert.deepEqual([huge.kind, huge.kind === 'none' && huge.reason], ['none', 'invalid-record']);
  const many = await resolveMtaStsPolicy('many.example', deps);
  assert.deepEqual([many.kind, many.kind === 'none' && many.reason], ['none', 'multiple-records']);
});
