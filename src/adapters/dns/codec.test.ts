import { test } from 'node:test';
import assert from 'node:assert/strict';
import dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket } from 'dns-packet';
import { canonicalIPv6, interpretResponse, negativeTtl, recordFromAnswer } from './codec.js';
import { MAX_CNAME_CHAIN } from '../../core/dns/limits.js';

/** Encodes and decodes a response, so the codec sees exactly what it sees off the wire. */
function response(options: { rcode?: number; ad?: boolean; answers?: Answer[]; authorities?: Answer[] }): DecodedPacket {
  return dnsPacket.decode(
    dnsPacket.encode({
      type: 'response',
      id: 1,
      flags: (options.rcode ?? 0) | (options.ad ? dnsPacket.AUTHENTIC_DATA : 0),
      questions: [{ type: 'A', name: 'q.example' }],
      answers: options.answers ?? [],
      authorities: options.authorities ?? [],
    }),
  );
}

const soa: Answer = {
  type: 'SOA',
  name: 'example',
  ttl: 600,
  data: { mname: 'ns.example', rname: 'h.example', serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 120 },
};

void test('records are converted: names lower-case without dot, AAAA canonical, TXT pieces, null MX, TLSA bytes', () => {
  const decoded = response({
    answers: [
      { type: 'A', name: 'Q.Example', ttl: 5, data: '192.0.2.1' },
      { type: 'AAAA', name: 'q.example', ttl: 5, data: '2001:DB8:0::1' },
      { type: 'TXT', name: 'q.example', ttl: 5, data: ['v=spf1 ', Buffer.from('ünïcode')] },
      { type: 'MX', name: 'q.example', ttl: 5, data: { preference: 0, exchange: '.' } },
      { type: 'MX', name: 'q.example', ttl: 5, data: { preference: 10, exchange: 'MX.Example.' } },
      { type: 'NS', name: 'q.example', ttl: 5, data: 'NS1.Example' },
      { type: 'TLSA', name: '_25._tcp.q.example', ttl: 5, data: { usage: 3, selector: 1, matchingType: 1, certificate: Buffer.from('abcd', 'hex') } },
    ],
  });
  const records = (decoded.answers ?? []).map(recordFromAnswer);
  assert.deepEqual(records, [
    { name: 'q.example', type: 'A', ttl: 5, data: '192.0.2.1' },
    { name: 'q.example', type: 'AAAA', ttl: 5, data: '2001:db8::1' },
    { name: 'q.example', type: 'TXT', ttl: 5, data: ['v=spf1 ', 'ünïcode'] },
    { name: 'q.example', type: 'MX', ttl: 5, data: { preference: 0, exchange: '' } },
    { name: 'q.example', type: 'MX', ttl: 5, data: { preference: 10, exchange: 'mx.example' } },
    { name: 'q.example', type: 'NS', ttl: 5, data: 'ns1.example' },
    { name: '_25._tcp.q.example', type: 'TLSA', ttl: 5, data: { usage: 3, selector: 1, matchingType: 1, data: Uint8Array.from([0xab, 0xcd]) } },
  ]);
});

void test('types mailflow does not query are skipped', () => {
  const decoded = response({ answers: [{ type: 'SRV', name: 'q.example', ttl: 5, data: { port: 1, target: 'x', priority: 0, weight: 0 } }] });
  assert.equal(recordFromAnswer((decoded.answers ?? [])[0] as Answer), undefined);
});

void test('rcodes map to answer kinds', () => {
  const kinds = [0, 1, 2, 3, 4, 5].map((rcode) => {
    const read = interpretResponse(response({ rcode, authorities: [soa] }), 'q.example', 'A');
    assert.equal(read.kind, 'answer');
    const answer = read.kind === 'answer' ? read.answer : undefined;
    return answer?.kind === 'error' ? answer.error : answer?.kind;
  });
  assert.deepEqual(kinds, ['nodata', 'malformed', 'servfail', 'nxdomain', 'servfail', 'refused']);
});

