// Hostile input for SPF: random bytes as records, macro blow-ups, include/redirect loops, huge DNS answers,
// DNS that never answers, malformed client IPs. Every case must end in a result, quickly, without throwing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ZoneResolver } from '../../src/testing/zone-resolver.js';
import { seededRandom } from '../../src/testing/seeded-random.js';
import type { ZoneData } from '../../src/testing/zone.js';
import type { DnsResolver } from '../../src/core/dns/types.js';
import { checkSpf, checkHost, parseSpfRecord, lintSpf, formatReceivedSpf, formatAuthResultsSpf } from '../../src/auth/spf/index.js';
import type { SpfResult } from '../../src/auth/spf/index.js';

const RESULTS = new Set(['pass', 'fail', 'softfail', 'neutral', 'none', 'temperror', 'permerror']);

function assertResult(r: SpfResult, what: string): void {
  assert.ok(RESULTS.has(r.result), `${what}: result ${r.result}`);
  assert.equal(typeof r.reason, 'string');
  assert.ok(r.lookups <= 11, `${what}: ${r.lookups} lookups`);
  assert.doesNotThrow(() => formatReceivedSpf(r, { ip: '192.0.2.1', sender: r.sender, helo: 'h.example' }));
  assert.doesNotThrow(() => formatAuthResultsSpf(r));
}

const VOCAB = ['v=spf1', ' ', '  ', 'a', 'mx', 'ptr', 'all', '-', '+', '~', '?', 'include:', 'exists:', 'ip4:', 'ip6:', 'redirect=', 'exp=', ':', '/', '//',
  '24', '0', '129', '%{', '}', '%%', '%_', '%-', 'l', 'd2r', 's', 'i', 'p', 'ir', '.', 'example.com', 'x.example.com', '1.2.3.4', '::1', '=', '\u0000', '\u00ff', '\r', '\n'];

void test('random bytes and random token soup never throw in the parser or the evaluator', async () => {
  const rand = seededRandom(7208);
  const zone: ZoneData = { 'x.example.com': [{ TXT: 'v=spf1 a -all' }, { A: '192.0.2.1' }], 'example.com': [{ TXT: 'v=spf1 ?all' }] };
  for (let i = 0; i < 3000; i++) {
    let text: string;
    if (i % 2 === 0) {
      const len = Math.floor(rand() * 200);
      text = (i % 4 === 0 ? 'v=spf1 ' : '') + Array.from({ length: len }, () => String.fromCharCode(Math.floor(rand() * 256))).join('');
    } else {
      const n = Math.floor(rand() * 30);
      text = 'v=spf1' + Array.from({ length: n }, () => VOCAB[Math.floor(rand() * VOCAB.length)]).join('');
    }
    const parsed = parseSpfRecord(text);
    assert.equal(typeof parsed.ok, 'boolean');
    if (!parsed.ok) assert.ok(parsed.error.offset >= 0 && parsed.error.offset <= text.length, `offset for ${JSON.stringify(text)}`);
    if (i % 5 === 0) {
      const resolver = new ZoneResolver({ ...zone, 'fuzz.example.org': [{ TXT: text }] });
      const r = await checkSpf({ ip: i % 2 ? '192.0.2.1' : '2001:db8::1', sender: 'us-er+x@fuzz.example.org', helo: 'h.example' }, { resolver });
      assertResult(r, JSON.stringify(text));
    }
  }
});

void test('macro expansion is bounded: huge local parts, many macros', async () => {
  const zone = new ZoneResolver({
    'm.example.com': [{ TXT: 'v=spf1 exists:%{l1r-}.%{l1r-}.%{l1r-}.bl.example.com -all exp=e.example.com' }],
    'e.example.com': [{ TXT: '%{l}%{l}%{l}%{l}%{l}%{l}%{l}%{l}' }],
    'many.example.com': [{ TXT: `v=spf1 exists:${'%{s}'.repeat(800)}.example.com -all` }],
    'dig.example.com': [{ TXT: 'v=spf1 exists:%{l99999999999r-}.example.com -all' }],
  });
  const started = Date.now();
  const huge = `${'a-'.repeat(500_000)}b`;
  const r1 = await checkSpf({ ip: '192.0.2.1', sender: `${huge}@m.example.com`, helo: 'h.example' }, { resolver: zone });
  assertResult(r1, 'huge local part');
  assert.equal(r1.reason, 'macro-limit');
  const r2 = await checkSpf({ ip: '192.0.2.1', sender: `${'x'.repeat(300)}@many.example.com`, helo: 'h.example' }, { resolver: zone });
  assertResult(r2, 'many macros');
  const r3 = await checkSpf({ ip: '192.0.2.1', sender: `${'a-'.repeat(200)}@dig.example.com`, helo: 'h.example' }, { resolver: zone });
  assertResult(r3, 'huge digit transformer');
  // A long but legal local part: the exp expansion blows MAX_MACRO_OUTPUT and falls back to the default.
  const r4 = await checkSpf({ ip: '192.0.2.1', sender: `${'y'.repeat(2000)}@m.example.com`, helo: 'h.example' }, { resolver: zone, defaultExplanation: 'DEFAULT' });
  assert.equal(r4.result, 'fail');
  assert.equal(r4.explanation, 'DEFAULT');
  assert.ok(Date.now() - started < 5000, 'bounded time');
});

