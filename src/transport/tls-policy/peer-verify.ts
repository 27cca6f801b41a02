// Authenticating the server after the TLS handshake, per mechanism: DANE (our own TLSA check on the chain
// the server presented), WebPKI (chain to the trust store, dates on our clock, host name against the
// policy's names), pinned fingerprints, or none. Node's own checks are off (rejectUnauthorized: false) so
// that every failure gets its RFC 8460 result type here, in one place.

import { createHash, X509Certificate } from 'node:crypto';
import { checkServerIdentity, type DetailedPeerCertificate, type PeerCertificate, type TLSSocket } from 'node:tls';
import type { Clock } from '../../core/clock.js';
import { verifyDaneChain, MAX_PRESENTED_CERTS } from '../dane/verify.js';
import type { TlsRequirements, TlsRptResultType } from './types.js';

export type PeerVerifyResult = { ok: true; detail: string } | { ok: false; resultType: TlsRptResultType; detail: string };

/** What a report or a person needs to know about the server's certificate. */
export interface CertificateSummary {
  subject: string;
  issuer: string;
  /** DNS names of subjectAltName. */
  dnsNames: string[];
  validFrom: string;
  validTo: string;
  /** Lower-case hex SHA-256 of the DER. */
  sha256: string;
  /** Lower-case hex SHA-256 of the SubjectPublicKeyInfo. */
  spkiSha256: string;
}

/** OpenSSL verification codes that mean "no path to a trusted root". */
const NOT_TRUSTED = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'INVALID_PURPOSE',
]);

/** The chain the server presented, leaf first, as DER (bounded by MAX_PRESENTED_CERTS). */
export function presentedChain(socket: TLSSocket): Buffer[] {
  const chain: Buffer[] = [];
  let cert: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  while (cert && cert.raw && chain.length < MAX_PRESENTED_CERTS) {
    chain.push(cert.raw);
    const next: DetailedPeerCertificate | undefined = cert.issuerCertificate;
    if (next === undefined || next === cert || next.raw === undefined || next.raw.equals(cert.raw)) break;
    cert = next;
  }
  return chain;
}

/** Summarises a DER certificate. */
export function summarizeCertificate(der: Buffer): CertificateSummary {
  const x509 = new X509Certificate(der);
  const spki = x509.publicKey.export({ type: 'spki', format: 'der' });
  return {
    subject: x509.subject.replace(/\n/g, ', '),
    issuer: x509.issuer.replace(/\n/g, ', '),
    dnsNames: dnsNames(x509),
    validFrom: new Date(x509.validFrom).toISOString(),
    validTo: new Date(x509.validTo).toISOString(),
    sha256: createHash('sha256').update(der).digest('hex'),
    spkiSha256: createHash('sha256').update(spki).digest('hex'),
  };
}

function dnsNames(x509: X509Certificate): string[] {
  return (x509.subjectAltName ?? '')
    .split(', ')
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4).toLowerCase());
}

/**
 * Checks the server of an established TLS session against the requirements. Never throws for hostile
 * certificates: every failure carries its RFC 8460 result type.
 */
export function verifyPeer(socket: TLSSocket, requirements: TlsRequirements, clock: Clock): PeerVerifyResult {
  const chain = presentedChain(socket);
  switch (requirements.authenticate) {
    case 'none':
      return { ok: true, detail: 'no authentication required' };
    case 'dane': {
      const result = verifyDaneChain(chain, requirements.tlsa ?? [], { referenceNames: requirements.names, clock });
      if (result.ok) return { ok: true, detail: `${result.match} match at depth ${result.depth}${result.matchedName ? ` (${result.matchedName})` : ''}` };
      return { ok: false, resultType: result.failure, detail: `DANE: ${result.reason}: ${result.detail}` };
    }
    case 'pinned':
      return verifyPinned(chain, requirements.fingerprints ?? []);
    case 'webpki':
      return verifyWebPki(socket, chain, requirements.names, clock);
  }
}

function verifyPinned(chain: Buffer[], fingerprints: readonly string[]): PeerVerifyResult {
  const leaf = chain[0];
  if (leaf === undefined) return { ok: false, resultType: 'validation-failure', detail: 'the server presented no certificate' };
  const summary = safeSummary(leaf);
  if (summary === undefined) return { ok: false, resultType: 'validation-failure', detail: 'the server certificate is not parseable' };
  if (fingerprints.includes(summary.sha256)) return { ok: true, detail: `certificate fingerprint ${summary.sha256} pinned` };
  if (fingerprints.includes(summary.spkiSha256)) return { ok: true, detail: `public key fingerprint ${summary.spkiSha256} pinned` };
  return { ok: false, resultType: 'certificate-not-trusted', detail: `neither certificate (${summary.sha256}) nor public key fingerprint is pinned` };
}

function verifyWebPki(socket: TLSSocket, chain: Buffer[], names: readonly string[], clock: Clock): PeerVerifyResult {
  const leaf = chain[0];
  if (leaf === undefined) return { ok: false, resultType: 'validation-failure', detail: 'the server presented no certificate' };
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(leaf);
  } catch {
    return { ok: false, resultType: 'validation-failure', detail: 'the server certificate is not parseable' };
  }
  const now = clock.now();
  if (Date.parse(x509.validTo) < now) return { ok: false, resultType: 'certificate-expired', detail: `the certificate expired ${new Date(x509.validTo).toISOString()}` };
  if (Date.parse(x509.validFrom) > now) return { ok: false, resultType: 'certificate-not-trusted', detail: `the certificate is not valid before ${new Date(x509.validFrom).toISOString()}` };
  if (!socket.authorized) {
    const code = String(socket.authorizationError ?? 'unknown');
    if (code === 'CERT_HAS_EXPIRED') return { ok: false, resultType: 'certificate-expired', detail: 'a certificate in the chain has expired' };
    return { ok: false, resultType: NOT_TRUSTED.has(code) ? 'certificate-not-trusted' : 'validation-failure', detail: `chain not trusted: ${code}` };
  }
  const peer = socket.getPeerCertificate() as PeerCertificate;
  for (const name of names) {
    if (checkServerIdentity(name, peer) === undefined) return { ok: true, detail: `trusted chain, name ${name} matched` };
  }
  return { ok: false, resultType: 'certificate-host-mismatch', detail: `the certificate (${dnsNames(x509).join(', ') || x509.subject}) matches none of ${names.join(', ')}` };
}

function safeSummary(der: Buffer): CertificateSummary | undefined {
  try {
    return summarizeCertificate(der);
  } catch {
    return undefined;
  }
}

export { safeSummary };
