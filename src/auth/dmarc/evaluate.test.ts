import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ZoneResolver } from '../../testing/zone-resolver.js';
import type { ZoneData } from '../../testing/zone.js';
import type { DnsResolver } from '../../core/dns/types.js';
import { evaluateDmarc } from './evaluate.js';
import { discoverDmarcPolicy, organizationalDomain } from './discover.js';
import { loadPublicSuffixList } from './psl.js';
import type { DmarcInput } from './types.js';

const PSL = (() => {
  const r = loadPublicSuffixList('// ===BEGIN ICANN DOMAINS===\ncom\nexample\nco.example\n// ===END ICANN DOMAINS===\n');
  assert.ok(r.ok);
  return r.value;
})();

function run(zone: ZoneData, input: DmarcInput, extra: Partial<Parameters<typeof evaluateDmarc>[1]> = {}) {
  const resolver = new ZoneResolver(zone);
  return evaluateDmarc(input, { resolver, ...extra }).then((result) => ({ result, resolver }));
}

void test('pass through aligned DKIM; fail with the policy when nothing aligns', async () => {
  const zone: ZoneData = { '_dmarc.example.com': [{ TXT: 'v=DMARC1; p=reject' }] };
  const pass = await run(zone, { from: ['Someone <a@example.com>'], dkim: [{ result: 'pass', domain: 'EXAMPLE.com', selector: 's1' }] });
  assert.equal(pass.result.result, 'pass');
  assert.equal(pass.result.reason, 'aligned-dkim');
  assert.equal(pass.result.disposition, 'none');
  assert.equal(pass.result.appliedPolicy, 'reject');
  assert.equal(pass.result.alignment.dkim[0]!.note, 'identical');
  const fail = await run(zone, { fromDomain: 'example.com', dkim: [{ result: 'fail', domain: 'example.com' }], spf: { result: 'pass', domain: 'other.example' } });
  assert.equal(fail.result.result, 'fail');
  assert.equal(fail.result.reason, 'not-aligned');
  assert.equal(fail.result.disposition, 'reject');
  assert.equal(fail.result.alignment.dkim[0]!.note, 'not-pass');
});

void test('SPF aligns only for the MAIL FROM identity, never HELO', async () => {
  const zone: ZoneData = { '_dmarc.example.com': [{ TXT: 'v=DMARC1; p=reject' }] };
  const helo = await run(zone, { fromDomain: 'example.com', spf: { result: 'pass', domain: 'example.com', identity: 'helo' } });
  assert.equal(helo.result.result, 'fail');
  assert.equal(helo.result.alignment.spf.note, 'helo-identity');
  const mailfrom = await run(zone, { fromDomain: 'example.com', spf: { result: 'pass', domain: 'bounce.example.com' } });
  assert.equal(mailfrom.result.result, 'pass');
  assert.equal(mailfrom.result.alignment.spf.note, 'same-org');
});

void test('t=y weakens the applied policy one step; the testing flag is set', async () => {
  const zone: ZoneData = { '_dmarc.example.com': [{ TXT: 'v=DMARC1; p=reject; t=y' }] };
  const { result } = await run(zone, { fromDomain: 'example.com' });
  assert.equal(result.testing, true);
  assert.equal(result.policy!.requested, 'reject');
  assert.equal(result.appliedPolicy, 'quarantine');
  assert.equal(result.disposition, 'quarantine');
});

void test('pct is ignored in RFC 9989 mode and sampled with the injected random source in RFC 7489 mode', async () => {
  const zone: ZoneData = { '_dmarc.example.com': [{ TXT: 'v=DMARC1; p=reject; pct=30' }] };
  const bis = await run(zone, { fromDomain: 'example.com' }, { random: () => 0.99 });
  assert.equal(bis.result.disposition, 'reject');
  assert.equal(bis.result.policy!.pct, undefined);
  const hit = await run(zone, { fromDomain: 'example.com' }, { mode: 'rfc7489', psl: PSL, random: () => 0.1 });
  assert.equal(hit.result.disposition, 'reject');
  assert.deepEqual(hit.result.policy!.pct, { value: 30, applied: true });
  const miss = await run(zone, { fromDomain: 'example.com' }, { mode: 'rfc7489', psl: PSL, random: () => 0.5 });
  assert.equal(miss.result.disposition, 'quarantine');
  assert.deepEqual(miss.result.policy!.pct, { value: 30, applied: false });
});

