// The priority order of outbound TLS policy (the one large providers use), for one recipient domain and MX:
//   1. a per-domain mandatory rule from our configuration (always wins: it is specific to that partner);
//   2. DANE, when the MX and its TLSA records are DNSSEC-secure (RFC 7672; RFC 8461 §2: DANE beats MTA-STS);
//   3. MTA-STS, when the domain publishes a policy (RFC 8461 §5: enforce blocks, testing reports);
//   4. the global default: forced (TLS, unauthenticated) or opportunistic (RFC 3207).
// Each step that does not apply says why, so an administrator sees what would happen and why.

import { normalizeName } from '../../core/dns/types.js';
import { lookupDane } from '../dane/lookup.js';
import { formatTlsa } from '../dane/tlsa.js';
import type { DaneLookupResult } from '../dane/types.js';
import { matchPolicyMx } from '../mta-sts/mx-match.js';
import { resolveMtaStsPolicy } from '../mta-sts/resolve.js';
import type { MtaStsDecision, MtaStsPolicy } from '../mta-sts/types.js';
import { findMandatoryRule, normalizeFingerprint } from './config.js';
import type {
  DecideOptions,
  MandatoryTlsRule,
  PolicyFailure,
  SkippedMechanism,
  TlsPolicyConfig,
  TlsPolicyDecision,
  TlsPolicyDeps,
  TlsRequirements,
} from './types.js';

/**
 * Decides how to secure the SMTP session to `mxHost` for mail to `domain`. Never throws for DNS or HTTPS
 * outcomes (a throwing cache is an infrastructure error and does). When the result carries `blocked`,
 * the MX must not be used (RFC 8461 §4.2 for enforce, RFC 7672 §2.1.1 for a failed TLSA lookup).
 */
export async function decideTlsPolicy(
  domain: string,
  mxHost: string,
  config: TlsPolicyConfig,
  deps: TlsPolicyDeps,
  options: DecideOptions = {},
): Promise<TlsPolicyDecision> {
  const name = normalizeName(domain);
  const host = normalizeName(mxHost);
  const skipped: SkippedMechanism[] = [];
  const base = { domain: name, mxHost: host, skipped, policyFailures: [] as PolicyFailure[] };

  // 1. Mandatory (partner) TLS.
  const rule = findMandatoryRule(name, config.mandatory);
  if (rule !== undefined) return { ...base, mechanism: 'mandatory', requirements: mandatoryRequirements(rule, host, config) };
  skipped.push({ mechanism: 'mandatory', reason: 'no-rule', detail: `no mandatory TLS rule for ${name}` });

  // 2. DANE.
  const mxSecure = options.mxSecure ?? (await lookupMxSecure(name, host, deps));
  const dane = await lookupDane({ host, mxSecure }, { resolver: deps.resolver, ...(deps.signal ? { signal: deps.signal } : {}) });
  const daneDecision = fromDane(dane, base, config);
  if (daneDecision !== undefined) return daneDecision;
  if (dane.kind === 'no-dane') skipped.push({ mechanism: 'dane', reason: dane.reason, detail: dane.detail });

  // 3. MTA-STS.
  const sts = await resolveMtaStsPolicy(name, { resolver: deps.resolver, fetcher: deps.fetcher, cache: deps.mtaStsCache, clock: deps.clock });
  const stsDecision = fromMtaSts(sts, host, base, config);
  if (stsDecision !== undefined) return stsDecision;

  // 4. The global default.
  const forced = config.defaultTls === 'forced';
  return {
    ...base,
    mechanism: config.defaultTls,
    reportAs: 'no-policy-found',
    requirements: { tls: forced ? 'required' : 'optional', minVersion: config.minTlsVersion, authenticate: 'none', names: [host], servername: host },
  };
}

function mandatoryRequirements(rule: MandatoryTlsRule, host: string, config: TlsPolicyConfig): TlsRequirements {
  const requirements: TlsRequirements = {
    tls: 'required',
    minVersion: rule.minTlsVersion ?? config.minTlsVersion,
    authenticate: 'none',
    names: rule.names ?? [host],
    servername: host,
  };
  if (rule.fingerprints) {
    requirements.authenticate = 'pinned';
    requirements.fingerprints = rule.fingerprints.map((f) => normalizeFingerprint(f) ?? f.toLowerCase());
  } else if (rule.names || rule.caFile) {
    requirements.authenticate = 'webpki';
  }
  if (rule.caFile) requirements.caFile = rule.caFile;
  return requirements;
}

type Base = Pick<TlsPolicyDecision, 'domain' | 'mxHost' | 'skipped' | 'policyFailures'>;

