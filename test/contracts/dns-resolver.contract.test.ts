// One list of DnsResolver assertions, run through the in-memory ZoneResolver and through the real
// WireResolver talking to TestDnsServer over UDP/TCP on 127.0.0.1. Both must also give identical answers.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { DnsAnswer, DnsResolver, RRType } from '../../src/core/dns/types.js';
import { ZoneResolver, TestDnsServer, type ZoneData } from '../../src/testing/index.js';
import { WireResolver } from '../../src/adapters/dns/index.js';

const DKIM_KEY = 'v=DKIM1; k=rsa; p=' + 'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA'.repeat(9);
const TLSA_HEX = 'd2abde240d7cd3ee6b4b28c54df034b97983a1d16e8a410e4561cb106618e971';

const zone: ZoneData = {
  'example.com': [
    { MX: [10, 'mail.example.com'] },
    { MX: [20, 'Backup.Example.NET.'] },
    { TXT: ['v=spf1 ip4:192.0.2.0/24 ', 'include:_spf.example.net -all'] },
    { NS: 'ns1.example.com' },
    { SOA: { mname: 'ns1.example.com', rname: 'hostmaster.example.com', serial: 2024010101, minimum: 120 } },
    { ttl: 3600 },
  ],
  'mail.example.com': [{ A: '192.0.2.25' }, { AAAA: '2001:DB8:0:0::25' }, { ttl: 600 }],
  'nullmx.example.com': [{ MX: [0, '.'] }],
  'sel._domainkey.example.com': [{ TXT: DKIM_KEY }],
  '25.2.0.192.in-addr.arpa': [{ PTR: 'mail.example.com' }],
  'www.example.com': [{ CNAME: 'web.example.com' }],
  'web.example.com': [{ CNAME: 'mail.example.com' }],
  'dangling.example.com': [{ CNAME: 'gone.example.com' }],
  'loop1.example.com': [{ CNAME: 'loop2.example.com' }],
  'loop2.example.com': [{ CNAME: 'loop1.example.com' }],
  '_25._tcp.mail.example.com': [{ TLSA: { usage: 3, selector: 1, matchingType: 1, data: TLSA_HEX } }],
  'signed.example.org': [{ A: '198.51.100.7' }, { TXT: 'signed' }, 'SECURE'],
  'signed-alias.example.org': [{ CNAME: 'signed.example.org' }, 'SECURE'],
  'big.example.com': [{ A: '192.0.2.80' }, 'TRUNCATE'],
  'servfail.example.com': ['SERVFAIL'],
  'refused.example.com': ['REFUSED'],
  'timeout.example.com': ['TIMEOUT'],
  'malformed.example.com': ['MALFORMED'],
};

interface Case {
  title: string;
  name: string;
  type: RRType;
  check(answer: DnsAnswer): void;
}

function records(answer: DnsAnswer): unknown[] {
  assert.equal(answer.kind, 'records', JSON.stringify(answer));
  return answer.kind === 'records' ? answer.records.map((rr) => rr.data) : [];
}

function failsWith(error: string): (answer: DnsAnswer) => void {
  return (answer) => assert.equal(answer.kind === 'error' && answer.error, error, JSON.stringify(answer));
}

