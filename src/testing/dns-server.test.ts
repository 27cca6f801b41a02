// The test DNS server checked with a raw dns-packet client, independently of WireResolver.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import dnsPacket from 'dns-packet';
import type { DecodedPacket, Packet } from 'dns-packet';
import { TestDnsServer } from './dns-server.js';
import type { ZoneData } from './zone.js';

const zone: ZoneData = {
  'example.com': [{ TXT: ['v=spf1 ', 'mx -all'] }, { MX: [0, '.'] }, { ttl: 60 }, 'SECURE'],
  'www.example.com': [{ CNAME: 'host.example.com' }, 'SECURE'],
  'host.example.com': [{ A: '192.0.2.1' }, 'SECURE'],
  'big.example.com': [{ TXT: 'k'.repeat(2000) }],
  'trunc.example.com': [{ A: '192.0.2.2' }, 'TRUNCATE'],
  'fail.example.com': ['SERVFAIL'],
  'refused.example.com': ['REFUSED'],
  'bad.example.com': ['MALFORMED'],
  'slow.example.com': ['TIMEOUT'],
};

let server: TestDnsServer;
before(async () => {
  server = await TestDnsServer.start(zone);
});
after(async () => {
  await server.stop();
});

function query(name: string, type: string, dnssecOk = true, id = 4242): Buffer {
  const packet: Packet = { type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: type as 'A', name }] };
  if (dnssecOk) {
    packet.additionals = [{ type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: dnsPacket.DNSSEC_OK, flag_do: true, options: [] }];
  }
  return dnsPacket.encode(packet);
}

/** Sends one datagram and returns the first reply, or undefined after `waitMs`. */
function udp(message: Buffer, waitMs = 300): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      resolve(undefined);
    }, waitMs);
    socket.on('message', (reply) => {
      clearTimeout(timer);
      socket.close();
      resolve(reply);
    });
    socket.send(message, server.port, '127.0.0.1');
  });
}

function tcp(message: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.port, '127.0.0.1');
    let data = Buffer.alloc(0);
    const prefix = Buffer.alloc(2);
    prefix.writeUInt16BE(message.length);
    socket.write(Buffer.concat([prefix, message]));
    socket.on('data', (chunk) => {
      data = Buffer.concat([data, chunk]);
      if (data.length >= 2 && data.length >= 2 + data.readUInt16BE(0)) {
        socket.destroy();
        resolve(data.subarray(2, 2 + data.readUInt16BE(0)));
      }
    });
    socket.on('error', reject);
  });
}

function dataOf(rr: unknown): unknown {
  return (rr as { data?: unknown } | undefined)?.data;
}

async function ask(name: string, type: string, dnssecOk = true): Promise<DecodedPacket & { rcode?: string }> {
  const reply = await udp(query(name, type, dnssecOk));
  assert.ok(reply, `an answer for ${name}`);
  return dnsPacket.decode(reply);
}

void test('address is 127.0.0.1:port and queries are recorded with case, transport and DO bit', async () => {
  assert.equal(server.address, `127.0.0.1:${server.port}`);
  server.queries.length = 0;
  await ask('ExAmPlE.CoM', 'TXT');
  await tcp(query('example.com', 'MX', false));
  assert.deepEqual(
    server.queries.map(({ name, type, transport, dnssecOk }) => ({ name, type, transport, dnssecOk })),
    [
      { name: 'ExAmPlE.CoM', type: 'TXT', transport: 'udp', dnssecOk: true },
      { name: 'example.com', type: 'MX', transport: 'tcp', dnssecOk: false },
    ],
  );
});

void test('answers echo the ID and the question case exactly; records, TTL and AD are set', async () => {
  const reply = dnsPacket.decode((await udp(query('ExAmPlE.CoM', 'TXT', true, 777))) as Buffer) as DecodedPacket & { rcode?: string };
  assert.equal(reply.id, 777);
  assert.equal(reply.questions?.[0]?.name, 'ExAmPlE.CoM');
  assert.equal(reply.rcode, 'NOERROR');
  assert.equal(reply.flag_ad, true);
  const txt = reply.answers?.[0];
  assert.equal(txt?.type, 'TXT');
  assert.equal(txt?.ttl, 60);
  assert.deepEqual((dataOf(txt) as Buffer[]).map(String), ['v=spf1 ', 'mx -all']);
});

