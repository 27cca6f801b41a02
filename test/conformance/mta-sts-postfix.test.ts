// postfix-mta-sts-resolver's cases (shared/conformance/mta-sts-postfix-resolver, NOTES.md "MTA-STS"), run for
// real: the TXT records served by TestDnsServer and read through the wire resolver, the policies served by
// TestHttpsServer over TLS with certificates from a test CA (bad-cert1 from an untrusted CA, bad-cert2 without
// the mta-sts name), fetched by the real node:https fetcher trusting the test CA. Each case's
// expected_fetch_status must match our decision, and its Postfix socketmap reply our policy's.
// Prints `mta-sts cases: N passed, M skipped, K failed`.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ManualClock } from '../../src/core/clock.js';
import type { DnsResolver } from '../../src/core/dns/types.js';
import { createResolver } from '../../src/adapters/dns/index.js';
import { createHttpsFetcher } from '../../src/adapters/https/index.js';
import { TestDnsServer } from '../../src/testing/dns-server.js';
import { TestHttpsServer, type TestHttpsRoute } from '../../src/testing/https-server.js';
import { TestPki } from '../../src/testing/test-pki.js';
import type { ZoneData } from '../../src/testing/zone.js';
import { MemoryMtaStsCache, resolveMtaStsPolicy, type MtaStsDecision, type MtaStsFailureType } from '../../src/transport/mta-sts/index.js';

interface Case {
  domain: string;
  'txt__mta-sts'?: string | null;
  policy_host?: { http_status?: number; body?: string; content_type?: string; cert_file?: string; lua_generated?: boolean };
  expected_fetch_status?: 'VALID' | 'NONE' | 'FETCH_ERROR';
  expected_postfix_lookup?: string;
  expected_postfix_lookup_strict_testing?: string;
  note?: string;
}

const data = JSON.parse(readFileSync(new URL('../../../shared/conformance/mta-sts-postfix-resolver/mta-sts-cases.json', import.meta.url), 'utf8')) as { cases: Case[] };
const expectations = JSON.parse(readFileSync(new URL('./mta-sts-expectations.json', import.meta.url), 'utf8')) as { skip: Record<string, string> };

/** Our RFC 8460 failure type for each FETCH_ERROR case (the suite only says "fetch error"). */
const FAILURE: Readonly<Record<string, MtaStsFailureType>> = {
  'bad-cert1.loc': 'sts-webpki-invalid',
  'bad-cert2.loc': 'sts-webpki-invalid',
  'bad-policy1.loc': 'sts-policy-invalid',
  'bad-policy2.loc': 'sts-policy-invalid',
  'bad-policy3.loc': 'sts-policy-invalid',
  'bad-policy4.loc': 'sts-policy-fetch-error',
  'bad-policy5.loc': 'sts-policy-invalid',
  'bad-policy6.loc': 'sts-policy-invalid',
  'bad-policy7.loc': 'sts-policy-invalid',
  'bad-policy8.loc': 'sts-policy-invalid',
  'static-overlength.loc': 'sts-policy-fetch-error',
  'chunked-overlength.loc': 'sts-policy-fetch-error',
};

/** The Lua-generated overlength body: policy lines and 2049 × 64 'a' (Content-Length 131193, NOTES.md). */
const OVERLENGTH = `version: STSv1\nmode: enforce\nmx: mail.loc\nmax_age: 86400\n${'a'.repeat(2049 * 64)}`;

const pki = new TestPki();
let dns: TestDnsServer;
let https: TestHttpsServer;
let resolver: DnsResolver;
let trustedCa: string;

before(async () => {
  const root = pki.createRoot('MTA-STS Test CA');
  const rogue = pki.createRoot('Untrusted CA');
  trustedCa = root.certPem;
  const zone: ZoneData = {};
  const hosts: Record<string, { certPem: string; keyPem: string }> = {};
  for (const c of data.cases) {
    const domain = c.domain.replace(/\.$/, '');
    if (domain.startsWith('.')) continue;
    const policyHost = `mta-sts.${domain}`;
    zone[policyHost] = [{ A: '127.0.0.1' }];
    if (c['txt__mta-sts']) zone[`_mta-sts.${domain}`] = [{ TXT: c['txt__mta-sts'] }];
    if (domain === 'no-data.loc') zone[`_mta-sts.${domain}`] = [{ A: '127.0.0.1' }];
    if (c.policy_host === undefined || hosts[policyHost] !== undefined) continue;
    const cert =
      domain === 'bad-cert1.loc'
        ? pki.issue(rogue, { dnsNames: [policyHost] })
        : domain === 'bad-cert2.loc'
          ? pki.issue(root, { dnsNames: [domain] })
          : pki.issue(root, { dnsNames: [policyHost] });
    hosts[policyHost] = cert;
  }
  dns = await TestDnsServer.start(zone);
  resolver = createResolver({ servers: [dns.address], cache: false });
  const fallback = pki.issue(root, { dnsNames: ['fallback.invalid'] });
  https = await TestHttpsServer.start(hosts, fallback);
  for (const c of data.cases) {
    const ph = c.policy_host;
    if (ph === undefined) continue;
    const domain = c.domain.replace(/\.$/, '');
    let route: TestHttpsRoute;
    if (ph.lua_generated) route = { body: OVERLENGTH, chunked: domain.startsWith('chunked') };
    else route = { status: ph.http_status ?? 200, body: ph.body ?? '', contentType: ph.content_type?.startsWith('text/plain') ? 'text/plain' : (ph.content_type ?? null) };
    https.routes.set(`mta-sts.${domain}`, route);
  }
});

