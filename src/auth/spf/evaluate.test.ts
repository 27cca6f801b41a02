import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ZoneResolver } from '../../testing/zone-resolver.js';
import type { ZoneData } from '../../testing/zone.js';
import type { DnsResolver } from '../../core/dns/types.js';
import { checkHost, checkSpf } from './evaluate.js';
import type { SpfCheckInput } from './types.js';

const zone: ZoneData = {
  'example.com': [{ TXT: 'v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 include:_spf.example.com mx -all exp=why.example.com' }, { MX: [10, 'mx.example.com'] }],
  '_spf.example.com': [{ TXT: 'v=spf1 ip4:198.51.100.0/24 ~all' }],
  'mx.example.com': [{ A: '203.0.113.5' }, { AAAA: '2001:db8:ffff::25' }],
  'why.example.com': [{ TXT: '%{i} may not send for %{d} (%{s})' }],
  'helo.example.net': [{ TXT: 'v=spf1 a -all' }, { A: '192.0.2.99' }],
  'many.example.com': [{ TXT: 'v=spf1 a a a a a a a a a a a -all' }, { A: '198.51.100.1' }],
  'ten.example.com': [{ TXT: 'v=spf1 a a a a a a a a a a ip4:192.0.2.1 -all' }, { A: '198.51.100.1' }],
  'void.example.com': [{ TXT: 'v=spf1 a:n1.example.com a:n2.example.com a:n3.example.com ?all' }],
  'twovoid.example.com': [{ TXT: 'v=spf1 a:n1.example.com a:n2.example.com ?all' }],
  'mxmany.example.com': [{ TXT: 'v=spf1 mx ?all' }, ...Array.from({ length: 11 }, (_, i) => ({ MX: [i, `m${i}.example.com`] as [number, string] }))],
  'incnone.example.com': [{ TXT: 'v=spf1 include:nothing.example.com -all' }],
  'rednone.example.com': [{ TXT: 'v=spf1 redirect=nothing.example.com' }],
  'two.example.com': [{ TXT: 'v=spf1 -all' }, { TXT: 'V=SPF1 +all' }],
  'bad.example.com': [{ TXT: 'v=spf1 ip4:1.2.3.4/33 -all' }],
  'slow.example.com': [{ TXT: 'v=spf1 a:timeout.example.com -all' }],
  'timeout.example.com': ['TIMEOUT'],
  'servfail.example.com': ['SERVFAIL'],
  'neutral.example.com': [{ TXT: 'v=spf1 ip4:192.0.2.1' }],
  'self.example.com': [{ TXT: 'v=spf1 include:self.example.com -all' }],
};

const resolver = () => new ZoneResolver(zone);
const check = (input: Partial<SpfCheckInput> & { ip: string }, extra: object = {}) =>
  checkSpf({ sender: 'user@example.com', helo: 'helo.example.net', ...input }, { resolver: resolver(), ...extra });

void test('pass, fail with explanation, softfail via include nesting and mx', async () => {
  const pass = await check({ ip: '192.0.2.10' });
  assert.deepEqual([pass.result, pass.reason, pass.mechanism, pass.explanation], ['pass', 'matched-mechanism', 'ip4:192.0.2.0/24', undefined]);
  assert.equal(pass.lookups, 0);
  const inc = await check({ ip: '198.51.100.7' });
  assert.equal(inc.result, 'pass');
  assert.equal(inc.mechanism, 'include:_spf.example.com');
  assert.equal(inc.lookups, 1);
  assert.ok(inc.trail.some((e) => e.domain === '_spf.example.com' && e.depth === 1 && e.term === 'ip4:198.51.100.0/24'));
  const mx = await check({ ip: '2001:db8:ffff::25' });
  assert.equal(mx.result, 'pass');
  const mx4 = await check({ ip: '::ffff:203.0.113.5' });
  assert.deepEqual([mx4.result, mx4.mechanism], ['pass', 'mx']);
  const fail = await check({ ip: '203.0.113.99' });
  assert.deepEqual([fail.result, fail.mechanism, fail.explanation], ['fail', '-all', '203.0.113.99 may not send for example.com (user@example.com)']);
  assert.equal(fail.lookups, 2);
});

void test('identity: null sender is postmaster@HELO; identity helo; missing local part', async () => {
  const nul = await check({ ip: '192.0.2.99', sender: '' });
  assert.deepEqual([nul.result, nul.identity, nul.domain, nul.sender], ['pass', 'mailfrom', 'helo.example.net', 'postmaster@helo.example.net']);
  const helo = await check({ ip: '192.0.2.99', identity: 'helo' });
  assert.deepEqual([helo.result, helo.identity, helo.domain], ['pass', 'helo', 'helo.example.net']);
  const noLocal = await check({ ip: '192.0.2.10', sender: '@example.com' });
  assert.equal(noLocal.sender, 'postmaster@example.com');
  const angle = await check({ ip: '192.0.2.10', sender: '<user@example.com>' });
  assert.equal(angle.result, 'pass');
});

