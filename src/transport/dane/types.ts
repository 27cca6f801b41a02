// DANE types (RFC 6698, RFC 7671, RFC 7672): TLSA records as typed values, the closed result of the SMTP
// TLSA lookup (RFC 7672 §2.2) and of certificate-chain verification (RFC 7671 §5, RFC 7672 §3).
// Reason codes are stable and documented in docs/dane.md; RFC 8460 failure types are in `failure`.

import type { TlsaData } from '../../core/dns/types.js';

/** Certificate usages (RFC 6698 §2.1.1, names from RFC 7218). */
export const TLSA_USAGE = { PKIX_TA: 0, PKIX_EE: 1, DANE_TA: 2, DANE_EE: 3 } as const;
/** Selectors (RFC 6698 §2.1.2): the full certificate DER, or its SubjectPublicKeyInfo DER. */
export const TLSA_SELECTOR = { CERT: 0, SPKI: 1 } as const;
/** Matching types (RFC 6698 §2.1.3): the data itself, its SHA-256, or its SHA-512. */
export const TLSA_MATCHING = { FULL: 0, SHA256: 1, SHA512: 2 } as const;

/** One TLSA record, as the DNS port gives it. */
export type TlsaRecord = TlsaData;

/**
 * Why a TLSA record cannot be used. Stable codes.
 * - `unknown-usage` / `unknown-selector` / `unknown-matching-type`: a value outside RFC 6698's registries.
 * - `pkix-usage-in-smtp`: usage PKIX-TA(0) or PKIX-EE(1), unusable for SMTP (RFC 7672 §3.1.3).
 * - `bad-digest-length`: SHA-256 data not 32 octets or SHA-512 data not 64 (RFC 7671 §5.4 "malformed").
 * - `bad-full-data`: Full(0) data that is not a DER certificate (selector 0) or SPKI (selector 1).
 * - `empty-data`: no certificate association data.
 */
export type TlsaUnusableCode =
  | 'unknown-usage'
  | 'unknown-selector'
  | 'unknown-matching-type'
  | 'pkix-usage-in-smtp'
  | 'bad-digest-length'
  | 'bad-full-data'
  | 'empty-data';

export interface TlsaUnusable {
  record: TlsaRecord;
  code: TlsaUnusableCode;
  message: string;
}

/** RFC 8460 §4.3 result types that DANE produces. */
export type DaneFailureType =
  | 'tlsa-invalid'
  | 'dnssec-invalid'
  | 'dane-required'
  | 'certificate-host-mismatch'
  | 'certificate-expired'
  | 'certificate-not-trusted'
  | 'validation-failure';

/**
 * Why an SMTP TLSA lookup found no DANE policy. Stable codes.
 * - `mx-insecure`: the MX RRset was not DNSSEC-validated, so DANE cannot apply to its hosts (RFC 7672 §2.2.1).
 * - `address-insecure`: the host's address records were not validated (RFC 7672 §2.2.2).
 * - `address-none`: the host has no address records (NXDOMAIN/NODATA): nothing to connect to.
 * - `tlsa-insecure`: a TLSA answer without the AD bit is not trusted (RFC 7672 §2.1.1).
 * - `tlsa-none`: a validated NXDOMAIN/NODATA for the TLSA name (RFC 7672 §2.2).
 * - `invalid-host`: the host is not a syntactically usable domain name.
 */
export type DaneNoneReason = 'mx-insecure' | 'address-insecure' | 'address-none' | 'tlsa-insecure' | 'tlsa-none' | 'invalid-host';

/**
 * Why a lookup must be tried later (RFC 7672 §2.1.1: an indeterminate or failed answer on a path that should be
 * secure means the host is unreachable: try another MX or defer; never deliver without DANE).
 * - `address-lookup-failed`: the host's A/AAAA lookup failed (timeout, SERVFAIL: possibly bogus).
 * - `tlsa-lookup-failed`: the TLSA lookup failed.
 */
export type DaneTempReason = 'address-lookup-failed' | 'tlsa-lookup-failed';

