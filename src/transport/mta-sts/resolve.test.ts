import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../core/clock.js';
import type { DnsResolver, RRType } from '../../core/dns/types.js';
import type { HttpsFetcher, HttpsFetchRequest, HttpsFetchResult } from '../../core/https/types.js';
import { ZoneResolver } from '../../testing/zone-resolver.js';
import type { ZoneData } from '../../testing/zone.js';
import { MemoryMtaStsCache } from './cache.js';
import { fetchMtaStsPolicy } from './fetch.js';
import { normalizePolicyDomain, resolveMtaStsPolicy } from './resolve.js';
import type { MtaStsDecision } from './types.js';

const POLICY = 'version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 86400\n';
const POLICY2 = 'version: STSv1\nmode: testing\nmx: *.example.com\nmax_age: 3600\n';

/** A scripted fetcher that records the URLs asked for. */
class ScriptedFetcher implements HttpsFetcher {
  readonly calls: HttpsFetchRequest[] = [];
  next: HttpsFetchResult | (() => never) = ok(POLICY);
  fetch(request: HttpsFetchRequest): Promise<HttpsFetchResult> {
    this.calls.push(request);
    const next = this.next;
    return typeof next === 'function' ? Promise.resolve().then(next) : Promise.resolve(next);
  }
}
function ok(body: string | Uint8Array, contentType = 'text/plain', status = 200): HttpsFetchResult {
  return { kind: 'response', status, headers: { 'content-type': contentType }, body: typeof body === 'string' ? new TextEncoder().encode(body) : body };
}

function setup(zone: ZoneData = { '_mta-sts.example.com': [{ TXT: 'v=STSv1; id=one' }] }) {
  let current = new ZoneResolver(zone);
  const calls: string[] = [];
  const resolver: DnsResolver = {
    resolve: <T extends RRType>(name: string, type: T) => {
      calls.push(`${name} ${type}`);
      return current.resolve(name, type);
    },
  };
  const setZone = (next: ZoneData): void => {
    current = new ZoneResolver(next);
  };
  const fetcher = new ScriptedFetcher();
  const cache = new MemoryMtaStsCache();
  const clock = new ManualClock(Date.UTC(2024, 0, 1));
  const run = (domain = 'example.com', extra: { forceRefresh?: boolean } = {}): Promise<MtaStsDecision> =>
    resolveMtaStsPolicy(domain, { resolver, fetcher, cache, clock, ...extra });
  return { calls, setZone, fetcher, cache, clock, run };
}

const summary = (d: MtaStsDecision): string =>
  d.kind === 'policy' ? `policy:${d.source}${d.cacheUse ? `:${d.cacheUse}` : ''}:${d.id}:${d.policy.mode}` : `${d.kind}:${d.reason}`;

test('fetches, caches until max_age, and serves the cache while the id is unchanged (RFC 8461 §5)', async () => {
  const { fetcher, cache, clock, run } = setup();
  const first = await run('Example.COM.');
  assert.equal(summary(first), 'policy:fetched:one:enforce');
  assert.equal(fetcher.calls[0]?.url, 'https://mta-sts.example.com/.well-known/mta-sts.txt');
  assert.equal(fetcher.calls[0]?.maxBodyBytes, 65536);
  assert.equal((await cache.get('example.com'))?.expiresAt, clock.now() + 86_400_000);
  clock.advance(3600_000);
  assert.equal(summary(await run()), 'policy:cache:id-unchanged:one:enforce');
  assert.equal(fetcher.calls.length, 1);
});

test('a changed id triggers a fetch; a failed fetch keeps enforcing the cached policy', async () => {
  const { setZone, fetcher, run } = setup();
  await run();
  setZone({ '_mta-sts.example.com': [{ TXT: 'v=STSv1; id=two' }] });
  fetcher.next = ok(POLICY2);
  assert.equal(summary(await run()), 'policy:fetched:two:testing');
  setZone({ '_mta-sts.example.com': [{ TXT: 'v=STSv1; id=three' }] });
  fetcher.next = { kind: 'error', error: 'connect', detail: 'refused' };
  const kept = await run();
  assert.equal(summary(kept), 'policy:cache:refresh-failed:two:testing');
  assert.ok(kept.kind === 'policy' && kept.refreshFailure?.failure === 'sts-policy-fetch-error');
});

test('a vanished, broken or unanswered TXT record does not strip a cached policy', async () => {
  const { setZone, run } = setup();
  await run();
  const zones: ZoneData[] = [
    {},
    { '_mta-sts.example.com': ['SERVFAIL'] },
    { '_mta-sts.example.com': [{ TXT: 'v=STSv1; id=a' }, { TXT: 'v=STSv1; id=b' }] },
    { '_mta-sts.example.com': [{ TXT: 'v=STSv1; id=' }] },
  ];
  for (const zone of zones) {
    setZone(zone);
    assert.equal(summary(await run()), 'policy:cache:txt-unavailable:one:enforce');
  }
});

