// DANE certificate verification (RFC 7671 §5, RFC 7672 §3): is the chain a server presented authenticated by
// its TLSA records? DANE-EE(3) matches the leaf and ignores names and dates; DANE-TA(2) matches a CA in the
// chain (or a certificate or key published in DNS) and then needs a valid path from it to the leaf and a
// name check; PKIX usages (outside SMTP) also need a path to a trust store. Checked in that order, so
// DANE-EE beats DANE-TA, and DANE-TA beats PKIX, as in OpenSSL (RFC 7671 §5 does not rank them).

import { X509Certificate, createPublicKey, type KeyObject } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import { systemClock } from '../../core/clock.js';
import { findPaths, IssuerCache, sameCertificate, type FoundPath } from './chain.js';
import { CertificateView } from './match.js';
import { classifyTlsa, type TlsaProfile } from './tlsa.js';
import {
  TLSA_MATCHING,
  TLSA_SELECTOR,
  TLSA_USAGE,
  type DaneFailureType,
  type DaneVerifyFailure,
  type DaneVerifyResult,
  type TlsaRecord,
} from './types.js';

/** Presented certificates beyond this many are ignored: a server has no reason to send more. */
export const MAX_PRESENTED_CERTS = 16;

export interface DaneVerifyOptions {
  /**
   * Names the leaf may carry for TA-anchored chains: for SMTP, DanePolicy.referenceNames (RFC 7672 §3.2.2).
   * Wildcards match one leftmost label only; partial wildcards (`f*.example.com`) never match.
   */
  referenceNames: readonly string[];
  /** Check names on a DANE-EE(3) match too. Default false: RFC 7672 §3.1.1 says ignore them for SMTP. */
  checkEeNames?: boolean;
  /** `smtp` (default) ignores PKIX usages (RFC 7672 §3.1.3); `generic` honours them given `pkixAnchors`. */
  profile?: TlsaProfile;
  /** Trust store for PKIX-TA(0) / PKIX-EE(1) with the generic profile. */
  pkixAnchors?: readonly (X509Certificate | Uint8Array)[];
  /** For certificate dates below the trust anchor. */
  clock?: Clock;
}

const FAILURE_TYPE: Readonly<Record<DaneVerifyFailure, DaneFailureType>> = {
  'no-match': 'tlsa-invalid',
  'no-usable-tlsa': 'tlsa-invalid',
  'name-mismatch': 'certificate-host-mismatch',
  'issuer-not-found': 'certificate-not-trusted',
  'not-a-ca': 'certificate-not-trusted',
  'cert-expired': 'certificate-expired',
  'cert-not-yet-valid': 'certificate-not-trusted',
  'empty-chain': 'validation-failure',
  'bad-certificate': 'validation-failure',
};

function fail(reason: DaneVerifyFailure, depth: number, detail: string): DaneVerifyResult {
  return { ok: false, reason, failure: FAILURE_TYPE[reason], depth, detail };
}

type Anchor = { record: TlsaRecord } | { store: true };

/**
 * Verifies a presented chain (leaf first, DER or parsed) against a TLSA RRset. Returns which record matched
 * and at what depth, or why not, with the RFC 8460 failure type. Unusable records are ignored. Never throws
 * for hostile certificates or records.
 */