const cases: Case[] = [
  { title: 'A', name: 'mail.example.com', type: 'A', check: (a) => assert.deepEqual(records(a), ['192.0.2.25']) },
  { title: 'AAAA in canonical form', name: 'mail.example.com', type: 'AAAA', check: (a) => assert.deepEqual(records(a), ['2001:db8::25']) },
  {
    title: 'MX, names normalised',
    name: 'example.com',
    type: 'MX',
    check: (a) =>
      assert.deepEqual(records(a), [
        { preference: 10, exchange: 'mail.example.com' },
        { preference: 20, exchange: 'backup.example.net' },
      ]),
  },
  { title: 'null MX', name: 'nullmx.example.com', type: 'MX', check: (a) => assert.deepEqual(records(a), [{ preference: 0, exchange: '' }]) },
  {
    title: 'multi-string TXT keeps its strings',
    name: 'example.com',
    type: 'TXT',
    check: (a) => assert.deepEqual(records(a), [['v=spf1 ip4:192.0.2.0/24 ', 'include:_spf.example.net -all']]),
  },
  {
    title: 'TXT over 255 bytes comes as several strings',
    name: 'sel._domainkey.example.com',
    type: 'TXT',
    check: (a) => {
      const [pieces] = records(a) as string[][];
      assert.ok(pieces && pieces.length === 2 && pieces[0]?.length === 255);
      assert.equal(pieces.join(''), DKIM_KEY);
    },
  },
  { title: 'PTR', name: '25.2.0.192.in-addr.arpa', type: 'PTR', check: (a) => assert.deepEqual(records(a), ['mail.example.com']) },
  { title: 'NS', name: 'example.com', type: 'NS', check: (a) => assert.deepEqual(records(a), ['ns1.example.com']) },
  {
    title: 'SOA',
    name: 'example.com',
    type: 'SOA',
    check: (a) =>
      assert.deepEqual(records(a), [
        { mname: 'ns1.example.com', rname: 'hostmaster.example.com', serial: 2024010101, refresh: 3600, retry: 600, expire: 86400, minimum: 120 },
      ]),
  },
  {
    title: 'TLSA',
    name: '_25._tcp.mail.example.com',
    type: 'TLSA',
    check: (a) => assert.deepEqual(records(a), [{ usage: 3, selector: 1, matchingType: 1, data: Uint8Array.from(Buffer.from(TLSA_HEX, 'hex')) }]),
  },
  {
    title: 'CNAME chain followed, chain reported, record TTL kept',
    name: 'www.example.com',
    type: 'A',
    check: (a) => {
      assert.deepEqual(records(a), ['192.0.2.25']);
      assert.deepEqual(a.kind === 'records' && a.cnames, ['www.example.com', 'web.example.com']);
      assert.deepEqual(a.kind === 'records' && a.records[0], { name: 'mail.example.com', type: 'A', ttl: 600, data: '192.0.2.25' });
    },
  },
  { title: 'CNAME asked for directly', name: 'www.example.com', type: 'CNAME', check: (a) => assert.deepEqual(records(a), ['web.example.com']) },
  {
    title: 'CNAME chain ending in nodata',
    name: 'www.example.com',
    type: 'TXT',
    check: (a) => assert.deepEqual(a, { kind: 'nodata', secure: false, cnames: ['www.example.com', 'web.example.com'], ttl: 120 }),
  },
  {
    title: 'CNAME to a missing name is nxdomain with the chain',
    name: 'dangling.example.com',
    type: 'A',
    check: (a) => assert.deepEqual(a, { kind: 'nxdomain', secure: false, cnames: ['dangling.example.com'], ttl: 120 }),
  },
  { title: 'CNAME loop is servfail', name: 'loop1.example.com', type: 'A', check: failsWith('servfail') },
  {
    title: 'nxdomain with negative TTL from the enclosing SOA',
    name: 'nothing.example.com',
    type: 'A',
    check: (a) => assert.deepEqual(a, { kind: 'nxdomain', secure: false, cnames: [], ttl: 120 }),
  },
  {
    title: 'nxdomain outside any SOA gets the default negative TTL',
    name: 'nothing.invalid',
    type: 'A',
    check: (a) => assert.deepEqual(a, { kind: 'nxdomain', secure: false, cnames: [], ttl: 300 }),
  },
  {
    title: 'nodata with negative TTL',
    name: 'mail.example.com',
    type: 'MX',
    check: (a) => assert.deepEqual(a, { kind: 'nodata', secure: false, cnames: [], ttl: 120 }),
  },
  { title: 'servfail', name: 'servfail.example.com', type: 'A', check: failsWith('servfail') },
  { title: 'refused', name: 'refused.example.com', type: 'A', check: failsWith('refused') },
  { title: 'malformed', name: 'malformed.example.com', type: 'A', check: failsWith('malformed') },
  { title: 'timeout', name: 'timeout.example.com', type: 'TXT', check: failsWith('timeout') },
  { title: 'truncated over UDP, answered over TCP', name: 'big.example.com', type: 'A', check: (a) => assert.deepEqual(records(a), ['192.0.2.80']) },
  {
    title: 'AD bit: secure answer',
    name: 'signed.example.org',
    type: 'A',
    check: (a) => assert.equal(a.kind === 'records' && a.secure, true),
  },
  {
    title: 'AD bit: secure through a secure CNAME',
    name: 'signed-alias.example.org',
    type: 'TXT',
    check: (a) => assert.equal(a.kind === 'records' && a.secure, true),
  },
  { title: 'AD bit: secure nodata', name: 'signed.example.org', type: 'MX', check: (a) => assert.equal(a.kind === 'nodata' && a.secure, true) },
  { title: 'AD bit: unsigned answer is not secure', name: 'mail.example.com', type: 'A', check: (a) => assert.equal(a.kind === 'records' && a.secure, false) },
  { title: 'names are case-insensitive', name: 'MAIL.Example.COM', type: 'A', check: (a) => assert.deepEqual(records(a), ['192.0.2.25']) },
  {
    title: 'trailing dot accepted; owner names normalised',
    name: 'Mail.Example.Com.',
    type: 'A',
    check: (a) => assert.equal(a.kind === 'records' && a.records[0]?.name, 'mail.example.com'),
  },
];

/** Answers compared across implementations: error details name the transport, so only the code counts. */
function comparable(answer: DnsAnswer): unknown {
  return answer.kind === 'error' ? { kind: 'error', error: answer.error } : answer;
}

let server: TestDnsServer;
let wire: WireResolver;
const memory = new ZoneResolver(zone);

before(async () => {
  server = await TestDnsServer.start(zone);
  // A short timeout and one attempt keep the timeout case fast.
  wire = new WireResolver({ servers: [server.address], timeoutMs: 150, attempts: 1 });
});
after(async () => {
  await server.stop();
});

function runContract(label: string, resolver: () => DnsResolver): void {
  void describe(`DnsResolver contract: ${label}`, () => {
    for (const c of cases) {
      void test(c.title, async () => c.check(await resolver().resolve(c.name, c.type)));
    }
  });
}

runContract('ZoneResolver', () => memory);
runContract('WireResolver + TestDnsServer', () => wire);

void describe('ZoneResolver and WireResolver agree', () => {
  void test('every case gives the same answer through both', async () => {
    const answers = await Promise.all(
      cases.map(async (c) => [c.title, comparable(await memory.resolve(c.name, c.type)), comparable(await wire.resolve(c.name, c.type))] as const),
    );
    for (const [title, fromMemory, fromWire] of answers) assert.deepEqual(fromWire, fromMemory, title);
  });

  void test('the truncated answer really went over TCP, with the DO bit set', async () => {
    server.queries.length = 0;
    await wire.resolve('big.example.com', 'A');
    assert.deepEqual(
      server.queries.map((q) => [q.name.toLowerCase(), q.transport, q.dnssecOk]),
      [
        ['big.example.com', 'udp', true],
        ['big.example.com', 'tcp', true],
      ],
    );
  });
});