void test('np for a non-existent subdomain, sp for an existing one; an existence failure on fail is temperror', async () => {
  const zone: ZoneData = {
    '_dmarc.example.com': [{ TXT: 'v=DMARC1; p=reject; sp=quarantine; np=none' }],
    'exists.example.com': [{ MX: [10, 'mx.example.com'] }],
    'flaky.example.com': ['TIMEOUT'],
  };
  const gone = await run(zone, { fromDomain: 'gone.example.com' });
  assert.equal(gone.result.policy!.selectedBy, 'np');
  assert.equal(gone.result.policy!.authorDomainExists, false);
  assert.equal(gone.result.disposition, 'none');
  const there = await run(zone, { fromDomain: 'exists.example.com' });
  assert.equal(there.result.policy!.selectedBy, 'sp');
  assert.equal(there.result.disposition, 'quarantine');
  const flaky = await run(zone, { fromDomain: 'flaky.example.com' });
  assert.equal(flaky.result.result, 'temperror');
  const flakyPass = await run(zone, { fromDomain: 'flaky.example.com', dkim: [{ result: 'pass', domain: 'example.com' }] });
  assert.equal(flakyPass.result.result, 'pass');
  assert.ok(flakyPass.result.warnings.some((w) => w.includes('could not tell')));
});

void test('no valid p: p=none with a valid rua, no DMARC without; invalid sp behaves the same', async () => {
  const withRua = await run({ '_dmarc.example.com': [{ TXT: 'v=DMARC1; p=bogus; rua=mailto:r@example.com' }] }, { fromDomain: 'example.com' });
  assert.equal(withRua.result.result, 'fail');
  assert.equal(withRua.result.appliedPolicy, 'none');
  const without = await run({ '_dmarc.example.com': [{ TXT: 'v=DMARC1; p=bogus' }] }, { fromDomain: 'example.com' });
  assert.equal(without.result.result, 'none');
  assert.equal(without.result.reason, 'no-policy');
  const badSp = await run({ '_dmarc.example.com': [{ TXT: 'v=DMARC1; p=reject; sp=bogus; rua=mailto:r@example.com' }] }, { fromDomain: 'a.example.com' });
  assert.equal(badSp.result.appliedPolicy, 'none');
});

void test('DNS failures are temperror at every step, never pass', async () => {
  const first = await run({ '_dmarc.example.com': ['TIMEOUT'] }, { fromDomain: 'example.com', dkim: [{ result: 'pass', domain: 'example.com' }] });
  assert.equal(first.result.result, 'temperror');
  assert.equal(first.result.reason, 'dns-timeout');
  const walk = await run({ '_dmarc.example.com': ['SERVFAIL'] }, { fromDomain: 'a.example.com' });
  assert.equal(walk.result.result, 'temperror');
  assert.equal(walk.result.reason, 'dns-servfail');
  // The policy is found, but the signing domain's Organizational Domain cannot be determined.
  const align = await run(
    { '_dmarc.example.com': [{ TXT: 'v=DMARC1; p=reject' }], '_dmarc.mail.example.com': ['TIMEOUT'] },
    { fromDomain: 'example.com', dkim: [{ result: 'pass', domain: 'mail.example.com' }] },
  );
  assert.equal(align.result.result, 'temperror');
  // A resolver that throws is "try later", too.
  const throwing: DnsResolver = { resolve: () => Promise.reject(new Error('boom')) };
  const thrown = await evaluateDmarc({ fromDomain: 'example.com' }, { resolver: throwing });
  assert.equal(thrown.result, 'temperror');
});

