import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ZoneResolver } from './zone-resolver.js';
import { Zone, type ZoneData } from './zone.js';
import { MAX_CNAME_CHAIN } from '../core/dns/limits.js';

const zone: ZoneData = {
  'Example.COM.': [{ TXT: 'v=spf1 -all' }, { MX: [10, 'MX.example.com.'] }, { ttl: 60 }],
  'example.com': [{ SOA: { mname: 'ns.example.com', rname: 'h.example.com', minimum: 30 } }],
  'mx.example.com': [{ A: '192.0.2.1' }, { AAAA: '2001:DB8:0::1' }, 'SECURE'],
  'alias.example.com': [{ CNAME: 'mx.example.com' }, 'SECURE'],
  'insecure-alias.example.com': [{ CNAME: 'mx.example.com' }],
  'long.example.com': [{ TXT: 'é'.repeat(200) }],
  'half.example.com': [{ A: '192.0.2.5' }, 'TIMEOUT'],
  'refused.example.com': ['REFUSED'],
  'loop-a.example.com': [{ CNAME: 'loop-b.example.com' }],
  'loop-b.example.com': [{ CNAME: 'loop-a.example.com' }],
};

void test('records, names normalised, entries of a name merged, query logged', async () => {
  const resolver = new ZoneResolver(zone);
  const answer = await resolver.resolve('EXAMPLE.com.', 'MX');
  assert.deepEqual(answer, {
    kind: 'records',
    secure: false,
    cnames: [],
    records: [{ name: 'example.com', type: 'MX', ttl: 60, data: { preference: 10, exchange: 'mx.example.com' } }],
  });
  assert.deepEqual(resolver.calls, [{ name: 'example.com', type: 'MX' }]);
  resolver.reset();
  assert.deepEqual(resolver.calls, []);
});

void test('AAAA is canonical, long TXT is split into ≤255-byte strings at character boundaries', async () => {
  const resolver = new ZoneResolver(zone);
  const aaaa = await resolver.resolve('mx.example.com', 'AAAA');
  assert.equal(aaaa.kind === 'records' && aaaa.records[0]?.data, '2001:db8::1');
  const txt = await resolver.resolve('long.example.com', 'TXT');
  assert.ok(txt.kind === 'records');
  const pieces = txt.records[0]?.data as string[];
  assert.equal(pieces.length, 2);
  assert.ok(pieces.every((piece) => Buffer.byteLength(piece) <= 255));
  assert.equal(pieces.join(''), 'é'.repeat(200));
});

void test('CNAMEs are followed; secure only when every name is SECURE', async () => {
  const resolver = new ZoneResolver(zone);
  const secure = await resolver.resolve('alias.example.com', 'A');
  assert.deepEqual(secure, {
    kind: 'records',
    secure: true,
    cnames: ['alias.example.com'],
    records: [{ name: 'mx.example.com', type: 'A', ttl: 300, data: '192.0.2.1' }],
  });
  const insecure = await resolver.resolve('insecure-alias.example.com', 'A');
  assert.equal(insecure.kind === 'records' && insecure.secure, false);
  const cname = await resolver.resolve('alias.example.com', 'CNAME');
  assert.equal(cname.kind === 'records' && cname.records[0]?.data, 'mx.example.com');
});

void test('negative answers carry the TTL of the closest enclosing SOA, or of the name, or the default', async () => {
  const resolver = new ZoneResolver(zone);
  assert.deepEqual(await resolver.resolve('nope.example.com', 'A'), { kind: 'nxdomain', secure: false, cnames: [], ttl: 30 });
  assert.deepEqual(await resolver.resolve('nope.other.test', 'A'), { kind: 'nxdomain', secure: false, cnames: [], ttl: 300 });
  // example.com has TTL 60 and SOA minimum 30: min wins.
  assert.deepEqual(await resolver.resolve('example.com', 'A'), { kind: 'nodata', secure: false, cnames: [], ttl: 30 });
  assert.deepEqual(await resolver.resolve('mx.example.com', 'TXT'), { kind: 'nodata', secure: true, cnames: [], ttl: 30 });
  const standalone = new ZoneResolver({ 'a.test': [{ A: '192.0.2.1' }, { ttl: 42 }] });
  assert.deepEqual(await standalone.resolve('a.test', 'TXT'), { kind: 'nodata', secure: false, cnames: [], ttl: 42 });
});

void test('failure markers apply to types not answered before them', async () => {
  const resolver = new ZoneResolver(zone);
  assert.equal((await resolver.resolve('half.example.com', 'A')).kind, 'records');
  const timeout = await resolver.resolve('half.example.com', 'TXT');
  assert.equal(timeout.kind === 'error' && timeout.error, 'timeout');
  const refused = await resolver.resolve('refused.example.com', 'A');
  assert.equal(refused.kind === 'error' && refused.error, 'refused');
});

void test('a CNAME loop and an over-long chain are servfail', async () => {
  const resolver = new ZoneResolver(zone);
  const loop = await resolver.resolve('loop-a.example.com', 'A');
  assert.equal(loop.kind === 'error' && loop.error, 'servfail');
  assert.match(loop.kind === 'error' ? loop.detail : '', /loop/);
  const chain: ZoneData = {};
  for (let i = 0; i <= MAX_CNAME_CHAIN; i++) chain[`c${i}.test`] = [{ CNAME: `c${i + 1}.test` }];
  chain[`c${MAX_CNAME_CHAIN + 1}.test`] = [{ A: '192.0.2.1' }];
  const longChain = new ZoneResolver(chain);
  assert.equal((await longChain.resolve('c1.test', 'A')).kind, 'records', 'exactly MAX_CNAME_CHAIN hops is fine');
  const tooLong = await longChain.resolve('c0.test', 'A');
  assert.match(tooLong.kind === 'error' ? tooLong.detail : '', /longer than/);
});

void test('Zone.walk reports the chain and the end', () => {
  const walk = new Zone(zone).walk('Alias.Example.Com.', 'A');
  assert.deepEqual(walk.chain, [{ owner: 'alias.example.com', target: 'mx.example.com', ttl: 300, secure: true }]);
  assert.equal(walk.owner, 'mx.example.com');
  assert.equal(walk.end.kind, 'records');
});
