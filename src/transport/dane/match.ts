// Matching one certificate against TLSA records (RFC 6698 §2.1.2, §2.1.3): select the full DER or the
// SubjectPublicKeyInfo DER, then compare it, its SHA-256 or its SHA-512 with the association data.

import { createHash, timingSafeEqual, type X509Certificate } from 'node:crypto';
import { TLSA_MATCHING, TLSA_SELECTOR, type TlsaRecord } from './types.js';

/** A certificate with its selector inputs computed once (a chain is matched against many records). */
export class CertificateView {
  readonly cert: X509Certificate;
  readonly der: Buffer;
  private spkiDer: Buffer | undefined;
  private readonly digests = new Map<string, Buffer>();

  constructor(cert: X509Certificate) {
    this.cert = cert;
    this.der = cert.raw;
  }

  /** The DER SubjectPublicKeyInfo (selector 1). */
  get spki(): Buffer {
    this.spkiDer ??= this.cert.publicKey.export({ type: 'spki', format: 'der' });
    return this.spkiDer;
  }

  /** The bytes a record with this selector and matching type compares against. */
  selected(selector: number, matchingType: number): Buffer | undefined {
    const base = selector === TLSA_SELECTOR.CERT ? this.der : selector === TLSA_SELECTOR.SPKI ? this.spki : undefined;
    if (base === undefined) return undefined;
    if (matchingType === TLSA_MATCHING.FULL) return base;
    const algorithm = matchingType === TLSA_MATCHING.SHA256 ? 'sha256' : matchingType === TLSA_MATCHING.SHA512 ? 'sha512' : undefined;
    if (algorithm === undefined) return undefined;
    const key = `${selector}/${algorithm}`;
    let digest = this.digests.get(key);
    if (digest === undefined) {
      digest = createHash(algorithm).update(base).digest();
      this.digests.set(key, digest);
    }
    return digest;
  }

  /** True when this certificate matches the record's selector, matching type and data. */
  matches(record: TlsaRecord): boolean {
    const selected = this.selected(record.selector, record.matchingType);
    if (selected === undefined || selected.length !== record.data.length) return false;
    return timingSafeEqual(selected, record.data);
  }
}

/**
 * True when the certificate (DER or parsed) matches the TLSA record (RFC 6698 §2.1). Usage is not
 * considered here: which chain position a usage applies to is the verifier's business.
 */
export function certificateMatchesTlsa(cert: X509Certificate, record: TlsaRecord): boolean {
  return new CertificateView(cert).matches(record);
}

/**
 * Computes the association data a server operator would publish for a certificate (RFC 6698 §2.1), e.g.
 * `tlsaDataFor(cert, 1, 1)` for "3 1 1". For record generation and tests.
 */
export function tlsaDataFor(cert: X509Certificate, selector: 0 | 1, matchingType: 0 | 1 | 2): Uint8Array {
  const selected = new CertificateView(cert).selected(selector, matchingType);
  return Uint8Array.from(selected ?? []);
}