void test('negative TTL is min(SOA TTL, SOA minimum), absent without an SOA', () => {
  assert.equal(negativeTtl(response({ authorities: [soa] })), 120);
  assert.equal(negativeTtl(response({ authorities: [{ ...soa, ttl: 30 } as Answer] })), 30);
  assert.equal(negativeTtl(response({})), undefined);
  const read = interpretResponse(response({ rcode: 3, authorities: [soa], ad: true }), 'q.example', 'A');
  assert.deepEqual(read, { kind: 'answer', answer: { kind: 'nxdomain', secure: true, cnames: [], ttl: 120 } });
});

void test('a CNAME chain in the answer section is followed to the records; AD becomes secure', () => {
  const read = interpretResponse(
    response({
      ad: true,
      answers: [
        { type: 'CNAME', name: 'q.example', ttl: 9, data: 'B.example' },
        { type: 'CNAME', name: 'b.example', ttl: 9, data: 'c.example' },
        { type: 'A', name: 'c.example', ttl: 7, data: '192.0.2.7' },
        { type: 'A', name: 'unrelated.example', ttl: 7, data: '192.0.2.99' },
      ],
    }),
    'q.example',
    'A',
  );
  assert.deepEqual(read, {
    kind: 'answer',
    answer: { kind: 'records', secure: true, cnames: ['q.example', 'b.example'], records: [{ name: 'c.example', type: 'A', ttl: 7, data: '192.0.2.7' }] },
  });
});

void test('a chain ending without records: follow when no SOA, nodata with an SOA', () => {
  const answers: Answer[] = [{ type: 'CNAME', name: 'q.example', ttl: 9, data: 'elsewhere.example' }];
  assert.deepEqual(interpretResponse(response({ answers }), 'q.example', 'A'), {
    kind: 'follow',
    target: 'elsewhere.example',
    cnames: ['q.example'],
    secure: false,
  });
  const read = interpretResponse(response({ answers, authorities: [soa] }), 'q.example', 'A');
  assert.deepEqual(read, { kind: 'answer', answer: { kind: 'nodata', secure: false, cnames: ['q.example'], ttl: 120 } });
});

void test('a CNAME loop and an over-long chain are servfail', () => {
  const loop = interpretResponse(
    response({
      answers: [
        { type: 'CNAME', name: 'q.example', ttl: 9, data: 'b.example' },
        { type: 'CNAME', name: 'b.example', ttl: 9, data: 'q.example' },
      ],
    }),
    'q.example',
    'A',
  );
  assert.equal(loop.kind === 'answer' && loop.answer.kind === 'error' && loop.answer.error, 'servfail');
  assert.match(loop.kind === 'answer' && loop.answer.kind === 'error' ? loop.answer.detail : '', /loop/);
  const prior = Array.from({ length: MAX_CNAME_CHAIN }, (_, i) => `p${i}.example`);
  const long = interpretResponse(response({ answers: [{ type: 'CNAME', name: 'q.example', ttl: 9, data: 'z.example' }] }), 'q.example', 'A', prior);
  assert.match(long.kind === 'answer' && long.answer.kind === 'error' ? long.answer.detail : '', /longer than/);
  const crossQueryLoop = interpretResponse(
    response({ answers: [{ type: 'CNAME', name: 'q.example', ttl: 9, data: 'p0.example' }] }),
    'q.example',
    'A',
    ['p0.example'],
  );
  assert.match(crossQueryLoop.kind === 'answer' && crossQueryLoop.answer.kind === 'error' ? crossQueryLoop.answer.detail : '', /loop/);
});

void test('a CNAME query returns the CNAME record itself', () => {
  const read = interpretResponse(response({ answers: [{ type: 'CNAME', name: 'q.example', ttl: 9, data: 'b.example' }] }), 'q.example', 'CNAME');
  assert.equal(read.kind === 'answer' && read.answer.kind, 'records');
});

void test('canonicalIPv6 compresses and lower-cases', () => {
  assert.equal(canonicalIPv6('2001:0DB8:0000:0000:0000:0000:0000:0001'), '2001:db8::1');
  assert.equal(canonicalIPv6('::FFFF:192.0.2.1'), '::ffff:192.0.2.1');
});
