// The background MTA-STS refresher over a ManualClock, a ZoneResolver and a real HTTPS server with TestPki
// certificates: a changed id refetches, an unchanged one far from expiry fetches nothing, one near expiry
// refetches, a failed fetch or a vanished TXT record keeps the cached policy; the JSON file cache lists its
// domains; the timer runs, reports and stops.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHttpsFetcher } from '../../adapters/https/index.js';
import { JsonFileMtaStsCache } from '../../adapters/mta-sts-cache/index.js';
import { ManualClock } from '../../core/clock.js';
import { TestHttpsServer } from '../../testing/https-server.js';
import { TestPki } from '../../testing/test-pki.js';
import { ZoneResolver } from '../../testing/zone-resolver.js';
import { MemoryMtaStsCache } from './cache.js';
import { DEFAULT_EXPIRY_WINDOW_MS, refreshMtaStsPolicies, startMtaStsRefresher, type MtaStsRefreshDeps } from './refresh.js';
import type { CachedMtaStsPolicy } from './types.js';

const NOW = Date.UTC(2026, 4, 1);
const DAY = 86_400_000;
const pki = new TestPki();
const root = pki.createRoot('Refresh Test CA');
let server: TestHttpsServer;
const policyText = (mx: string, maxAge = 604800) => `version: STSv1\r\nmode: enforce\r\nmx: ${mx}\r\nmax_age: ${maxAge}\r\n`;

before(async () => {
  const hosts = ['changed', 'same', 'near', 'broken', 'gone'].map((h) => `mta-sts.${h}.test`);
  server = await TestHttpsServer.start(Object.fromEntries(hosts.map((h) => [h, pki.issue(root, { dnsNames: [h] })])), pki.issue(root, { dnsNames: ['fallback.test'] }));
  server.routes.set('mta-sts.changed.test', { body: policyText('mx2.changed.test') });
  server.routes.set('mta-sts.same.test', { body: policyText('mx.same.test') });
  server.routes.set('mta-sts.near.test', { body: policyText('mx.near.test', 1209600) });
  server.routes.set('mta-sts.broken.test', { status: 500, body: 'down' });
  server.routes.set('mta-sts.gone.test', { body: policyText('mx.gone.test') });
});

after(async () => {
  await server.stop();
  pki.dispose();
});

function cached(domain: string, id: string, expiresAt: number): CachedMtaStsPolicy {
  return { domain, id, policy: { version: 'STSv1', mode: 'enforce', mx: [`mx.${domain}`], maxAge: 604800, extensions: [] }, fetchedAt: expiresAt - 604800_000, expiresAt };
}

const zone = new ZoneResolver({
  '_mta-sts.changed.test': [{ TXT: 'v=STSv1; id=new2' }],
  '_mta-sts.same.test': [{ TXT: 'v=STSv1; id=one' }],
  '_mta-sts.near.test': [{ TXT: 'v=STSv1; id=one' }],
  '_mta-sts.broken.test': [{ TXT: 'v=STSv1; id=new' }],
  '_mta-sts.gone.test': ['SERVFAIL'],
});

function deps(cache: MtaStsRefreshDeps['cache'], clock = new ManualClock(NOW)): MtaStsRefreshDeps {
  const fetcher = createHttpsFetcher({ extraCa: [root.certPem], portOverride: server.port, lookup: () => Promise.resolve({ address: '127.0.0.1', family: 4 }), totalTimeoutMs: 2000 });
  return { resolver: zone, fetcher, cache, clock };
}

