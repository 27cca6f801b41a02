import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ZoneResolver } from '../../testing/zone-resolver.js';
import type { ZoneData } from '../../testing/zone.js';
import { ManualClock } from '../../core/clock.js';
import type { HttpsFetcher, HttpsFetchRequest, HttpsFetchResult } from '../../core/https/types.js';
import { MemoryMtaStsCache } from '../mta-sts/cache.js';
import { decideTlsPolicy, lookupMxSecure } from './select.js';
import { parseTlsPolicyConfig, findMandatoryRule } from './config.js';
import type { TlsPolicyConfig } from './types.js';

const HASH = 'aa'.repeat(32);
const config: TlsPolicyConfig = { defaultTls: 'opportunistic', minTlsVersion: 'TLSv1.2', mandatory: [] };

class StubFetcher implements HttpsFetcher {
  readonly urls: string[] = [];
  constructor(private readonly bodies: Record<string, HttpsFetchResult>) {}
  fetch(request: HttpsFetchRequest): Promise<HttpsFetchResult> {
    this.urls.push(request.url);
    const host = new URL(request.url).hostname;
    return Promise.resolve(this.bodies[host] ?? { kind: 'error', error: 'dns', detail: `${host}: no such host` });
  }
}

function policy(text: string): HttpsFetchResult {
  return { kind: 'response', status: 200, headers: { 'content-type': 'text/plain' }, body: Buffer.from(text) };
}

function deps(zone: ZoneData, bodies: Record<string, HttpsFetchResult> = {}) {
  return { resolver: new ZoneResolver(zone), fetcher: new StubFetcher(bodies), mtaStsCache: new MemoryMtaStsCache(), clock: new ManualClock(1_700_000_000_000) };
}

const daneZone: ZoneData = {
  'dane.example': [{ MX: [10, 'mx.dane.example'] }, 'SECURE'],
  'mx.dane.example': [{ A: '192.0.2.1' }, 'SECURE'],
  '_25._tcp.mx.dane.example': [{ TLSA: { usage: 3, selector: 1, matchingType: 1, data: HASH } }, 'SECURE'],
  '_mta-sts.dane.example': [{ TXT: 'v=STSv1; id=1' }],
};

const stsZone: ZoneData = {
  'sts.example': [{ MX: [10, 'mx1.sts.example'] }],
  'mx1.sts.example': [{ A: '192.0.2.2' }],
  '_mta-sts.sts.example': [{ TXT: 'v=STSv1; id=20240101' }],
};
const enforce = { 'mta-sts.sts.example': policy('version: STSv1\nmode: enforce\nmx: *.sts.example\nmax_age: 86400\n') };

test('a mandatory rule wins over DANE and MTA-STS, and nothing else is looked up', async () => {
  const d = deps(daneZone);
  const cfg = { ...config, mandatory: [{ domain: 'dane.example', minTlsVersion: 'TLSv1.3' as const, fingerprints: ['SHA256:' + 'AB:'.repeat(31) + 'AB'] }] };
  const decision = await decideTlsPolicy('Dane.Example.', 'mx.dane.example', cfg, d);
  assert.equal(decision.mechanism, 'mandatory');
  assert.deepEqual(decision.requirements.fingerprints, ['ab'.repeat(32)]);
  assert.equal(decision.requirements.authenticate, 'pinned');
  assert.equal(decision.requirements.minVersion, 'TLSv1.3');
  assert.equal(decision.requirements.tls, 'required');
  assert.deepEqual(decision.skipped, []);
  assert.equal(d.resolver.calls.length, 0);
});

test('mandatory rule variants: names or caFile mean WebPKI, a bare rule means encrypt-only, .parent rules cover subdomains', async () => {
  const d = deps({});
  const rules = { ...config, mandatory: [{ domain: '.partner.example', names: ['*.partner.example'] }, { domain: 'bank.example', caFile: '/etc/bank-ca.pem' }, { domain: 'plain.example' }] };
  const sub = await decideTlsPolicy('eu.partner.example', 'mx.eu.partner.example', rules, d);
  assert.equal(sub.requirements.authenticate, 'webpki');
  assert.deepEqual(sub.requirements.names, ['*.partner.example']);
  const bank = await decideTlsPolicy('bank.example', 'mx.bank.example', rules, d);
  assert.equal(bank.requirements.caFile, '/etc/bank-ca.pem');
  assert.deepEqual(bank.requirements.names, ['mx.bank.example']);
  const plain = await decideTlsPolicy('plain.example', 'mx.plain.example', rules, d);
  assert.equal(plain.requirements.authenticate, 'none');
  assert.equal(plain.requirements.tls, 'required');
  assert.equal(findMandatoryRule('partner.example', rules.mandatory), undefined, '.parent does not cover the parent itself');
});

