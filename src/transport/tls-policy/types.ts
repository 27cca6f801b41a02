// Types of the outbound TLS policy engine: the configuration the gateway maps its YAML onto, the decision
// for one (recipient domain, MX host), and the closed set of RFC 8460 result types every TLS failure is
// reported as (delivery and TLS-RPT share them). See docs/tls-policy.md.

import type { Clock } from '../../core/clock.js';
import type { DnsResolver } from '../../core/dns/types.js';
import type { HttpsFetcher } from '../../core/https/types.js';
import type { MtaStsMode, MtaStsPolicyCache } from '../mta-sts/types.js';
import type { TlsaRecord } from '../dane/types.js';

export type TlsVersion = 'TLSv1.2' | 'TLSv1.3';

/** A per-domain (partner) rule: TLS is mandatory for this domain, whatever it publishes. */
export interface MandatoryTlsRule {
  /** `example.com` (that domain only) or `.example.com` (its subdomains, not itself), as Postfix tls_policy_maps. */
  domain: string;
  /** Overrides the global minimum. */
  minTlsVersion?: TlsVersion;
  /** Names the certificate must carry (any one); implies WebPKI authentication. Wildcard certificates match one label. */
  names?: string[];
  /** SHA-256 fingerprints of the certificate DER or of its SubjectPublicKeyInfo (hex, colons and `sha256:` allowed). */
  fingerprints?: string[];
  /** A PEM file of CAs to trust instead of the system roots; implies WebPKI authentication. */
  caFile?: string;
}

/** The TLS policy configuration (the gateway's `tls:` section). */
export interface TlsPolicyConfig {
  /** When nothing applies: `opportunistic` (STARTTLS when offered, plaintext otherwise) or `forced` (TLS, unauthenticated). */
  defaultTls: 'opportunistic' | 'forced';
  /** Lowest TLS version accepted for every mechanism (RFC 8996: nothing below 1.2). */
  minTlsVersion: TlsVersion;
  mandatory: MandatoryTlsRule[];
}

export const DEFAULT_TLS_POLICY_CONFIG: Readonly<TlsPolicyConfig> = Object.freeze({ defaultTls: 'opportunistic', minTlsVersion: 'TLSv1.2', mandatory: [] });

export type TlsMechanism = 'mandatory' | 'dane' | 'mta-sts' | 'forced' | 'opportunistic';

/** RFC 8460 §4.4 policy types. */
export type TlsRptPolicyType = 'tlsa' | 'sts' | 'no-policy-found';

/** RFC 8460 §4.3 result types (negotiation, policy and general failures). */
export type TlsRptResultType =
  | 'starttls-not-supported'
  | 'certificate-host-mismatch'
  | 'certificate-expired'
  | 'certificate-not-trusted'
  | 'validation-failure'
  | 'tlsa-invalid'
  | 'dnssec-invalid'
  | 'dane-required'
  | 'sts-policy-fetch-error'
  | 'sts-policy-invalid'
  | 'sts-webpki-invalid';

export const TLSRPT_RESULT_TYPES: readonly TlsRptResultType[] = [
  'starttls-not-supported',
  'certificate-host-mismatch',
  'certificate-expired',
  'certificate-not-trusted',
  'validation-failure',
  'tlsa-invalid',
  'dnssec-invalid',
  'dane-required',
  'sts-policy-fetch-error',
  'sts-policy-invalid',
  'sts-webpki-invalid',
];

/** What the connection to this MX host must achieve. */
export interface TlsRequirements {
  /** `required`: no session without TLS; `optional`: plaintext when STARTTLS is missing or fails. */
  tls: 'required' | 'optional';
  minVersion: TlsVersion;
  /**
   * How the server is authenticated: `dane` (TLSA, RFC 7672), `webpki` (CA chain + name), `pinned`
   * (fingerprints), `none`. With `tls: 'optional'` (MTA-STS testing) the check runs and failures are reported only.
   */
  authenticate: 'dane' | 'webpki' | 'pinned' | 'none';
  /** Names the certificate may carry (any one matches): STS/mandatory names, or DANE reference names. */
  names: string[];
  /** SNI to send: the TLSA base domain for DANE (RFC 7672 §8.1), else the MX host. */
  servername: string;
  tlsa?: TlsaRecord[];
  /** Normalised lower-case hex SHA-256 fingerprints. */
  fingerprints?: string[];
  /** Trust anchors for `webpki` instead of the system roots (mandatory rule's caFile). */
  caFile?: string;
  sts?: { mode: MtaStsMode; id: string; mx: string[]; maxAge: number };
}

/** Why a higher-priority mechanism did not apply. Reasons are stable codes, detail is for people. */
export interface SkippedMechanism {
  mechanism: 'mandatory' | 'dane' | 'mta-sts';
  reason: string;
  detail: string;
}

/** A failure known before connecting: reported through TLS-RPT, and when `blocked`, the MX must not be used. */
export interface PolicyFailure {
  resultType: TlsRptResultType;
  detail: string;
}

/** The decision for one (recipient domain, MX host). */
export interface TlsPolicyDecision {
  domain: string;
  mxHost: string;
  mechanism: TlsMechanism;
  requirements: TlsRequirements;
  skipped: SkippedMechanism[];
  /** The RFC 8460 policy this session is reported under (absent for local rules: not the domain's policy). */
  reportAs?: TlsRptPolicyType;
  /** The RFC 8460 policy-string lines (the STS policy text or the TLSA records in presentation form). */
  policyString?: string[];
  /**
   * Set when this MX host must not be used (an MX outside an enforce STS policy, a failed TLSA lookup on a
   * secure MX): try the next MX or defer; never fall back to plaintext.
   */
  blocked?: PolicyFailure;
  /** Failures to report although the decision stands (unusable TLSA set, STS refetch failure, testing mode). */
  policyFailures: PolicyFailure[];
}

/** The ports the decision needs. */
export interface TlsPolicyDeps {
  resolver: DnsResolver;
  fetcher: HttpsFetcher;
  mtaStsCache: MtaStsPolicyCache;
  clock: Clock;
  signal?: AbortSignal;
}

/** Optional inputs for one decision. */
export interface DecideOptions {
  /**
   * Whether the MX RRset (or, without MX records, its denial) was DNSSEC-validated, when the caller already
   * looked it up (the delivery route). Otherwise decideTlsPolicy asks the resolver.
   */
  mxSecure?: boolean;
}