function fromDane(dane: DaneLookupResult, base: Base, config: TlsPolicyConfig): TlsPolicyDecision | undefined {
  switch (dane.kind) {
    case 'dane':
      return {
        ...base,
        mechanism: 'dane',
        reportAs: 'tlsa',
        policyString: dane.tlsa.map(formatTlsa),
        requirements: {
          tls: 'required',
          minVersion: config.minTlsVersion,
          authenticate: 'dane',
          names: dane.referenceNames,
          servername: dane.baseDomain,
          tlsa: dane.tlsa,
        },
      };
    case 'tlsa-unusable': {
      // RFC 7672 §2.2: a secure TLSA set with no usable record still makes TLS mandatory, unauthenticated.
      const detail = `${dane.tlsaName}: no usable TLSA record (${dane.unusable.map((u) => u.code).join(', ')})`;
      return {
        ...base,
        mechanism: 'dane',
        reportAs: 'tlsa',
        policyString: dane.unusable.map((u) => formatTlsa(u.record)),
        policyFailures: [{ resultType: 'tlsa-invalid', detail }],
        requirements: { tls: 'required', minVersion: config.minTlsVersion, authenticate: 'none', names: [dane.baseDomain], servername: dane.baseDomain },
      };
    }
    case 'temperror':
      // RFC 7672 §2.1.1: a failed lookup on a secure path may be an attack: this host is not used.
      return {
        ...base,
        mechanism: 'dane',
        reportAs: 'tlsa',
        blocked: { resultType: 'dnssec-invalid', detail: dane.detail },
        policyFailures: [{ resultType: 'dnssec-invalid', detail: dane.detail }],
        requirements: { tls: 'required', minVersion: config.minTlsVersion, authenticate: 'dane', names: [dane.host], servername: dane.host, tlsa: [] },
      };
    case 'no-dane':
      return undefined;
  }
}

function fromMtaSts(sts: MtaStsDecision, host: string, base: Base, config: TlsPolicyConfig): TlsPolicyDecision | undefined {
  if (sts.kind === 'none') {
    base.skipped.push({ mechanism: 'mta-sts', reason: sts.reason, detail: sts.detail });
    return undefined;
  }
  if (sts.kind === 'error') {
    // RFC 8461 §5: a policy that cannot be fetched (and none cached) means deliver as without MTA-STS; report it.
    base.skipped.push({ mechanism: 'mta-sts', reason: `fetch-${sts.reason}`, detail: sts.detail });
    base.policyFailures.push({ resultType: sts.failure, detail: sts.detail });
    return undefined;
  }
  const { policy } = sts;
  if (policy.mode === 'none') {
    base.skipped.push({ mechanism: 'mta-sts', reason: 'mode-none', detail: `${sts.domain} publishes mode: none (RFC 8461 §5)` });
    return undefined;
  }
  if (sts.refreshFailure) base.policyFailures.push({ resultType: sts.refreshFailure.failure, detail: `refresh failed, cached policy kept: ${sts.refreshFailure.detail}` });
  const enforce = policy.mode === 'enforce';
  const requirements: TlsRequirements = {
    tls: enforce ? 'required' : 'optional',
    minVersion: config.minTlsVersion,
    authenticate: 'webpki',
    names: [host],
    servername: host,
    sts: { mode: policy.mode, id: sts.id, mx: policy.mx, maxAge: policy.maxAge },
  };
  const decision: TlsPolicyDecision = { ...base, mechanism: 'mta-sts', reportAs: 'sts', policyString: stsPolicyString(policy), requirements };
  if (matchPolicyMx(host, policy) === undefined) {
    const failure: PolicyFailure = { resultType: 'validation-failure', detail: `${host} matches no mx pattern of ${sts.domain}'s policy (${policy.mx.join(', ')})` };
    decision.policyFailures.push(failure);
    // RFC 8461 §4.2: with enforce, an MX host that does not match is not a candidate; with testing, report only.
    if (enforce) decision.blocked = failure;
  }
  return decision;
}

/** The policy as RFC 8460 §4.4 `policy-string` lines. */
export function stsPolicyString(policy: MtaStsPolicy): string[] {
  return ['version: STSv1', `mode: ${policy.mode}`, ...policy.mx.map((mx) => `mx: ${mx}`), `max_age: ${policy.maxAge}`];
}

/**
 * Whether the MX RRset of `domain` was DNSSEC-validated and names `host`, or (no MX records) the denial was
 * validated and `host` is the domain itself (implicit MX, RFC 5321 §5.1). RFC 7672 §2.2.1.
 */
export async function lookupMxSecure(domain: string, host: string, deps: Pick<TlsPolicyDeps, 'resolver' | 'signal'>): Promise<boolean> {
  const answer = await deps.resolver.resolve(domain, 'MX', deps.signal ? { signal: deps.signal } : {});
  if (answer.kind === 'error') return false;
  if (answer.kind === 'records') return answer.secure && answer.records.some((r) => r.data.exchange === host);
  return answer.secure && host === domain;
}