after(async () => {
  await https?.stop();
  await dns?.stop();
  pki.dispose();
});

function fetcher() {
  return createHttpsFetcher({
    extraCa: [trustedCa],
    portOverride: https.port,
    // Policy hosts are resolved through the test DNS server, like everything else here.
    lookup: async (host) => {
      const answer = await resolver.resolve(host, 'A');
      if (answer.kind !== 'records' || answer.records[0] === undefined) throw new Error(`${host}: ${answer.kind}`);
      return { address: answer.records[0].data, family: 4 };
    },
    connectTimeoutMs: 5000,
    totalTimeoutMs: 5000,
  });
}

/** The reply postfix-mta-sts-resolver's socketmap gives for a decision (strict: apply testing mode too). */
function postfixReply(decision: MtaStsDecision, strict: boolean): string {
  if (decision.kind !== 'policy') return 'NOTFOUND';
  const { mode, mx } = decision.policy;
  if (mode === 'enforce' || (strict && mode === 'testing')) {
    return `OK secure match=${mx.map((p) => (p.startsWith('*.') ? p.slice(1) : p)).join(':')} servername=hostname`;
  }
  return 'NOTFOUND';
}

const STATUS: Readonly<Record<MtaStsDecision['kind'], string>> = { policy: 'VALID', none: 'NONE', error: 'FETCH_ERROR' };

test('postfix-mta-sts-resolver cases over real DNS and HTTPS', async () => {
  let passed = 0;
  let skipped = 0;
  const failures: string[] = [];
  const nowPassing: string[] = [];
  for (const c of data.cases) {
    const clock = new ManualClock(Date.UTC(2024, 0, 1));
    const cache = new MemoryMtaStsCache();
    const deps = { resolver, fetcher: fetcher(), cache, clock };
    const problems: string[] = [];
    const decision = await resolveMtaStsPolicy(c.domain, deps);
    if (c.expected_fetch_status !== undefined && STATUS[decision.kind] !== c.expected_fetch_status) {
      problems.push(`expected ${c.expected_fetch_status}, got ${STATUS[decision.kind]} (${'detail' in decision ? decision.detail : 'policy'})`);
    }
    if (decision.kind === 'error' && FAILURE[c.domain] !== decision.failure) problems.push(`failure ${decision.failure}, expected ${FAILURE[c.domain]}`);
    if (c.expected_postfix_lookup !== undefined && postfixReply(decision, false) !== c.expected_postfix_lookup.trim()) {
      problems.push(`postfix reply "${postfixReply(decision, false)}", expected "${c.expected_postfix_lookup}"`);
    }
    if (c.expected_postfix_lookup_strict_testing !== undefined && postfixReply(decision, true) !== c.expected_postfix_lookup_strict_testing.trim()) {
      problems.push(`strict postfix reply "${postfixReply(decision, true)}", expected "${c.expected_postfix_lookup_strict_testing}"`);
    }
    if (c.domain === 'fast-expire.loc') {
      // max_age 1: served from the cache within the second, fetched again after it.
      const again = await resolveMtaStsPolicy(c.domain, deps);
      clock.advance(1500);
      const expired = await resolveMtaStsPolicy(c.domain, deps);
      if (decision.kind !== 'policy' || decision.source !== 'fetched' || decision.policy.maxAge !== 1) problems.push('first lookup should fetch a max_age 1 policy');
      if (again.kind !== 'policy' || again.source !== 'cache') problems.push('second lookup should come from the cache');
      if (expired.kind !== 'policy' || expired.source !== 'fetched') problems.push('lookup after max_age should fetch again');
    }
    const skip = expectations.skip[c.domain];
    if (skip !== undefined) {
      skipped++;
      if (problems.length === 0) nowPassing.push(c.domain);
    } else if (problems.length === 0) passed++;
    else failures.push(`${c.domain}: ${problems.join('; ')}`);
  }
  console.log(`mta-sts cases: ${passed} passed, ${skipped} skipped, ${failures.length} failed`);
  for (const d of nowPassing) console.log(`mta-sts cases: skipped case ${d} now passes: remove it from mta-sts-expectations.json`);
  assert.deepEqual(failures, []);
  assert.equal(passed + skipped, 24, 'the data holds 24 cases (SOURCES.md)');
});