void test('reason codes for none, permerror and temperror', async () => {
  const cases: [Partial<SpfCheckInput> & { ip: string }, string, string][] = [
    [{ ip: '192.0.2.1', sender: 'a@nothing.example.com' }, 'none', 'no-record'],
    [{ ip: '192.0.2.1', sender: 'a@a..example.com' }, 'none', 'invalid-domain'],
    [{ ip: '192.0.2.1', sender: 'a@[192.0.2.1]' }, 'none', 'invalid-domain'],
    [{ ip: '192.0.2.1', sender: 'a@localhost' }, 'none', 'invalid-domain'],
    [{ ip: '192.0.2.1', sender: 'a@two.example.com' }, 'permerror', 'multiple-records'],
    [{ ip: '192.0.2.1', sender: 'a@bad.example.com' }, 'permerror', 'syntax-error'],
    [{ ip: '192.0.2.1', sender: 'a@many.example.com' }, 'permerror', 'lookup-limit'],
    [{ ip: '192.0.2.1', sender: 'a@ten.example.com' }, 'pass', 'matched-mechanism'],
    [{ ip: '192.0.2.1', sender: 'a@void.example.com' }, 'permerror', 'void-lookup-limit'],
    [{ ip: '192.0.2.1', sender: 'a@twovoid.example.com' }, 'neutral', 'matched-mechanism'],
    [{ ip: '192.0.2.1', sender: 'a@mxmany.example.com' }, 'permerror', 'mx-limit'],
    [{ ip: '192.0.2.1', sender: 'a@incnone.example.com' }, 'permerror', 'include-none'],
    [{ ip: '192.0.2.1', sender: 'a@rednone.example.com' }, 'permerror', 'redirect-none'],
    [{ ip: '192.0.2.1', sender: 'a@slow.example.com' }, 'temperror', 'dns-timeout'],
    [{ ip: '192.0.2.1', sender: 'a@timeout.example.com' }, 'temperror', 'dns-timeout'],
    [{ ip: '192.0.2.1', sender: 'a@servfail.example.com' }, 'temperror', 'dns-servfail'],
    [{ ip: '192.0.2.2', sender: 'a@neutral.example.com' }, 'neutral', 'default-neutral'],
    [{ ip: '192.0.2.1', sender: 'a@self.example.com' }, 'permerror', 'lookup-limit'],
    [{ ip: '300.1.1.1' }, 'permerror', 'invalid-ip'],
  ];
  for (const [input, result, reason] of cases) {
    const r = await check(input);
    assert.deepEqual([r.result, r.reason], [result, reason], `${input.sender ?? ''} ${input.ip}: ${r.detail}`);
    assert.ok(r.detail.length > 0);
    if (result !== 'fail') assert.equal(r.explanation, undefined);
  }
});

void test('limits are counted and configurable', async () => {
  const r = await check({ ip: '192.0.2.1', sender: 'a@void.example.com' });
  assert.equal(r.voidLookups, 3);
  const lenient = await check({ ip: '192.0.2.1', sender: 'a@void.example.com' }, { maxVoidLookups: 3 });
  assert.equal(lenient.result, 'neutral');
  const strict = await check({ ip: '192.0.2.1', sender: 'a@ten.example.com' }, { maxLookups: 5 });
  assert.deepEqual([strict.result, strict.reason, strict.lookups], ['permerror', 'lookup-limit', 6]);
});

void test('a resolver that never answers is bounded by timeoutMs', async () => {
  const never: DnsResolver = { resolve: () => new Promise(() => {}) };
  const r = await checkHost('192.0.2.1', 'example.com', 'a@example.com', { resolver: never, timeoutMs: 30 });
  assert.deepEqual([r.result, r.reason], ['temperror', 'time-limit']);
  const throwing: DnsResolver = { resolve: () => Promise.reject(new Error('boom')) };
  const t = await checkHost('192.0.2.1', 'example.com', 'a@example.com', { resolver: throwing });
  assert.equal(t.result, 'temperror');
});

void test('checkHost: %{r} and %{t} in explanations', async () => {
  const z = new ZoneResolver({
    'e.example.com': [{ TXT: 'v=spf1 -all exp=x.example.com' }],
    'x.example.com': [{ TXT: '%{r} at %{t}' }],
  });
  const r = await checkHost('192.0.2.1', 'e.example.com', 'a@e.example.com', { resolver: z, receiver: 'mx.rcv.example', clock: { now: () => 42_000 } });
  assert.equal(r.explanation, 'mx.rcv.example at 42');
  const d = await checkHost('192.0.2.1', 'e.example.com', 'a@e.example.com', { resolver: new ZoneResolver({ 'e.example.com': [{ TXT: 'v=spf1 -all' }] }) });
  assert.equal(d.explanation, "192.0.2.1 is not one of e.example.com's designated mail servers.");
});