/** A TLSA set that authenticates the server: RFC 7672 §2.2 "usable". */
export interface DanePolicy {
  kind: 'dane';
  /** The MX host name as given (lower-case, no trailing dot). */
  host: string;
  /** The owner name the TLSA records were found at, e.g. `_25._tcp.mx.example.com`. */
  tlsaName: string;
  /** The TLSA base domain (RFC 7671 §3): the name the client sends as SNI (RFC 7672 §8.1). */
  baseDomain: string;
  /** The names a DANE-TA(2) chain's leaf may carry (RFC 7672 §3.2.2): base domain first, then the MX host. */
  referenceNames: string[];
  /** The usable records (DANE-TA and DANE-EE, well-formed). */
  tlsa: TlsaRecord[];
  /** Records ignored as unusable, with why. */
  unusable: TlsaUnusable[];
  /** TLS is mandatory and must be authenticated against `tlsa`. */
  requireTls: true;
  authenticate: true;
  /** Smallest TTL of the answers that made this decision, seconds. */
  ttl: number;
}

/** A secure TLSA set with no usable record: TLS is mandatory, authentication is not (RFC 7672 §2.2, §3.1). */
export interface DaneUnusable {
  kind: 'tlsa-unusable';
  host: string;
  tlsaName: string;
  baseDomain: string;
  unusable: TlsaUnusable[];
  requireTls: true;
  authenticate: false;
  /** Reported to TLS-RPT even when the mail goes out over unauthenticated TLS. */
  failure: 'tlsa-invalid';
  ttl: number;
}

export interface DaneNone {
  kind: 'no-dane';
  host: string;
  reason: DaneNoneReason;
  detail: string;
  requireTls: false;
}

export interface DaneTempError {
  kind: 'temperror';
  host: string;
  reason: DaneTempReason;
  /** RFC 8460: no valid DNSSEC answer could be had. */
  failure: 'dnssec-invalid';
  detail: string;
}

/** The closed result of `lookupDane` (RFC 7672 §2.2). */
export type DaneLookupResult = DanePolicy | DaneUnusable | DaneNone | DaneTempError;

/**
 * Why verification failed. Stable codes (OpenSSL X509_V_ERR number in brackets, for the conformance suite).
 * - `no-match`: no usable TLSA record matches the chain [65 DANE_NO_MATCH].
 * - `name-mismatch`: a TA-anchored chain's leaf carries none of the reference names [62 HOSTNAME_MISMATCH].
 * - `issuer-not-found`: a PKIX chain cannot be built to a trust anchor [20 UNABLE_TO_GET_ISSUER_CERT_LOCALLY].
 * - `cert-expired` / `cert-not-yet-valid`: a certificate below the trust anchor is outside its dates [10 / 9].
 * - `not-a-ca`: an intermediate certificate is not a CA [24 INVALID_CA].
 * - `empty-chain`: the server presented no certificate.
 * - `bad-certificate`: a presented certificate is not parseable DER.
 * - `no-usable-tlsa`: verification was asked with no usable record.
 */
export type DaneVerifyFailure =
  | 'no-match'
  | 'name-mismatch'
  | 'issuer-not-found'
  | 'cert-expired'
  | 'cert-not-yet-valid'
  | 'not-a-ca'
  | 'empty-chain'
  | 'bad-certificate'
  | 'no-usable-tlsa';

export type DaneMatchKind = 'dane-ee' | 'dane-ta' | 'pkix-ee' | 'pkix-ta';

export type DaneVerifyResult =
  | {
      ok: true;
      match: DaneMatchKind;
      /** The record that matched. */
      record: TlsaRecord;
      /**
       * Chain index of the matching certificate (0 = leaf). A trust-anchor public key from DNS matches at the
       * depth of the certificate it signed; a trust-anchor certificate from DNS at the depth it is placed.
       */
      depth: number;
      /** The reference name the leaf matched, when names were checked. */
      matchedName?: string;
    }
  | {
      ok: false;
      reason: DaneVerifyFailure;
      failure: DaneFailureType;
      /** Depth of a record match found before the failure, else -1. */
      depth: number;
      detail: string;
    };
