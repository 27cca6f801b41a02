import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DnsAnswer, DnsResolver, RRType } from '../../core/dns/types.js';
import { ZoneResolver } from '../../testing/zone-resolver.js';
import type { ZoneData } from '../../testing/zone.js';
import { TestDnsServer } from '../../testing/dns-server.js';
import { createResolver } from '../../adapters/dns/index.js';
import { daneLookupFailureType, lookupDane } from './lookup.js';

const SHA256 = 'aa'.repeat(32);
const tlsa = (usage: number, data = SHA256) => ({ TLSA: { usage, selector: 1, matchingType: 1, data } });

const zone: ZoneData = {
  'mx.example.com': [{ A: '192.0.2.1' }, 'SECURE'],
  '_25._tcp.mx.example.com': [tlsa(3), tlsa(2), tlsa(1), 'SECURE', { ttl: 60 }],
  'unusable.example.com': [{ A: '192.0.2.2' }, 'SECURE'],
  '_25._tcp.unusable.example.com': [tlsa(0), tlsa(1), tlsa(3, 'aa'), 'SECURE'],
  'insecure-addr.example.com': [{ A: '192.0.2.3' }],
  'insecure-tlsa.example.com': [{ A: '192.0.2.4' }, 'SECURE'],
  '_25._tcp.insecure-tlsa.example.com': [tlsa(3)],
  'notlsa.example.com': [{ A: '192.0.2.5' }, 'SECURE'],
  '_25._tcp.notlsa.example.com': [{ TXT: 'x' }, 'SECURE'],
  'v6only.example.com': [{ AAAA: '2001:db8::1' }, 'SECURE'],
  '_25._tcp.v6only.example.com': [tlsa(3), 'SECURE'],
  'broken.example.com': [{ A: '192.0.2.6' }, 'SECURE'],
  '_25._tcp.broken.example.com': ['SERVFAIL'],
  'addrfail.example.com': ['TIMEOUT'],
  'alias.example.com': [{ CNAME: 'target.example.net' }, 'SECURE'],
  'target.example.net': [{ A: '192.0.2.7' }, 'SECURE'],
  '_25._tcp.target.example.net': [tlsa(3, 'bb'.repeat(32)), 'SECURE'],
  '_25._tcp.alias.example.com': [tlsa(3), 'SECURE'],
  'alias2.example.com': [{ CNAME: 'target2.example.net' }, 'SECURE'],
  'target2.example.net': [{ A: '192.0.2.8' }, 'SECURE'],
  '_25._tcp.alias2.example.com': [tlsa(2), 'SECURE'],
};

test('secure usable TLSA records: DANE, TLS required and authenticated', async () => {
  const result = await lookupDane({ host: 'MX.example.com.', mxSecure: true }, { resolver: new ZoneResolver(zone) });
  assert.equal(result.kind, 'dane');
  assert.ok(result.kind === 'dane');
  assert.equal(result.tlsaName, '_25._tcp.mx.example.com');
  assert.deepEqual(result.referenceNames, ['mx.example.com']);
  assert.deepEqual(result.tlsa.map((r) => r.usage), [3, 2]);
  assert.deepEqual(result.unusable.map((u) => u.code), ['pkix-usage-in-smtp']);
  assert.equal(result.ttl, 60);
  assert.equal(daneLookupFailureType(result, true), undefined);
});

test('secure TLSA set with no usable record: TLS mandatory, not authenticated (RFC 7672 §2.2)', async () => {
  const result = await lookupDane({ host: 'unusable.example.com', mxSecure: true }, { resolver: new ZoneResolver(zone) });
  assert.equal(result.kind, 'tlsa-unusable');
  assert.ok(result.kind === 'tlsa-unusable');
  assert.equal(result.requireTls, true);
  assert.equal(result.authenticate, false);
  assert.deepEqual(result.unusable.map((u) => u.code), ['pkix-usage-in-smtp', 'pkix-usage-in-smtp', 'bad-digest-length']);
  assert.equal(daneLookupFailureType(result, false), 'tlsa-invalid');
});

test('an insecure MX RRset means no DANE, without any query (RFC 7672 §2.2.1)', async () => {
  const resolver = new ZoneResolver(zone);
  const result = await lookupDane({ host: 'mx.example.com', mxSecure: false }, { resolver });
  assert.deepEqual([result.kind, result.kind === 'no-dane' && result.reason], ['no-dane', 'mx-insecure']);
  assert.equal(resolver.calls.length, 0);
  assert.equal(daneLookupFailureType(result, true), 'dane-required');
  assert.equal(daneLookupFailureType(result, false), undefined);
});