void test('several author domains: each evaluated, the strictest failing policy reported', async () => {
  const zone: ZoneData = {
    '_dmarc.example.org': [{ TXT: 'v=DMARC1; p=none' }],
    '_dmarc.example.com': [{ TXT: 'v=DMARC1; p=reject' }],
  };
  const { result } = await run(zone, { from: ['a@example.org, b@example.com'], dkim: [{ result: 'pass', domain: 'example.org' }] });
  assert.equal(result.result, 'fail');
  assert.equal(result.fromDomain, 'example.com');
  assert.equal(result.disposition, 'reject');
  assert.equal(result.authors!.length, 2);
  const many = await run(zone, { from: ['a@a.example, b@b.example, c@c.example, d@d.example, e@e.example, f@f.example'] });
  assert.equal(many.result.result, 'permerror');
  assert.equal(many.result.reason, 'too-many-authors');
});

void test('From problems are permerror with stable reasons', async () => {
  const zone: ZoneData = {};
  assert.equal((await run(zone, { from: [] })).result.reason, 'no-from');
  assert.equal((await run(zone, { from: ['a@example.com', 'b@example.com'] })).result.reason, 'multiple-from');
  assert.equal((await run(zone, { from: ['"Test User"'] })).result.reason, 'no-author-domain');
  assert.equal((await run(zone, { from: ['a@[192.0.2.1]'] })).result.reason, 'invalid-author-domain');
  assert.equal((await run(zone, {})).result.result, 'permerror');
});

void test('RFC 7489 mode: PSL Organizational Domain, syntax errors are permerror', async () => {
  const zone: ZoneData = {
    '_dmarc.example.co.example': [{ TXT: 'v=DMARC1; p=quarantine' }],
    '_dmarc.bad.example.com': [{ TXT: 'v=DMARC1; p=none; reject' }],
  };
  const found = await discoverDmarcPolicy('a.b.example.co.example', { resolver: new ZoneResolver(zone), mode: 'rfc7489', psl: PSL });
  assert.ok(found.kind === 'found' && found.policy.source === 'organizational' && found.policy.domain === 'example.co.example');
  const bad = await run(zone, { fromDomain: 'bad.example.com' }, { mode: 'rfc7489', psl: PSL });
  assert.equal(bad.result.result, 'permerror');
  assert.equal(bad.result.reason, 'record-syntax');
  const bis = await run(zone, { fromDomain: 'bad.example.com' });
  assert.equal(bis.result.result, 'fail', 'RFC 9989 discards the broken part');
  assert.ok(bis.result.warnings.some((w) => w.startsWith('syntax')));
  assert.deepEqual(await organizationalDomain('x.y.example.co.example', { mode: 'rfc7489', psl: PSL }), { kind: 'found', domain: 'example.co.example', rule: 'psl' });
});

void test('RFC 9989 discovery: PSD policy when the Organizational Domain has none; lookups shared', async () => {
  const zone: ZoneData = { '_dmarc.gov': [{ TXT: 'v=DMARC1; p=reject; sp=quarantine; psd=y' }], 'agency.gov': [{ A: '192.0.2.1' }] };
  const { result, resolver } = await run(zone, { fromDomain: 'mail.agency.gov', spf: { result: 'pass', domain: 'bounce.agency.gov' } });
  assert.equal(result.policy!.source, 'psd');
  assert.equal(result.policy!.domain, 'gov');
  assert.equal(result.policy!.organizationalDomain, 'agency.gov');
  assert.equal(result.result, 'pass');
  const txt = resolver.calls.filter((c) => c.type === 'TXT').map((c) => c.name);
  assert.equal(txt.length, new Set(txt).size, `each _dmarc name once: ${txt.join(', ')}`);
  assert.deepEqual(result.queries.map((q) => q.name), txt);
});