export function verifyDaneChain(
  chain: readonly (X509Certificate | Uint8Array)[],
  tlsa: readonly TlsaRecord[],
  options: DaneVerifyOptions,
): DaneVerifyResult {
  if (chain.length === 0) return fail('empty-chain', -1, 'the server presented no certificate');
  const presented: CertificateView[] = [];
  for (const [index, item] of chain.slice(0, MAX_PRESENTED_CERTS).entries()) {
    const parsed = toCertificate(item);
    if (parsed === undefined) return fail('bad-certificate', -1, `presented certificate ${index} is not DER X.509`);
    presented.push(new CertificateView(parsed));
  }
  const profile = options.profile ?? 'smtp';
  const { usable } = classifyTlsa(tlsa, profile);
  if (usable.length === 0) return fail('no-usable-tlsa', -1, 'no usable TLSA record');
  const leaf = presented[0] as CertificateView;
  const now = (options.clock ?? systemClock).now();
  const issuers = new IssuerCache();

  // DANE-EE(3): the leaf itself; no path, no dates (RFC 7672 §3.1.1).
  const ee = usable.find((r) => r.usage === TLSA_USAGE.DANE_EE && leaf.matches(r));
  if (ee !== undefined) {
    if (options.checkEeNames === true) {
      const name = matchName(leaf, options.referenceNames);
      if (name === undefined) return nameMismatch(leaf, options.referenceNames, 0);
      return { ok: true, match: 'dane-ee', record: ee, depth: 0, matchedName: name };
    }
    return { ok: true, match: 'dane-ee', record: ee, depth: 0 };
  }

  let firstFailure: DaneVerifyResult | undefined;

  // DANE-TA(2): a trust anchor in the chain, or published in DNS as a full certificate or key (RFC 7671 §5.2).
  const taRecords = usable.filter((r) => r.usage === TLSA_USAGE.DANE_TA);
  if (taRecords.length > 0) {
    const dnsCerts = fullCertificates(taRecords);
    const anchorKeys = fullKeys(taRecords);
    const pool = uniqueByDer([...presented.slice(1), ...dnsCerts.map((d) => d.view)]);
    const paths = findPaths<Anchor>(
      {
        leaf,
        pool,
        anchorCert: (cert, depth) => {
          if (depth < 1) return undefined;
          const record = taRecords.find((r) => cert.matches(r));
          return record === undefined ? undefined : { record };
        },
        anchorKeys: anchorKeys.map(({ key, record }) => ({ key, anchor: { record } })),
      },
      issuers,
    );
    for (const found of paths) {
      const problem = checkPath(found.path, found.end.kind === 'cert' ? found.path.length - 1 : found.path.length, now);
      const depth = found.path.length - 1;
      if (problem !== undefined) {
        firstFailure ??= fail(problem.reason, depth, problem.detail);
        continue;
      }
      const name = matchName(leaf, options.referenceNames);
      if (name === undefined) return nameMismatch(leaf, options.referenceNames, depth);
      const record = (found.end.anchor as { record: TlsaRecord }).record;
      return { ok: true, match: 'dane-ta', record, depth, matchedName: name };
    }
  }

  // PKIX-TA(0) / PKIX-EE(1), generic profile only: a path to the trust store, then a match on it.
  const pkixRecords = usable.filter((r) => r.usage === TLSA_USAGE.PKIX_TA || r.usage === TLSA_USAGE.PKIX_EE);
  if (pkixRecords.length > 0 && profile === 'generic') {
    const result = verifyPkix(leaf, presented, usable, pkixRecords, options, now, issuers);
    if (result.ok || firstFailure === undefined) return result;
  }
  return firstFailure ?? fail('no-match', -1, 'no usable TLSA record matches the presented chain');
}

function verifyPkix(
  leaf: CertificateView,
  presented: CertificateView[],
  usable: TlsaRecord[],
  pkixRecords: TlsaRecord[],
  options: DaneVerifyOptions,
  now: number,
  issuers: IssuerCache,
): DaneVerifyResult {
  const anchors: CertificateView[] = [];
  for (const item of options.pkixAnchors ?? []) {
    const parsed = toCertificate(item);
    if (parsed !== undefined) anchors.push(new CertificateView(parsed));
  }
  // Full certificates in any TLSA record may complete the chain (RFC 7671 §5.1: "provided via DNS").
  const dnsCerts = fullCertificates(usable).map((d) => d.view);
  const eeRecord = pkixRecords.find((r) => r.usage === TLSA_USAGE.PKIX_EE && leaf.matches(r));
  const found: FoundPath<Anchor>[] = [];
  const search = findPaths<Anchor>(
    {
      leaf,
      pool: uniqueByDer([...presented.slice(1), ...dnsCerts, ...anchors]),
      anchorCert: (cert) => (anchors.some((a) => sameCertificate(a, cert)) ? { store: true } : undefined),
      anchorKeys: [],
    },
    issuers,
  );
  for (const path of search) {
    found.push(path);
    if (found.length >= 8) break;
  }
  if (found.length === 0) {
    return fail('issuer-not-found', eeRecord ? 0 : -1, 'no path from the leaf to a trusted certificate');
  }
  let matched: { path: CertificateView[]; record: TlsaRecord; depth: number } | undefined;
  for (const { path } of found) {
    if (eeRecord !== undefined) {
      matched = { path, record: eeRecord, depth: 0 };
      break;
    }
    for (let depth = 1; depth < path.length && matched === undefined; depth++) {
      const cert = path[depth] as CertificateView;
      const record = pkixRecords.find((r) => r.usage === TLSA_USAGE.PKIX_TA && cert.matches(r));
      if (record !== undefined) matched = { path, record, depth };
    }
    if (matched !== undefined) break;
  }
  if (matched === undefined) return fail('no-match', -1, 'no PKIX TLSA record matches the validated chain');
  const problem = checkPath(matched.path, matched.path.length, now);
  if (problem !== undefined) return fail(problem.reason, matched.depth, problem.detail);
  const name = matchName(leaf, options.referenceNames);
  if (name === undefined) return nameMismatch(leaf, options.referenceNames, matched.depth);
  return {
    ok: true,
    match: matched.record.usage === TLSA_USAGE.PKIX_EE ? 'pkix-ee' : 'pkix-ta',
    record: matched.record,
    depth: matched.depth,
    matchedName: name,
  };
}

