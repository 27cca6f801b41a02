// Hostile input for DMARC: floods of From fields, huge and tricky From values, IDN and UTF-8 domains,
// encoded-word tricks, deep names (bounded tree walks), DNS failing at each step (temperror, never pass),
// and random bytes as records. Every case must end in a result, quickly, without throwing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ZoneResolver } from '../../src/testing/zone-resolver.js';
import { seededRandom } from '../../src/testing/seeded-random.js';
import type { ZoneData } from '../../src/testing/zone.js';
import type { DnsAnswer, DnsResolver, RRType } from '../../src/core/dns/types.js';
import {
  evaluateDmarc,
  extractFromDomain,
  formatAuthResultsDmarc,
  parseDmarcRecord,
  MAX_TREE_WALK_QUERIES,
  type DmarcResult,
} from '../../src/auth/dmarc/index.js';

const RESULTS = new Set(['pass', 'fail', 'none', 'temperror', 'permerror']);

function assertResult(r: DmarcResult, what: string): void {
  assert.ok(RESULTS.has(r.result), `${what}: result ${r.result}`);
  assert.equal(typeof r.reason, 'string');
  const header = formatAuthResultsDmarc(r);
  assert.ok(!/[\r\n]/.test(header), `${what}: header has no line breaks`);
}

const ZONE: ZoneData = { '_dmarc.example.com': [{ TXT: 'v=DMARC1; p=reject' }] };

void test('1,000 From header fields: multiple-from at once, no DNS', async () => {
  const resolver = new ZoneResolver(ZONE);
  const from = Array.from({ length: 1000 }, (_, i) => `user${i}@example${i}.com`);
  const started = performance.now();
  const r = await evaluateDmarc({ from, dkim: [{ result: 'pass', domain: 'example.com' }] }, { resolver });
  assert.equal(r.result, 'permerror');
  assert.equal(r.reason, 'multiple-from');
  assert.equal(resolver.calls.length, 0);
  assert.ok(performance.now() - started < 200);
});

void test('one From field with 1,000 addresses, and one over the size limit', async () => {
  const resolver = new ZoneResolver(ZONE);
  const many = Array.from({ length: 1000 }, (_, i) => `u${i}@d${i}.example`).join(', ');
  const r = await evaluateDmarc({ from: [many] }, { resolver });
  assert.equal(r.result, 'permerror', 'over MAX_FROM_LENGTH');
  const twoHundred = Array.from({ length: 200 }, (_, i) => `u@d${i}.example`).join(',');
  const tooMany = await evaluateDmarc({ from: [twoHundred] }, { resolver });
  assert.equal(tooMany.reason, 'too-many-authors');
  const six = await evaluateDmarc({ from: ['a@a.example, b@b.example, c@c.example, d@d.example, e@e.example, f@f.example'] }, { resolver });
  assert.equal(six.reason, 'too-many-authors', 'more author domains than MAX_AUTHOR_DOMAINS');
  assert.equal(resolver.calls.length, 0);
  const sameDomain = Array.from({ length: 90 }, (_, i) => `u${i}@example.com`).join(', ');
  const same = await evaluateDmarc({ from: [sameDomain], dkim: [{ result: 'pass', domain: 'example.com' }] }, { resolver });
  assert.equal(same.result, 'pass', 'many addresses in one domain are one author domain');
  const huge = await evaluateDmarc({ from: [`${'A'.repeat(100_000)} <a@example.com>`] }, { resolver });
  assert.equal(huge.result, 'permerror');
});

