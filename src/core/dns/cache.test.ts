import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CachingResolver, DEFAULT_NEGATIVE_TTL, MAX_NEGATIVE_TTL, MAX_POSITIVE_TTL, DnsCacheOptionsError, cacheTtl } from './cache.js';
import type { DnsAnswer, DnsResolver, RRType } from './types.js';
import { ManualClock } from '../clock.js';
import { ZoneResolver } from '../../testing/zone-resolver.js';
import type { ZoneData } from '../../testing/zone.js';

/** An upstream whose answers the test sets per name, counting calls, optionally held until released. */
class ScriptedResolver implements DnsResolver {
  calls = 0;
  answers = new Map<string, DnsAnswer>();
  held: Array<() => void> = [];
  hold = false;
  resolve<T extends RRType>(name: string, type: T): Promise<DnsAnswer<T>> {
    this.calls++;
    const answer = (this.answers.get(`${name.toLowerCase()}/${type}`) ?? { kind: 'nxdomain', secure: false, cnames: [] }) as DnsAnswer<T>;
    if (!this.hold) return Promise.resolve(answer);
    return new Promise((resolve) => this.held.push(() => resolve(answer)));
  }
}

const zone: ZoneData = {
  'a.example': [{ A: '192.0.2.1' }, { ttl: 60 }],
  'multi.example': [{ A: '192.0.2.1' }, { A: '192.0.2.2' }, { ttl: 30 }],
  'empty.example': [{ TXT: 'x' }, { ttl: 20 }],
  'broken.example': ['SERVFAIL'],
};

void test('a positive answer is served from cache until its TTL passes', async () => {
  const clock = new ManualClock(1_000_000);
  const upstream = new ZoneResolver(zone);
  const cache = new CachingResolver(upstream, { clock });
  const first = await cache.resolve('a.example', 'A');
  clock.advance(59_999);
  const second = await cache.resolve('A.Example.', 'A');
  assert.equal(second, first, 'a hit returns the stored object');
  assert.equal(upstream.calls.length, 1);
  clock.advance(1);
  await cache.resolve('a.example', 'A');
  assert.equal(upstream.calls.length, 2, 'expired at exactly the TTL');
  assert.deepEqual(cache.stats(), { hits: 1, misses: 2, coalesced: 0, evictions: 0, size: 1 });
});

void test('the smallest TTL of the RRset decides, and type is part of the key', async () => {
  const clock = new ManualClock();
  const upstream = new ScriptedResolver();
  upstream.answers.set('m.example/A', {
    kind: 'records',
    secure: false,
    cnames: [],
    records: [
      { name: 'm.example', type: 'A', ttl: 100, data: '192.0.2.1' },
      { name: 'm.example', type: 'A', ttl: 10, data: '192.0.2.2' },
    ],
  });
  const cache = new CachingResolver(upstream, { clock });
  await cache.resolve('m.example', 'A');
  await cache.resolve('m.example', 'AAAA');
  assert.equal(upstream.calls, 2);
  clock.advance(9_000);
  await cache.resolve('m.example', 'A');
  assert.equal(upstream.calls, 2);
  clock.advance(1_000);
  await cache.resolve('m.example', 'A');
  assert.equal(upstream.calls, 3);
});

void test('nxdomain and nodata are cached for their negative TTL', async () => {
  const clock = new ManualClock();
  const upstream = new ZoneResolver(zone);
  const cache = new CachingResolver(upstream, { clock });
  const nodata = await cache.resolve('empty.example', 'A');
  assert.equal(nodata.kind, 'nodata');
  assert.equal(nodata.kind === 'nodata' && nodata.ttl, 20);
  const nx = await cache.resolve('missing.example', 'A');
  assert.equal(nx.kind === 'nxdomain' && nx.ttl, 300);
  clock.advance(19_000);
  await cache.resolve('empty.example', 'A');
  await cache.resolve('missing.example', 'A');
  assert.equal(upstream.calls.length, 2);
  clock.advance(1_000);
  await cache.resolve('empty.example', 'A');
  assert.equal(upstream.calls.length, 3, 'nodata expired after 20 s');
  await cache.resolve('missing.example', 'A');
  assert.equal(upstream.calls.length, 3, 'nxdomain still cached (300 s)');
});

void test('negative answers without an SOA get the short default; huge TTLs are capped', () => {
  assert.equal(cacheTtl({ kind: 'nxdomain', secure: false, cnames: [] }), DEFAULT_NEGATIVE_TTL);
  assert.equal(cacheTtl({ kind: 'nodata', secure: false, cnames: [], ttl: 999_999 }), MAX_NEGATIVE_TTL);
  const record = { name: 'x', type: 'A' as const, ttl: 9_999_999, data: '192.0.2.1' };
  assert.equal(cacheTtl({ kind: 'records', secure: false, cnames: [], records: [record] }), MAX_POSITIVE_TTL);
  assert.equal(cacheTtl({ kind: 'error', error: 'timeout', detail: '' }), 0);
});