/**
 * Checks the certificates below the anchor: `checked` is how many, from the leaf, get date checks; every
 * certificate above the leaf that issued another must be a CA. A DANE-TA anchor's own dates are not checked:
 * the TLSA record, not the certificate, is what is trusted (RFC 7671 §5.2.2).
 */
function checkPath(
  path: CertificateView[],
  checked: number,
  now: number,
): { reason: DaneVerifyFailure; detail: string } | undefined {
  for (let i = 0; i < Math.min(checked, path.length); i++) {
    const cert = (path[i] as CertificateView).cert;
    const from = Date.parse(cert.validFrom);
    const to = Date.parse(cert.validTo);
    if (!(from <= now)) return { reason: 'cert-not-yet-valid', detail: `certificate at depth ${i} is valid from ${cert.validFrom}` };
    if (!(now <= to)) return { reason: 'cert-expired', detail: `certificate at depth ${i} expired ${cert.validTo}` };
    if (i > 0 && !cert.ca) return { reason: 'not-a-ca', detail: `certificate at depth ${i} (${cert.subject}) is not a CA` };
  }
  return undefined;
}

/** The first reference name the leaf carries (RFC 6125 rules as RFC 7672 §3.2.3 profiles them), or undefined. */
function matchName(leaf: CertificateView, names: readonly string[]): string | undefined {
  for (const name of names) {
    try {
      const hit = leaf.cert.checkHost(name, { wildcards: true, partialWildcards: false, multiLabelWildcards: false, singleLabelSubdomains: false });
      if (hit !== undefined) return name;
    } catch {
      // A name that is not a host name matches nothing.
    }
  }
  return undefined;
}

function nameMismatch(leaf: CertificateView, names: readonly string[], depth: number): DaneVerifyResult {
  const subject = leaf.cert.subject.replace(/\n/g, ', ');
  return fail('name-mismatch', depth, `leaf (${subject || 'no subject'}) matches none of ${names.join(', ') || '(no names)'}`);
}

/** Drops repeated certificates, so that a server sending one CA many times cannot multiply the paths. */
function uniqueByDer(views: CertificateView[]): CertificateView[] {
  const seen = new Set<string>();
  return views.filter((v) => {
    const key = v.der.toString('base64');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function toCertificate(item: X509Certificate | Uint8Array): X509Certificate | undefined {
  if (item instanceof X509Certificate) return item;
  try {
    return new X509Certificate(Buffer.from(item));
  } catch {
    return undefined;
  }
}

/** Certificates published in full (selector 0, matching type 0) in usable records. */
function fullCertificates(records: readonly TlsaRecord[]): { view: CertificateView; record: TlsaRecord }[] {
  const out: { view: CertificateView; record: TlsaRecord }[] = [];
  for (const record of records) {
    if (record.selector !== TLSA_SELECTOR.CERT || record.matchingType !== TLSA_MATCHING.FULL) continue;
    const cert = toCertificate(record.data);
    if (cert !== undefined) out.push({ view: new CertificateView(cert), record });
  }
  return out;
}

/** Public keys published in full (selector 1, matching type 0) in usable records. */
function fullKeys(records: readonly TlsaRecord[]): { key: KeyObject; record: TlsaRecord }[] {
  const out: { key: KeyObject; record: TlsaRecord }[] = [];
  for (const record of records) {
    if (record.selector !== TLSA_SELECTOR.SPKI || record.matchingType !== TLSA_MATCHING.FULL) continue;
    try {
      out.push({ key: createPublicKey({ key: Buffer.from(record.data), format: 'der', type: 'spki' }), record });
    } catch {
      // classifyTlsa already refused unparseable keys; nothing to add.
    }
  }
  return out;
}