void test('header floods of junk: parser ends with a verdict for every shape', async () => {
  const rand = seededRandom(9989);
  const vocab = ['<', '>', '@', ',', ':', ';', '"', '(', ')', '\\', '[', ']', '=?utf-8?q?', '?=', 'example.com', 'user', ' ', '\r\n ', '\t', 'xn--', 'ü', '\u0000', '.', '..', 'é.example'];
  const resolver = new ZoneResolver(ZONE);
  for (let i = 0; i < 2000; i++) {
    let value = '';
    const n = 1 + Math.floor(rand() * 30);
    for (let k = 0; k < n; k++) value += vocab[Math.floor(rand() * vocab.length)];
    const extracted = extractFromDomain([value]);
    if (extracted.ok) for (const d of extracted.domains) assert.match(d, /^[a-z0-9._-]+$/, `${JSON.stringify(value)} → ${d}`);
    if (i % 10 === 0) assertResult(await evaluateDmarc({ from: [value] }, { resolver }), JSON.stringify(value));
  }
});

void test('IDN, UTF-8 and encoded-word tricks never put a display-name domain in charge', async () => {
  const resolver = new ZoneResolver({ ...ZONE, '_dmarc.evil.example': [{ TXT: 'v=DMARC1; p=none' }] });
  const cases: Array<[string, string]> = [
    ['"ceo@example.com" <x@evil.example>', 'evil.example'],
    ['=?utf-8?b?Y2VvQGV4YW1wbGUuY29t?= <x@evil.example>', 'evil.example'],
    ['ceo@example.com <x@evil.example>', 'evil.example'],
    ['x@evil.example (ceo@example.com)', 'evil.example'],
    ['"x@example.com"@evil.example', 'evil.example'],
    ['user@ＥＸＡＭＰＬＥ．ＣＯＭ', 'example.com'],
    ['user@exa\u200bmple.com', 'example.com'],
  ];
  for (const [from, domain] of cases) {
    const r = await evaluateDmarc({ from: [from], dkim: [{ result: 'pass', domain: 'evil.example' }] }, { resolver });
    assert.equal(r.fromDomain, domain, from);
    if (domain === 'example.com') assert.equal(r.result, 'fail', `${from}: a look-alike mapped to example.com meets example.com's policy`);
  }
  for (const bad of ['x@=?utf-8?q?example.com?=', 'x@example.com%00.evil', 'x@[127.0.0.1]', 'x@exa%41mple.com', 'x@xn--.com', 'x@-bad-.com']) {
    const r = await evaluateDmarc({ from: [bad], dkim: [{ result: 'pass', domain: 'example.com' }] }, { resolver });
    assert.notEqual(r.result, 'pass', bad);
  }
});

void test('tree walks over 50-label names stay within 8 queries per walk', async () => {
  const deep = (suffix: string): string => `${Array.from({ length: 48 }, (_, i) => `l${i}`).join('.')}.${suffix}`;
  const resolver = new ZoneResolver(ZONE);
  const r = await evaluateDmarc(
    { fromDomain: deep('example.com'), spf: { result: 'pass', domain: deep('example.net') }, dkim: Array.from({ length: 40 }, (_, i) => ({ result: 'pass' as const, domain: deep(`d${i}.example.org`) })) },
    { resolver },
  );
  assertResult(r, 'deep');
  assert.equal(r.result, 'fail');
  const txt = resolver.calls.filter((c) => c.type === 'TXT');
  // Author walk + SPF walk + MAX_DKIM_DOMAINS signing-domain walks, each ≤ 8, shared names once.
  assert.ok(txt.length <= MAX_TREE_WALK_QUERIES * 10, `${txt.length} TXT queries`);
  assert.equal(txt.length, new Set(txt.map((c) => c.name)).size);
  assert.ok(resolver.calls.length <= 100);
});

void test('thousands of DKIM results are cut, not walked', async () => {
  const resolver = new ZoneResolver(ZONE);
  const dkim = Array.from({ length: 5000 }, (_, i) => ({ result: 'pass' as const, domain: `s${i}.example.net` }));
  const r = await evaluateDmarc({ fromDomain: 'example.com', dkim }, { resolver });
  assert.equal(r.result, 'fail');
  assert.ok(r.alignment.dkim.length <= 50);
  assert.ok(resolver.calls.length <= 100);
});