test('without a cache: none for no, several or bad records and DNS failure; error for a failed fetch', async () => {
  const cases: [ZoneData, string][] = [
    [{}, 'none:no-record'],
    [{ '_mta-sts.example.com': [{ A: '192.0.2.1' }] }, 'none:no-record'],
    [{ '_mta-sts.example.com': [{ TXT: 'v=STSv1; id=a' }, { TXT: 'v=STSv1; id=b' }] }, 'none:multiple-records'],
    [{ '_mta-sts.example.com': [{ TXT: 'v=STSv1; id=bad-id' }] }, 'none:invalid-record'],
    [{ '_mta-sts.example.com': [{ TXT: 'v=STSv1; id=a' }, { TXT: 'v=spf1 -all' }] }, 'policy:fetched:a:enforce'],
    [{ '_mta-sts.example.com': ['TIMEOUT'] }, 'none:dns-error'],
  ];
  for (const [zone, expected] of cases) {
    const { run } = setup(zone);
    assert.equal(summary(await run()), expected, JSON.stringify(zone));
  }
  const { fetcher, run, cache } = setup();
  fetcher.next = ok('garbage');
  const failed = await run();
  assert.equal(summary(failed), 'error:policy-syntax');
  assert.ok(failed.kind === 'error' && failed.failure === 'sts-policy-invalid' && failed.id === 'one');
  assert.equal(await cache.get('example.com'), undefined);
});

test('an expired cache entry is dropped and refetched', async () => {
  const { fetcher, clock, run, cache } = setup();
  await run();
  clock.advance(86_400_001);
  fetcher.next = { kind: 'error', error: 'timeout', detail: 'slow' };
  assert.equal(summary(await run()), 'error:timeout');
  assert.equal(await cache.get('example.com'), undefined);
});

test('forceRefresh and the refresh interval refetch with an unchanged id', async () => {
  const { fetcher, clock, run } = setup();
  const week = POLICY.replace('86400', '604800');
  fetcher.next = ok(week);
  await run();
  fetcher.next = ok(POLICY2.replace('3600', '604800'));
  assert.equal(summary(await run('example.com', { forceRefresh: true })), 'policy:fetched:one:testing');
  clock.advance(23 * 3600_000);
  assert.equal(summary(await run()), 'policy:cache:id-unchanged:one:testing', 'within the refresh interval');
  clock.advance(2 * 3600_000);
  fetcher.next = ok(week);
  assert.equal(summary(await run()), 'policy:fetched:one:enforce', 'past the 24 h refresh interval');
  clock.advance(25 * 3600_000);
  fetcher.next = { kind: 'error', error: 'dns', detail: 'x' };
  assert.equal(summary(await run()), 'policy:cache:refresh-failed:one:enforce');
  assert.equal(fetcher.calls.length, 4);
});

test('invalid domains are none without any query', async () => {
  const { calls, run } = setup();
  for (const domain of ['.example.com', '.example.com.', '[192.0.2.1]', 'localhost', 'a..example.com', '', '192.0.2.1', 'x'.repeat(64) + '.com']) {
    assert.equal(summary(await run(domain)), 'none:invalid-domain', domain);
  }
  assert.equal(calls.length, 0);
  assert.equal(normalizePolicyDomain('Bücher.example.'), 'xn--bcher-kva.example');
});

test('fetch outcomes map to stable reasons and RFC 8460 types', async () => {
  const fetcher = new ScriptedFetcher();
  const cases: [HttpsFetchResult | (() => never), string][] = [
    [ok(POLICY, 'text/plain; charset=utf-8'), 'ok'],
    [ok(POLICY, 'TEXT/PLAIN'), 'ok'],
    [ok(POLICY, 'text/html'), 'content-type/sts-policy-invalid'],
    [{ kind: 'response', status: 200, headers: {}, body: new TextEncoder().encode(POLICY) }, 'content-type/sts-policy-invalid'],
    [ok(POLICY, 'text/plain', 301), 'redirect-refused/sts-policy-fetch-error'],
    [ok(POLICY, 'text/plain', 404), 'http-status/sts-policy-fetch-error'],
    [ok(POLICY, 'text/plain', 204), 'http-status/sts-policy-fetch-error'],
    [ok(new Uint8Array([0x76, 0xff, 0xfe])), 'policy-syntax/sts-policy-invalid'],
    [ok(new Uint8Array(65537)), 'body-too-large/sts-policy-fetch-error'],
    [{ kind: 'error', error: 'certificate', detail: 'x' }, 'webpki-invalid/sts-webpki-invalid'],
    [{ kind: 'error', error: 'too-large', detail: 'x' }, 'body-too-large/sts-policy-fetch-error'],
    [{ kind: 'error', error: 'tls', detail: 'x' }, 'fetch-failed/sts-policy-fetch-error'],
    [{ kind: 'error', error: 'timeout', detail: 'x' }, 'timeout/sts-policy-fetch-error'],
    [() => { throw new Error('bug'); }, 'fetch-failed/sts-policy-fetch-error'],
  ];
  for (const [next, expected] of cases) {
    fetcher.next = next;
    const result = await fetchMtaStsPolicy('example.com', fetcher);
    assert.equal(result.ok ? 'ok' : `${result.reason}/${result.failure}`, expected, JSON.stringify(next));
  }
});