test('DANE applies when MX, address and TLSA are secure, and beats MTA-STS', async () => {
  const d = deps(daneZone, enforce);
  const decision = await decideTlsPolicy('dane.example', 'mx.dane.example', config, d);
  assert.equal(decision.mechanism, 'dane');
  assert.equal(decision.reportAs, 'tlsa');
  assert.equal(decision.requirements.authenticate, 'dane');
  assert.equal(decision.requirements.servername, 'mx.dane.example');
  assert.equal(decision.requirements.tlsa?.length, 1);
  assert.deepEqual(decision.policyString, [`3 1 1 ${HASH.toUpperCase()}`]);
  assert.deepEqual(decision.skipped.map((s) => s.mechanism), ['mandatory']);
  assert.equal((d.fetcher as StubFetcher).urls.length, 0, 'MTA-STS is not consulted when DANE applies');
});

test('DANE does not apply on an insecure MX or an insecure TLSA answer: the reason is kept', async () => {
  const insecureMx = { ...daneZone, 'dane.example': [{ MX: [10, 'mx.dane.example'] as [number, string] }] };
  const a = await decideTlsPolicy('dane.example', 'mx.dane.example', config, deps(insecureMx));
  assert.equal(a.mechanism, 'opportunistic');
  assert.equal(a.skipped.find((s) => s.mechanism === 'dane')?.reason, 'mx-insecure');
  const insecureTlsa = { ...daneZone, '_25._tcp.mx.dane.example': [{ TLSA: { usage: 3, selector: 1, matchingType: 1, data: HASH } }] };
  const b = await decideTlsPolicy('dane.example', 'mx.dane.example', { ...config, defaultTls: 'forced' }, deps(insecureTlsa));
  assert.equal(b.mechanism, 'forced');
  assert.equal(b.requirements.tls, 'required');
  assert.equal(b.requirements.authenticate, 'none');
  assert.equal(b.skipped.find((s) => s.mechanism === 'dane')?.reason, 'tlsa-insecure');
  assert.equal(b.reportAs, 'no-policy-found');
  assert.equal(b.policyFailures[0]?.resultType, 'sts-policy-fetch-error', 'the announced STS policy could not be fetched');
});

test('a secure but unusable TLSA set still makes TLS mandatory, unauthenticated, and is reported as tlsa-invalid', async () => {
  const zone = { ...daneZone, '_25._tcp.mx.dane.example': [{ TLSA: { usage: 1, selector: 1, matchingType: 1, data: HASH } }, 'SECURE' as const] };
  const decision = await decideTlsPolicy('dane.example', 'mx.dane.example', config, deps(zone));
  assert.equal(decision.mechanism, 'dane');
  assert.equal(decision.requirements.tls, 'required');
  assert.equal(decision.requirements.authenticate, 'none');
  assert.equal(decision.policyFailures[0]?.resultType, 'tlsa-invalid');
  assert.equal(decision.blocked, undefined);
});

test('a failed TLSA lookup on a secure MX blocks the host with dnssec-invalid', async () => {
  const zone = { ...daneZone, '_25._tcp.mx.dane.example': ['SERVFAIL' as const] };
  const decision = await decideTlsPolicy('dane.example', 'mx.dane.example', config, deps(zone));
  assert.equal(decision.mechanism, 'dane');
  assert.equal(decision.blocked?.resultType, 'dnssec-invalid');
});

