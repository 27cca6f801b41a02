// WireResolver against a hostile or broken server: spoofed, garbage, endless and looping answers.
// Every case must end within its bound, with a definite answer, and never accept a wrong answer.

import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import dnsPacket from 'dns-packet';
import { TestDnsServer, type ReceivedQuery, type ZoneData } from '../../src/testing/index.js';
import { WireResolver } from '../../src/adapters/dns/index.js';
import { MAX_TCP_BYTES } from '../../src/adapters/dns/transport-tcp.js';
import { MAX_CNAME_CHAIN } from '../../src/core/dns/limits.js';

const TIMEOUT_MS = 120;
const zone: ZoneData = {
  'target.example.com': [{ A: '192.0.2.1' }],
  'toomany.example.com': Array.from({ length: 3000 }, (_, i) => ({ A: `10.0.${(i >> 8) & 255}.${i & 255}` })),
  'many.example.com': Array.from({ length: 2000 }, (_, i) => ({ A: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` })),
};

let server: TestDnsServer;
before(async () => {
  server = await TestDnsServer.start(zone);
});
afterEach(() => {
  server.onQuery = undefined;
  server.queries.length = 0;
});
after(async () => {
  await server.stop();
});

function resolver(attempts = 1, servers = [server.address]): WireResolver {
  return new WireResolver({ servers, timeoutMs: TIMEOUT_MS, attempts });
}

/** The correct answer, then changed by `mutate`. */
function answerWith(query: ReceivedQuery, mutate: (message: Buffer) => void): Buffer {
  const message = Buffer.from(server.respond(query) as Buffer);
  mutate(message);
  return message;
}

const wrongId = (q: ReceivedQuery): Buffer => answerWith(q, (m) => m.writeUInt16BE(m.readUInt16BE(0) ^ 0x5a5a, 0));
const wrongQuestion = (q: ReceivedQuery): Buffer =>
  dnsPacket.encode({
    type: 'response',
    id: q.id,
    questions: [{ type: 'A', name: 'evil.example.com' }],
    answers: [{ type: 'A', name: 'evil.example.com', ttl: 60, data: '203.0.113.66' }],
  });

async function timed<T>(work: Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const value = await work;
  return [value, performance.now() - start];
}

function assertError(answer: unknown, error: string): void {
  assert.equal((answer as { kind: string }).kind, 'error', JSON.stringify(answer));
  assert.equal((answer as { error: string }).error, error, JSON.stringify(answer));
}

void test('answers with a wrong ID or a wrong question are ignored, then the query times out', async () => {
  for (const spoof of [wrongId, wrongQuestion]) {
    server.onQuery = (q) => spoof(q);
    const [answer, ms] = await timed(resolver().resolve('target.example.com', 'A'));
    assertError(answer, 'timeout');
    assert.ok(ms >= TIMEOUT_MS - 5 && ms < TIMEOUT_MS + 300, `${ms} ms`);
  }
});

void test('the right answer is accepted after spoofed and garbage ones', async () => {
  server.onQuery = (q) => [wrongId(q), wrongQuestion(q), randomBytes(64), Buffer.alloc(3), server.respond(q) as Buffer];
  const answer = await resolver().resolve('target.example.com', 'A');
  assert.equal(answer.kind === 'records' && answer.records[0]?.data, '192.0.2.1');
});

void test('an answer whose 0x20 case differs from the query is rejected', async () => {
  server.onQuery = (q) =>
    answerWith(q, (m) => {
      // Swap the case of every letter of the echoed question name.
      for (let i = 12; i < 12 + q.name.length + 2; i++) {
        const byte = m[i] as number;
        if ((byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a)) m[i] = byte ^ 0x20;
      }
    });
  assertError(await resolver().resolve('target.example.com', 'A'), 'timeout');
  assert.ok(server.queries.length >= 1);
});

void test('an answer from another source port is ignored', async () => {
  const spoofer = createSocket('udp4');
  await new Promise<void>((resolve) => spoofer.bind(0, '127.0.0.1', resolve));
  server.onQuery = (q) => {
    spoofer.send(server.respond(q) as Buffer, q.from.port, '127.0.0.1');
    return 'drop';
  };
  try {
    assertError(await resolver().resolve('target.example.com', 'A'), 'timeout');
  } finally {
    spoofer.close();
  }
});

void test('random bytes are ignored (timeout); garbage behind our ID and question is malformed', async () => {
  server.onQuery = () => randomBytes(200);
  assertError(await resolver().resolve('target.example.com', 'A'), 'timeout');
  // Our header and question, then a record whose name is a forward pointer far past the end.
  server.onQuery = (q) => Buffer.concat([answerWith(q, () => undefined).subarray(0, 12 + q.name.length + 6), Buffer.from([0xff, 0xff, 0xff])]);
  assertError(await resolver().resolve('target.example.com', 'A'), 'malformed');
});

void test('a compression-pointer loop is reported as malformed at once, not a hang', async () => {
  server.onQuery = (q) => {
    const header = answerWith(q, () => undefined).subarray(0, 12 + q.name.length + 6);
    const message = Buffer.from(header);
    message.writeUInt16BE(1, 6); // ANCOUNT 1
    message.writeUInt16BE(0, 8);
    message.writeUInt16BE(0, 10);
    const at = message.length;
    const pointerToSelf = Buffer.from([0xc0 | (at >> 8), at & 0xff]);
    return Buffer.concat([message, pointerToSelf, Buffer.from([0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1])]);
  };
  const [answer, ms] = await timed(resolver().resolve('target.example.com', 'A'));
  assertError(answer, 'malformed');
  assert.ok(ms < TIMEOUT_MS, `${ms} ms`);
});

void test('a server that never answers times out within servers × attempts × timeout', async () => {
  server.onQuery = () => 'drop';
  const [answer, ms] = await timed(resolver(2).resolve('target.example.com', 'A'));
  assertError(answer, 'timeout');
  assert.equal(server.queries.length, 2, 'two attempts');
  assert.ok(ms >= 2 * TIMEOUT_MS - 5 && ms < 2 * TIMEOUT_MS + 300, `${ms} ms`);
});

void test('a dead or failing first server is passed over for the next one', async () => {
  const dead = await TestDnsServer.start({});
  dead.onQuery = () => 'drop';
  const failing = await TestDnsServer.start({ 'target.example.com': ['SERVFAIL'] });
  try {
    for (const first of [dead, failing]) {
      const answer = await resolver(1, [first.address, server.address]).resolve('target.example.com', 'A');
      assert.equal(answer.kind, 'records', JSON.stringify(answer));
    }
    const onlyFailing = await resolver(2, [failing.address]).resolve('target.example.com', 'A');
    assertError(onlyFailing, 'servfail');
    assert.equal(failing.queries.length, 2, 'a SERVFAIL is not retried on the same server');
  } finally {
    await dead.stop();
    await failing.stop();
  }
});

void test('a huge answer (near 65535 bytes) comes over TCP after TC and is decoded whole', async () => {
  const answer = await resolver().resolve('many.example.com', 'A');
  assert.equal(answer.kind === 'records' && answer.records.length, 2000);
  assert.deepEqual(
    server.queries.map((q) => q.transport),
    ['udp', 'tcp'],
  );
  // More than a TCP message can hold: the test server answers SERVFAIL, as a real one fails the query.
  assertError(await resolver().resolve('toomany.example.com', 'A'), 'servfail');
});

void test('a TCP server that streams junk is cut off, and a short frame times out', async () => {
  server.onQuery = (q) => (q.transport === 'udp' ? answerWith(q, (m) => (m[2] = (m[2] as number) | 0x02)) : { raw: Buffer.alloc(MAX_TCP_BYTES + 70_000, 0xff) });
  const [junk, ms] = await timed(resolver().resolve('target.example.com', 'A'));
  assertError(junk, 'timeout');
  assert.match(junk.kind === 'error' ? junk.detail : '', /more than/);
  assert.ok(ms < TIMEOUT_MS, `cut off before the deadline (${ms} ms)`);
  server.onQuery = (q) => (q.transport === 'udp' ? answerWith(q, (m) => (m[2] = (m[2] as number) | 0x02)) : { raw: Buffer.from([0xff, 0xff, 1, 2, 3]) });
  assertError(await resolver().resolve('target.example.com', 'A'), 'timeout');
});

void test('a server that answers every name with a CNAME to a fresh name is stopped at MAX_CNAME_CHAIN', async () => {
  let n = 0;
  server.onQuery = (q) =>
    dnsPacket.encode({
      type: 'response',
      id: q.id,
      flags: dnsPacket.RECURSION_AVAILABLE,
      questions: [{ type: 'A', name: q.name }],
      answers: [{ type: 'CNAME', name: q.name, ttl: 60, data: `hop${n++}.example.com` }],
    });
  const answer = await resolver().resolve('start.example.com', 'A');
  assertError(answer, 'servfail');
  assert.match(answer.kind === 'error' ? answer.detail : '', /longer than/);
  assert.ok(server.queries.length <= MAX_CNAME_CHAIN + 1, `${server.queries.length} queries`);
});

void test('a CNAME loop spread over several answers is servfail', async () => {
  server.onQuery = (q) => {
    const next = q.name.toLowerCase() === 'ping.example.com' ? 'pong.example.com' : 'ping.example.com';
    return dnsPacket.encode({
      type: 'response',
      id: q.id,
      questions: [{ type: 'A', name: q.name }],
      answers: [{ type: 'CNAME', name: q.name, ttl: 60, data: next }],
    });
  };
  const answer = await resolver().resolve('ping.example.com', 'A');
  assertError(answer, 'servfail');
  assert.match(answer.kind === 'error' ? answer.detail : '', /loop/);
  assert.equal(server.queries.length, 2);
});

void test('an abort signal ends the query at once', async () => {
  server.onQuery = () => 'drop';
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 20);
  const [answer, ms] = await timed(new WireResolver({ servers: [server.address], timeoutMs: 5_000 }).resolve('target.example.com', 'A', { signal: controller.signal }));
  assert.deepEqual(answer, { kind: 'error', error: 'timeout', detail: 'aborted' });
  assert.ok(ms < 500, `${ms} ms`);
});

void test('names that cannot be sent are malformed without touching the network', async () => {
  const answer = await resolver().resolve(`${'a'.repeat(64)}.example.com`, 'A');
  assertError(answer, 'malformed');
  assert.equal(server.queries.length, 0);
});