/** A resolver that fails exactly the n-th query with `error`, and answers from a zone otherwise. */
class FailingNth implements DnsResolver {
  calls = 0;
  constructor(private readonly inner: ZoneResolver, private readonly n: number, private readonly error: 'timeout' | 'servfail' | 'refused' | 'malformed') {}
  resolve<T extends RRType>(name: string, type: T): Promise<DnsAnswer<T>> {
    this.calls++;
    if (this.calls === this.n) return Promise.resolve({ kind: 'error', error: this.error, detail: `injected ${this.error}` });
    return this.inner.resolve(name, type);
  }
}

void test('a DNS failure at any step is temperror or an unaffected verdict, never a pass that depended on it', async () => {
  const zone: ZoneData = {
    '_dmarc.example.com': [{ TXT: 'v=DMARC1; p=reject; sp=quarantine; np=reject' }],
    '_dmarc.example.net': [{ TXT: 'v=DMARC1; p=none' }],
  };
  // Relaxed alignment through walks: author a.b.example.com (non-existent), SPF bounce.example.com, DKIM x.example.net.
  const input = { fromDomain: 'a.b.example.com', spf: { result: 'pass' as const, domain: 'bounce.example.com' }, dkim: [{ result: 'pass' as const, domain: 'x.example.net' }] };
  const baseline = await evaluateDmarc(input, { resolver: new ZoneResolver(zone) });
  assert.equal(baseline.result, 'pass');
  const total = new ZoneResolver(zone);
  await evaluateDmarc(input, { resolver: total });
  for (let n = 1; n <= total.calls.length; n++) {
    for (const error of ['timeout', 'servfail', 'refused', 'malformed'] as const) {
      const r = await evaluateDmarc(input, { resolver: new FailingNth(new ZoneResolver(zone), n, error) });
      assertResult(r, `query ${n} ${error}`);
      assert.ok(r.result === 'temperror' || r.result === 'pass', `query ${n} ${error}: ${r.result} ${r.reason}`);
    }
  }
  // Without any aligned identifier every failure must be temperror (the verdict needs every answer).
  const failing = { fromDomain: 'a.b.example.com', dkim: [{ result: 'pass' as const, domain: 'x.example.net' }] };
  const count = new ZoneResolver(zone);
  await evaluateDmarc(failing, { resolver: count });
  for (let n = 1; n <= count.calls.length; n++) {
    const r = await evaluateDmarc(failing, { resolver: new FailingNth(new ZoneResolver(zone), n, 'timeout') });
    assert.equal(r.result, 'temperror', `query ${n} (${count.calls[n - 1]!.name} ${count.calls[n - 1]!.type})`);
  }
});

void test('random bytes and token soup as records never throw and never yield pass without alignment', async () => {
  const rand = seededRandom(7489);
  const vocab = ['v=DMARC1', 'v=DMARC1;', ';', ' ', '=', 'p=', 'reject', 'none', 'sp=', 'np=', 'psd=y', 'psd=n', 't=y', 'pct=', '101', 'rua=', 'mailto:', '@', ',', '!', '10m', 'adkim=s', 'fo=', ':', '\u0000', '\u00ff', '\t', 'x'];
  for (let i = 0; i < 3000; i++) {
    let text = '';
    if (i % 2 === 0) {
      const n = Math.floor(rand() * 40);
      for (let k = 0; k < n; k++) text += String.fromCharCode(Math.floor(rand() * 256));
    } else {
      const n = 1 + Math.floor(rand() * 20);
      for (let k = 0; k < n; k++) text += vocab[Math.floor(rand() * vocab.length)];
    }
    const parsed = parseDmarcRecord(text);
    if (parsed.ok) for (const issue of parsed.value.issues) assert.ok(issue.offset >= 0 && issue.offset <= text.length);
    if (i % 5 === 0) {
      const resolver = new ZoneResolver({ '_dmarc.example.com': [{ TXT: text.length ? text : ' ' }] });
      const r = await evaluateDmarc({ fromDomain: 'example.com', dkim: [{ result: 'fail', domain: 'example.com' }] }, { resolver });
      assertResult(r, JSON.stringify(text));
      assert.notEqual(r.result, 'pass');
    }
  }
});