void test('errors are never cached', async () => {
  const upstream = new ZoneResolver(zone);
  const cache = new CachingResolver(upstream, { clock: new ManualClock() });
  assert.equal((await cache.resolve('broken.example', 'A')).kind, 'error');
  assert.equal((await cache.resolve('broken.example', 'A')).kind, 'error');
  assert.equal(upstream.calls.length, 2);
  assert.equal(cache.stats().size, 0);
});

void test('TTL 0 answers are not cached', async () => {
  const upstream = new ZoneResolver({ 'z.example': [{ A: '192.0.2.9' }, { ttl: 0 }] });
  const cache = new CachingResolver(upstream, { clock: new ManualClock() });
  await cache.resolve('z.example', 'A');
  await cache.resolve('z.example', 'A');
  assert.equal(upstream.calls.length, 2);
});

void test('the cache is bounded and evicts the least recently used entry', async () => {
  const clock = new ManualClock();
  const upstream = new ZoneResolver({ 'a.x': [{ A: '192.0.2.1' }], 'b.x': [{ A: '192.0.2.2' }], 'c.x': [{ A: '192.0.2.3' }] });
  const cache = new CachingResolver(upstream, { clock, maxEntries: 2 });
  await cache.resolve('a.x', 'A');
  await cache.resolve('b.x', 'A');
  await cache.resolve('a.x', 'A'); // a is now more recent than b
  await cache.resolve('c.x', 'A'); // evicts b
  assert.equal(cache.stats().size, 2);
  assert.equal(cache.stats().evictions, 1);
  upstream.reset();
  await cache.resolve('a.x', 'A');
  await cache.resolve('c.x', 'A');
  assert.deepEqual(upstream.calls, []);
  await cache.resolve('b.x', 'A');
  assert.deepEqual(upstream.calls, [{ name: 'b.x', type: 'A' }]);
});

void test('concurrent identical queries share one upstream query', async () => {
  const upstream = new ScriptedResolver();
  upstream.hold = true;
  const cache = new CachingResolver(upstream, { clock: new ManualClock() });
  const pending = [cache.resolve('n.example', 'A'), cache.resolve('N.EXAMPLE.', 'A'), cache.resolve('n.example', 'A')];
  const other = cache.resolve('n.example', 'TXT');
  assert.equal(upstream.calls, 2, 'one per distinct name/type');
  for (const release of upstream.held) release();
  const answers = await Promise.all(pending);
  await other;
  assert.equal(answers[0], answers[1]);
  assert.equal(answers[1], answers[2]);
  assert.equal(cache.stats().coalesced, 2);
  await cache.resolve('n.example', 'A');
  assert.equal(upstream.calls, 2, 'and the shared answer was cached');
});

void test('an aborted caller gets a timeout answer while the shared query completes for others', async () => {
  const upstream = new ScriptedResolver();
  upstream.hold = true;
  const cache = new CachingResolver(upstream, { clock: new ManualClock() });
  const controller = new AbortController();
  const aborted = cache.resolve('q.example', 'A', { signal: controller.signal });
  const patient = cache.resolve('q.example', 'A');
  controller.abort();
  assert.deepEqual(await aborted, { kind: 'error', error: 'timeout', detail: 'aborted' });
  for (const release of upstream.held) release();
  assert.equal((await patient).kind, 'nxdomain');
});

void test('an upstream that throws yields servfail, not a rejection, and is not cached', async () => {
  const cache = new CachingResolver({ resolve: () => Promise.reject(new Error('boom')) }, { clock: new ManualClock() });
  const answer = await cache.resolve('x.example', 'A');
  assert.equal(answer.kind === 'error' && answer.error, 'servfail');
  assert.equal(cache.stats().size, 0);
});

void test('bad options are rejected when the cache is built', () => {
  assert.throws(() => new CachingResolver(new ScriptedResolver(), { maxEntries: 0 }), DnsCacheOptionsError);
});

void test('errors are cached only when asked, for errorTtlSeconds (RFC 2308 §7), and never longer than 300 s', async () => {
  const clock = new ManualClock(1_000_000);
  const upstream = new ScriptedResolver();
  upstream.answers.set('down.example/TXT', { kind: 'error', error: 'timeout', detail: 'no answer' });
  const plain = new CachingResolver(upstream, { clock });
  await plain.resolve('down.example', 'TXT');
  await plain.resolve('down.example', 'TXT');
  assert.equal(upstream.calls, 2, 'default: each query asks again');
  const cached = new CachingResolver(upstream, { clock, errorTtlSeconds: 5 });
  const first = await cached.resolve('down.example', 'TXT');
  clock.advance(4_999);
  assert.equal(await cached.resolve('down.example', 'TXT'), first);
  assert.equal(upstream.calls, 3);
  clock.advance(1);
  upstream.answers.set('down.example/TXT', { kind: 'records', records: [{ type: 'TXT', data: ['up again'], ttl: 60 }], secure: false, cnames: [] } as unknown as DnsAnswer);
  assert.equal((await cached.resolve('down.example', 'TXT')).kind, 'records', 'after the error TTL the network is asked again');
  assert.equal(upstream.calls, 4);
  assert.throws(() => new CachingResolver(upstream, { errorTtlSeconds: 301 }), DnsCacheOptionsError);
  assert.throws(() => new CachingResolver(upstream, { errorTtlSeconds: -1 }), DnsCacheOptionsError);
});