test('MTA-STS enforce: a matching MX requires WebPKI TLS; a non-matching MX is blocked', async () => {
  const d = deps(stsZone, enforce);
  const ok = await decideTlsPolicy('sts.example', 'mx1.sts.example', config, d);
  assert.equal(ok.mechanism, 'mta-sts');
  assert.equal(ok.reportAs, 'sts');
  assert.deepEqual(ok.requirements.sts, { mode: 'enforce', id: '20240101', mx: ['*.sts.example'], maxAge: 86400 });
  assert.equal(ok.requirements.tls, 'required');
  assert.equal(ok.requirements.authenticate, 'webpki');
  assert.deepEqual(ok.requirements.names, ['mx1.sts.example']);
  assert.deepEqual(ok.policyString, ['version: STSv1', 'mode: enforce', 'mx: *.sts.example', 'max_age: 86400']);
  assert.deepEqual(ok.skipped.map((s) => `${s.mechanism}:${s.reason}`), ['mandatory:no-rule', 'dane:mx-insecure']);
  const bad = await decideTlsPolicy('sts.example', 'mx.elsewhere.example', config, d);
  assert.equal(bad.blocked?.resultType, 'validation-failure');
  assert.equal((d.fetcher as StubFetcher).urls.length, 1, 'the second decision used the cache');
});

test('MTA-STS testing: TLS optional, failures reported only; mode none is skipped', async () => {
  const testing = await decideTlsPolicy('sts.example', 'mx.other.example', config, deps(stsZone, { 'mta-sts.sts.example': policy('version: STSv1\nmode: testing\nmx: *.sts.example\nmax_age: 600\n') }));
  assert.equal(testing.mechanism, 'mta-sts');
  assert.equal(testing.requirements.tls, 'optional');
  assert.equal(testing.blocked, undefined);
  assert.equal(testing.policyFailures[0]?.resultType, 'validation-failure');
  const none = await decideTlsPolicy('sts.example', 'mx1.sts.example', config, deps(stsZone, { 'mta-sts.sts.example': policy('version: STSv1\nmode: none\nmax_age: 600\n') }));
  assert.equal(none.mechanism, 'opportunistic');
  assert.equal(none.skipped.find((s) => s.mechanism === 'mta-sts')?.reason, 'mode-none');
});

test('lookupMxSecure: the MX must be validated and name the host; implicit MX needs a validated denial', async () => {
  const resolver = new ZoneResolver({ 'a.example': [{ MX: [10, 'mx.a.example'] }, 'SECURE'], 'b.example': [{ A: '192.0.2.9' }, 'SECURE'] });
  assert.equal(await lookupMxSecure('a.example', 'mx.a.example', { resolver }), true);
  assert.equal(await lookupMxSecure('a.example', 'mx.other.example', { resolver }), false);
  assert.equal(await lookupMxSecure('b.example', 'b.example', { resolver }), true);
  const decision = await decideTlsPolicy('a.example', 'mx.a.example', config, deps({}), { mxSecure: true });
  assert.equal(decision.skipped.find((s) => s.mechanism === 'dane')?.reason, 'address-none');
});

test('parseTlsPolicyConfig: defaults, and errors that name the path', () => {
  assert.deepEqual(parseTlsPolicyConfig(undefined), { ok: true, value: { defaultTls: 'opportunistic', minTlsVersion: 'TLSv1.2', mandatory: [] } });
  const good = parseTlsPolicyConfig({ defaultTls: 'forced', mandatory: [{ domain: 'Example.COM.', names: ['mx.example.com'] }] });
  assert.ok(good.ok);
  assert.equal(good.value.mandatory[0]?.domain, 'example.com');
  const cases: [unknown, string][] = [
    [{ defaultTls: 'maybe' }, 'defaultTls'],
    [{ minTlsVersion: 'TLSv1.1' }, 'minTlsVersion'],
    [{ mandatory: {} }, 'mandatory'],
    [{ mandatory: [{ names: ['x'] }] }, 'mandatory[0].domain'],
    [{ mandatory: [{ domain: 'bad domain' }] }, 'mandatory[0].domain'],
    [{ mandatory: [{ domain: 'a.example', fingerprints: ['abc'] }] }, 'mandatory[0].fingerprints[0]'],
    [{ mandatory: [{ domain: 'a.example', names: [] }] }, 'mandatory[0].names'],
    [[], ''],
  ];
  for (const [input, path] of cases) {
    const result = parseTlsPolicyConfig(input);
    assert.equal(result.ok, false, JSON.stringify(input));
    if (!result.ok) assert.equal(result.error.path, path);
  }
});