void test('AD is only set when the query asked for DNSSEC (DO bit)', async () => {
  assert.equal((await ask('example.com', 'TXT', false)).flag_ad, false);
});

void test('a null MX is served as "0 ."', async () => {
  const reply = await ask('example.com', 'MX');
  assert.deepEqual(dataOf(reply.answers?.[0]), { preference: 0, exchange: '.' });
});

void test('CNAME chains come in the answer section', async () => {
  const reply = await ask('www.example.com', 'A');
  assert.deepEqual(
    reply.answers?.map((rr) => [rr.type, rr.name, dataOf(rr)]),
    [
      ['CNAME', 'www.example.com', 'host.example.com'],
      ['A', 'host.example.com', '192.0.2.1'],
    ],
  );
  assert.equal(reply.flag_ad, true);
});

void test('NXDOMAIN and NODATA carry an SOA in the authority section', async () => {
  const nx = await ask('missing.example.com', 'A');
  assert.equal(nx.rcode, 'NXDOMAIN');
  assert.equal(nx.authorities?.[0]?.type, 'SOA');
  const nodata = await ask('example.com', 'A');
  assert.equal(nodata.rcode, 'NOERROR');
  assert.equal(nodata.answers?.length, 0);
  const soa = nodata.authorities?.[0];
  assert.equal(soa?.type === 'SOA' && Math.min(soa.ttl ?? 0, soa.data.minimum ?? 0), 60);
});

void test('SERVFAIL, REFUSED, MALFORMED and TIMEOUT', async () => {
  assert.equal((await ask('fail.example.com', 'A')).rcode, 'SERVFAIL');
  assert.equal((await ask('refused.example.com', 'A')).rcode, 'REFUSED');
  const garbage = await udp(query('bad.example.com', 'A'));
  assert.ok(garbage);
  assert.equal(garbage.readUInt16BE(0), 4242, 'garbage still carries our ID');
  assert.throws(() => dnsPacket.decode(garbage));
  assert.equal(await udp(query('slow.example.com', 'A'), 150), undefined);
});

void test('TRUNCATE sets TC over UDP with no answers; TCP gives the full answer', async () => {
  const truncated = await ask('trunc.example.com', 'A');
  assert.equal(truncated.flag_tc, true);
  assert.equal(truncated.answers?.length, 0);
  const full = dnsPacket.decode(await tcp(query('trunc.example.com', 'A')));
  assert.equal(full.flag_tc, false);
  assert.equal(dataOf(full.answers?.[0]), '192.0.2.2');
});

void test('a UDP answer over the advertised size is truncated; over TCP it arrives whole', async () => {
  assert.equal((await ask('big.example.com', 'TXT')).flag_tc, true);
  const full = dnsPacket.decode(await tcp(query('big.example.com', 'TXT')));
  assert.equal((dataOf(full.answers?.[0]) as Buffer[]).map(String).join(''), 'k'.repeat(2000));
});

void test('onQuery can drop, replace or pass through; setZone swaps the zone', async () => {
  server.onQuery = () => 'drop';
  assert.equal(await udp(query('example.com', 'TXT'), 150), undefined);
  server.onQuery = () => Buffer.from('not dns');
  assert.equal(String(await udp(query('example.com', 'TXT'))), 'not dns');
  server.onQuery = (q) => (q.type === 'A' ? undefined : 'drop');
  assert.equal((await ask('host.example.com', 'A')).answers?.length, 1);
  server.onQuery = undefined;
  server.setZone({ 'new.test': [{ A: '192.0.2.9' }] });
  assert.equal((await ask('example.com', 'TXT')).rcode, 'NXDOMAIN');
  assert.equal(dataOf((await ask('new.test', 'A')).answers?.[0]), '192.0.2.9');
  server.setZone(zone);
});

void test('stop() closes both sockets', async () => {
  const other = await TestDnsServer.start(zone);
  await other.stop();
  await assert.rejects(
    new Promise((resolve, reject) => {
      const socket = connect(other.port, '127.0.0.1', () => resolve(socket.destroy()));
      socket.on('error', reject);
    }),
  );
});
