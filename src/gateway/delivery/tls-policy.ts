// The TLS decision for one delivery, asked per (recipient domain, MX host) before each connection. Outbound
// mail to MX hosts goes through the policy engine of src/transport/tls-policy (mandatory > DANE > MTA-STS >
// forced/opportunistic); the smart host and the mailbox server get a fixed decision of the same shape, so
// one connection path (connectSmtpTls) applies every decision. See docs/tls-policy.md and docs/queue.md.

import type { Clock } from '../../core/clock.js';
import type { DnsResolver } from '../../core/dns/types.js';
import type { TlsRptCollector } from '../../reports/tlsrpt/types.js';
import { decideTlsPolicy } from '../../transport/tls-policy/select.js';
import type { DecideOptions, TlsPolicyConfig, TlsPolicyDecision, TlsPolicyDeps, TlsVersion } from '../../transport/tls-policy/types.js';

/** Chooses the TLS policy decision for delivering `domain`'s mail to `mxHost`. May look things up (TLSA, MTA-STS). */
export type TlsDecider = (domain: string, mxHost: string, options: DecideOptions) => Promise<TlsPolicyDecision>;

/** What outbound sessions need besides the decision. */
export interface DeliveryTlsOptions {
  /** Decision per (domain, MX host) for mail to MX hosts (default: opportunistic STARTTLS, nothing looked up). */
  decide?: TlsDecider;
  /** Extra PEM CAs trusted for WebPKI checks alongside the system roots (private PKI, tests). */
  extraCa?: readonly string[];
  /** Where each session's outcome goes for TLS-RPT (RFC 8460); none: not recorded. */
  collector?: TlsRptCollector;
  /** Certificate dates are judged on this clock (default the engine's). */
  clock?: Clock;
}

/**
 * A decision made without lookups: `opportunistic` (STARTTLS when offered, unauthenticated, plaintext
 * otherwise), `forced` (TLS, unauthenticated) or `verified` (TLS, WebPKI against `names`). It carries no
 * `reportAs`: a local choice is not the recipient's published policy, so TLS-RPT does not count it.
 */
export function fixedDecision(
  domain: string,
  host: string,
  kind: 'opportunistic' | 'forced' | 'verified',
  options: { minVersion?: TlsVersion; names?: string[]; caFile?: string } = {},
): TlsPolicyDecision {
  const name = host.toLowerCase();
  return {
    domain: domain.toLowerCase(),
    mxHost: name,
    mechanism: kind === 'verified' ? 'mandatory' : kind,
    skipped: [],
    policyFailures: [],
    requirements: {
      tls: kind === 'opportunistic' ? 'optional' : 'required',
      minVersion: options.minVersion ?? 'TLSv1.2',
      authenticate: kind === 'verified' ? 'webpki' : 'none',
      names: options.names ?? [name],
      servername: name,
      ...(options.caFile !== undefined ? { caFile: options.caFile } : {}),
    },
  };
}

/** The default without a policy engine: opportunistic STARTTLS, as RFC 3207 senders do. */
export const opportunisticTls: TlsDecider = (domain, mxHost) => Promise.resolve(fixedDecision(domain, mxHost, 'opportunistic'));

/** The policy engine: `decideTlsPolicy` with the gateway's config and ports, the route's MX security passed on. */
export function policyEngineTls(config: TlsPolicyConfig, deps: TlsPolicyDeps): TlsDecider {
  return (domain, mxHost, options) => decideTlsPolicy(domain, mxHost, config, deps, options);
}

/**
 * The smart host's own setting: `opportunistic` (default), or `mandatory` (TLS required and the certificate
 * verified by WebPKI for the smart host's name; `caFile` replaces the system roots). Recipient domains'
 * policies do not apply: the smart host, not us, talks to their MX hosts.
 */
export function smartHostTls(host: string, mode: 'opportunistic' | 'mandatory', options: { minVersion?: TlsVersion; caFile?: string } = {}): TlsDecider {
  return (domain) => Promise.resolve(fixedDecision(domain, host, mode === 'mandatory' ? 'verified' : 'opportunistic', options));
}

/** Connections may be reused only under the same decision: same mechanism and the same requirements. */
export function decisionKey(decision: Pick<TlsPolicyDecision, 'mechanism' | 'requirements'>): string {
  return JSON.stringify([decision.mechanism, decision.requirements]);
}

/**
 * Host name → one address through our resolver (A, then AAAA), for the HTTPS fetcher's MTA-STS policy
 * requests: the same DNS as the rest of delivery, not the system's. Rejects when the name has no address.
 */
export function hostLookupVia(resolver: DnsResolver): (name: string) => Promise<{ address: string; family: 4 | 6 }> {
  return async (name) => {
    const a = await resolver.resolve(name, 'A');
    if (a.kind === 'records' && a.records[0]) return { address: a.records[0].data, family: 4 };
    const aaaa = await resolver.resolve(name, 'AAAA');
    if (aaaa.kind === 'records' && aaaa.records[0]) return { address: aaaa.records[0].data, family: 6 };
    throw new Error(`${name} has no address (${a.kind === 'error' ? a.error : a.kind})`);
  };
}
