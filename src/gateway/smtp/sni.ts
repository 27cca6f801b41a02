// Several server certificates on one gateway (SNI, RFC 6066 §3): a client that names the host it wants in the
// TLS handshake gets the certificate for that name, found among the extra certificates by their DNS names
// (subjectAltName, or the CN when there is none; a `*.example.com` name covers one label). Clients that name
// nothing, or a name no certificate has, get the default certificate.

import { X509Certificate } from 'node:crypto';
import { createSecureContext, type SecureContext } from 'node:tls';

export interface CertificatePair {
  key: string;
  cert: string;
}

/** The DNS names a certificate (PEM chain: the first one is the leaf) is valid for, lower case. */
export function certificateNames(pem: string): string[] {
  const leaf = new X509Certificate(pem);
  const sans = (leaf.subjectAltName ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4).toLowerCase());
  if (sans.length > 0) return sans;
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(leaf.subject)?.[1];
  return cn ? [cn.toLowerCase()] : [];
}

/** Whether a certificate name (possibly `*.example.com`) covers `host`. */
export function nameCovers(name: string, host: string): boolean {
  if (name === host) return true;
  if (!name.startsWith('*.')) return false;
  const dot = host.indexOf('.');
  return dot > 0 && host.slice(dot + 1) === name.slice(2);
}

/**
 * Builds the context chooser: exact names first, then wildcards, then `fallback`. Throws a TypeError naming
 * the certificate (by position) when a pair does not load (a key that does not match its certificate, say).
 */
export function sniContexts(pairs: readonly CertificatePair[], fallback: SecureContext, options: { ca?: string; minVersion: 'TLSv1.2' | 'TLSv1.3' }): (servername: string) => SecureContext {
  const entries = pairs.map((pair, k) => {
    let context: SecureContext;
    let names: string[];
    try {
      context = createSecureContext({ key: pair.key, cert: pair.cert, ...(options.ca === undefined ? {} : { ca: options.ca }), minVersion: options.minVersion });
      names = certificateNames(pair.cert);
    } catch (error) {
      throw new TypeError(`tls.sniCertificates[${k}]: ${(error as Error).message}`);
    }
    if (names.length === 0) throw new TypeError(`tls.sniCertificates[${k}]: the certificate names no host (no DNS subjectAltName or CN)`);
    return { context, names };
  });
  return (servername) => {
    const host = servername.toLowerCase().replace(/\.$/, '');
    for (const e of entries) if (e.names.includes(host)) return e.context;
    for (const e of entries) if (e.names.some((n) => nameCovers(n, host))) return e.context;
    return fallback;
  };
}