const reasonOf = async (host: string, resolver: DnsResolver = new ZoneResolver(zone)): Promise<string> => {
  const result = await lookupDane({ host, mxSecure: true }, { resolver });
  return result.kind === 'no-dane' || result.kind === 'temperror' ? `${result.kind}:${result.reason}` : result.kind;
};

test('insecure address or TLSA answers mean no DANE; validated denial means no DANE', async () => {
  assert.equal(await reasonOf('insecure-addr.example.com'), 'no-dane:address-insecure');
  assert.equal(await reasonOf('insecure-tlsa.example.com'), 'no-dane:tlsa-insecure');
  assert.equal(await reasonOf('notlsa.example.com'), 'no-dane:tlsa-none');
  assert.equal(await reasonOf('nowhere.example.com'), 'no-dane:address-none');
  assert.equal(await reasonOf('bad..name'), 'no-dane:invalid-host');
  assert.equal(await reasonOf('x'.repeat(64) + '.example.com'), 'no-dane:invalid-host');
});

test('a secure NXDOMAIN for the TLSA name is a validated denial', async () => {
  const inner = new ZoneResolver(zone);
  // ZoneResolver never marks NXDOMAIN secure; a validating resolver does for a signed zone.
  const resolver: DnsResolver = {
    async resolve<T extends RRType>(name: string, type: T): Promise<DnsAnswer<T>> {
      const answer = await inner.resolve(name, type);
      return answer.kind === 'nxdomain' ? { ...answer, secure: true } : answer;
    },
  };
  assert.equal(await reasonOf('mx.example.com', resolver), 'dane');
  const other = await lookupDane({ host: 'v6only.example.com', mxSecure: true }, { resolver });
  assert.equal(other.kind, 'dane', 'AAAA is tried when there is no A');
  assert.equal(await reasonOf('notlsa.example.com', resolver), 'no-dane:tlsa-none');
});

test('DNS failures defer: the host is unusable for now (RFC 7672 §2.1.1)', async () => {
  assert.equal(await reasonOf('broken.example.com'), 'temperror:tlsa-lookup-failed');
  assert.equal(await reasonOf('addrfail.example.com'), 'temperror:address-lookup-failed');
  const result = await lookupDane({ host: 'broken.example.com', mxSecure: true }, { resolver: new ZoneResolver(zone) });
  assert.equal(daneLookupFailureType(result, false), 'dnssec-invalid');
});

test('a CNAME host: the expanded name is tried first, then the original (RFC 7672 §2.2.2)', async () => {
  const resolver = new ZoneResolver(zone);
  const first = await lookupDane({ host: 'alias.example.com', mxSecure: true }, { resolver });
  assert.ok(first.kind === 'dane');
  assert.equal(first.baseDomain, 'target.example.net');
  assert.deepEqual(first.referenceNames, ['target.example.net', 'alias.example.com']);
  assert.equal(Buffer.from(first.tlsa[0]?.data ?? []).toString('hex'), 'bb'.repeat(32));

  resolver.reset();
  const second = await lookupDane({ host: 'alias2.example.com', mxSecure: true }, { resolver });
  assert.ok(second.kind === 'dane');
  assert.equal(second.baseDomain, 'alias2.example.com');
  assert.deepEqual(resolver.calls.map((c) => `${c.name} ${c.type}`), [
    'alias2.example.com A',
    '_25._tcp.target2.example.net TLSA',
    '_25._tcp.alias2.example.com TLSA',
  ]);
});

test('the same decisions through the wire resolver and a real DNS server (AD bit on the wire)', async () => {
  const server = await TestDnsServer.start(zone);
  try {
    const resolver = createResolver({ servers: [server.address], cache: false });
    assert.equal(await reasonOf('mx.example.com', resolver), 'dane');
    assert.equal(await reasonOf('unusable.example.com', resolver), 'tlsa-unusable');
    assert.equal(await reasonOf('insecure-tlsa.example.com', resolver), 'no-dane:tlsa-insecure');
    assert.equal(await reasonOf('notlsa.example.com', resolver), 'no-dane:tlsa-none');
    assert.equal(await reasonOf('broken.example.com', resolver), 'temperror:tlsa-lookup-failed');
  } finally {
    await server.stop();
  }
});