test('changed id refetches, unchanged far from expiry does nothing, near expiry refetches, failures keep the cached policy', async () => {
  const cache = new MemoryMtaStsCache();
  await cache.set(cached('changed.test', 'old', NOW + 6 * DAY));
  await cache.set(cached('same.test', 'one', NOW + 30 * DAY));
  await cache.set(cached('near.test', 'one', NOW + DAY));
  await cache.set(cached('broken.test', 'old', NOW + 2 * DAY));
  await cache.set(cached('gone.test', 'old', NOW + 3 * DAY));
  server.requests.length = 0;

  const results = await refreshMtaStsPolicies(deps(cache));
  const by = Object.fromEntries(results.map((r) => [r.domain, r]));

  assert.deepEqual(by['changed.test'], { domain: 'changed.test', outcome: 'refreshed', why: 'id-changed', id: 'new2', previousId: 'old', expiresAt: NOW + 604800_000, mode: 'enforce' });
  assert.deepEqual((await cache.get('changed.test'))?.policy.mx, ['mx2.changed.test']);

  assert.deepEqual(by['same.test'], { domain: 'same.test', outcome: 'unchanged', id: 'one', expiresAt: NOW + 30 * DAY });
  assert.ok(!server.requests.some((r) => r.host === 'mta-sts.same.test'), 'nothing fetched for an unchanged policy');

  assert.equal(by['near.test']?.outcome, 'refreshed');
  assert.equal(by['near.test']?.outcome === 'refreshed' && by['near.test'].why, 'near-expiry');
  assert.equal((await cache.get('near.test'))?.expiresAt, NOW + 1209600_000);

  // A 500 and a failed TXT lookup: the cached entries stay exactly as they were.
  assert.deepEqual(by['broken.test'], { domain: 'broken.test', outcome: 'failed', reason: 'http-status', detail: 'https://mta-sts.broken.test/.well-known/mta-sts.txt: HTTP 500', keptId: 'old', keptUntil: NOW + 2 * DAY });
  assert.deepEqual(await cache.get('broken.test'), cached('broken.test', 'old', NOW + 2 * DAY));
  assert.equal(by['gone.test']?.outcome === 'failed' && by['gone.test'].reason, 'dns-error');
  assert.deepEqual(await cache.get('gone.test'), cached('gone.test', 'old', NOW + 3 * DAY));
  assert.ok(!server.requests.some((r) => r.host === 'mta-sts.gone.test'), 'no fetch without a TXT id');
});

test('an expired entry is refetched when its TXT record still announces a policy; the window is a setting', async () => {
  const cache = new MemoryMtaStsCache();
  await cache.set(cached('same.test', 'one', NOW - 1));
  const [r] = await refreshMtaStsPolicies(deps(cache));
  assert.equal(r?.outcome === 'refreshed' && r.why, 'near-expiry');
  await cache.set(cached('same.test', 'one', NOW + DEFAULT_EXPIRY_WINDOW_MS + 1));
  assert.equal((await refreshMtaStsPolicies(deps(cache)))[0]?.outcome, 'unchanged');
  assert.equal((await refreshMtaStsPolicies({ ...deps(cache), expiryWindowMs: DEFAULT_EXPIRY_WINDOW_MS + 2 }))[0]?.outcome, 'refreshed');
});

test('the JSON file cache lists its domains (across a reopen) for the refresher', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mailflow-sts-refresh-'));
  try {
    const file = join(dir, 'cache.json');
    const first = new JsonFileMtaStsCache(file);
    await first.set(cached('Changed.test', 'old', NOW + DAY));
    await first.set(cached('same.test', 'one', NOW + 30 * DAY));
    const reopened = new JsonFileMtaStsCache(file);
    assert.deepEqual((await reopened.domains()).sort(), ['changed.test', 'same.test']);
    const results = await refreshMtaStsPolicies(deps(reopened));
    assert.deepEqual(results.map((r) => [r.domain, r.outcome]), [['changed.test', 'refreshed'], ['same.test', 'unchanged']]);
    assert.equal((await new JsonFileMtaStsCache(file).get('changed.test'))?.id, 'new2', 'the refreshed policy is on disk');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the refresher runs after its first delay plus jitter, reports, runs again, and stops', async () => {
  const cache = new MemoryMtaStsCache();
  await cache.set(cached('same.test', 'one', NOW + 30 * DAY));
  const runs: string[][] = [];
  const refresher = startMtaStsRefresher(deps(cache), {
    firstDelayMs: 5,
    everyMs: 5,
    jitterMs: 10,
    random: () => 0.5,
    onResults: (results) => runs.push(results.map((r) => r.outcome)),
    onError: (error) => assert.fail(String(error)),
  });
  await new Promise((resolve) => setTimeout(resolve, 100));
  await refresher.stop();
  const count = runs.length;
  assert.ok(count >= 2, `ran ${count} times`);
  assert.deepEqual(runs[0], ['unchanged']);
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.equal(runs.length, count, 'no run after stop');
});