void test('include and redirect loops end in permerror via the lookup limit', async () => {
  const zone = new ZoneResolver({
    'self.example.com': [{ TXT: 'v=spf1 include:self.example.com -all' }],
    'a.example.com': [{ TXT: 'v=spf1 include:b.example.com -all' }],
    'b.example.com': [{ TXT: 'v=spf1 include:a.example.com -all' }],
    'r.example.com': [{ TXT: 'v=spf1 redirect=r.example.com' }],
    'm.example.com': [{ TXT: 'v=spf1 include:%{d}.example.com -all' }],
  });
  for (const d of ['self', 'a', 'r', 'm']) {
    const r = await checkSpf({ ip: '192.0.2.1', sender: `x@${d}.example.com`, helo: 'h.example' }, { resolver: zone });
    // m.example.com includes a name that grows each level: the first level has no record (include-none).
    assert.deepEqual([r.result, r.reason], ['permerror', d === 'm' ? 'include-none' : 'lookup-limit'], d);
    assert.ok(zone.calls.length < 100);
    zone.reset();
  }
  const lint = await lintSpf('a.example.com', { resolver: zone });
  assert.ok(lint.findings.some((f) => f.code === 'include-loop'));
});

void test('huge DNS answers: hundreds of TXT strings, 1000 MX, 1000 A, 1000 PTR', async () => {
  const strings = ['v=spf1', ...Array.from({ length: 400 }, (_, i) => ` ip4:10.${i >> 8}.${i & 255}.0/24`), ' -all'];
  const zone: ZoneData = {
    'txt.example.com': [{ TXT: strings }, ...Array.from({ length: 300 }, (_, i) => ({ TXT: `junk ${i}` }))],
    'mx.example.com': [{ TXT: 'v=spf1 mx -all' }, ...Array.from({ length: 1000 }, (_, i) => ({ MX: [i, `h${i}.example.com`] as [number, string] }))],
    'a.example.com': [{ TXT: 'v=spf1 a -all' }, ...Array.from({ length: 1000 }, (_, i) => ({ A: `10.0.${i >> 8}.${i & 255}` }))],
    'ptr.example.com': [{ TXT: 'v=spf1 ptr -all' }],
    '1.2.0.192.in-addr.arpa': Array.from({ length: 1000 }, (_, i) => ({ PTR: `p${i}.ptr.example.com` })),
  };
  const resolver = new ZoneResolver(zone);
  const txt = await checkSpf({ ip: '10.1.2.3', sender: 'a@txt.example.com', helo: 'h' }, { resolver });
  assert.equal(txt.result, 'pass');
  const mx = await checkSpf({ ip: '192.0.2.1', sender: 'a@mx.example.com', helo: 'h' }, { resolver });
  assert.deepEqual([mx.result, mx.reason], ['permerror', 'mx-limit']);
  const a = await checkSpf({ ip: '10.0.3.231', sender: 'a@a.example.com', helo: 'h' }, { resolver });
  assert.equal(a.result, 'pass');
  resolver.reset();
  const ptr = await checkSpf({ ip: '192.0.2.1', sender: 'a@ptr.example.com', helo: 'h' }, { resolver });
  assert.equal(ptr.result, 'fail');
  assert.ok(resolver.calls.length <= 13, `PTR names looked at are bounded: ${resolver.calls.length} queries`);
});

void test('DNS that never answers or always times out', async () => {
  const never: DnsResolver = { resolve: () => new Promise(() => {}) };
  const r = await checkSpf({ ip: '192.0.2.1', sender: 'a@example.com', helo: 'h' }, { resolver: never, timeoutMs: 50 });
  assert.deepEqual([r.result, r.reason], ['temperror', 'time-limit']);
  const timeouts: DnsResolver = { resolve: async () => ({ kind: 'error', error: 'timeout', detail: 'timed out' }) };
  const t = await checkSpf({ ip: '192.0.2.1', sender: 'a@example.com', helo: 'h' }, { resolver: timeouts });
  assert.deepEqual([t.result, t.reason], ['temperror', 'dns-timeout']);
  const garbage = { resolve: async () => ({ kind: 'records', records: [{ name: 'x', type: 'TXT', ttl: 1, data: 42 }], secure: false, cnames: [] }) } as unknown as DnsResolver;
  assertResult(await checkSpf({ ip: '192.0.2.1', sender: 'a@example.com', helo: 'h' }, { resolver: garbage }), 'garbage records');
});

void test('malformed client IPs and envelopes', async () => {
  const resolver = new ZoneResolver({ 'example.com': [{ TXT: 'v=spf1 +all' }] });
  for (const ip of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '::g', 'fe80::1%eth0', '[192.0.2.1]', ' 192.0.2.1', '1.2.3.4\n', '\u0000', 'x'.repeat(100_000)]) {
    const r = await checkSpf({ ip, sender: 'a@example.com', helo: 'h' }, { resolver });
    assert.deepEqual([r.result, r.reason], ['permerror', 'invalid-ip'], JSON.stringify(ip.slice(0, 20)));
  }
  for (const sender of ['@', '@@@', 'a@', 'a@b@example.com', 'a\r\n@example.com', '<>', `${'x'.repeat(10_000)}@example.com`]) {
    const r = await checkSpf({ ip: '192.0.2.1', sender, helo: 'h\r\n.example' }, { resolver });
    assertResult(r, JSON.stringify(sender.slice(0, 20)));
  }
  const host = await checkHost('192.0.2.1', 'x'.repeat(100_000), 'a@b', { resolver });
  assert.equal(host.result, 'none');
});
