// Certificate paths for DANE: breadth-first search from the leaf through the presented certificates and the
// certificates published in DNS, so that the first anchor found is the one nearest the leaf (OpenSSL's and
// RFC 7671 §5.2.2's "lowest depth wins"). Bounded: a hostile peer cannot make the search explode.

import type { KeyObject } from 'node:crypto';
import type { CertificateView } from './match.js';

/** Longest path tried, leaf and anchor included. Real SMTP chains are 2–4 long. */
export const MAX_PATH_LENGTH = 10;
/** Paths explored before the search gives up (cross-signed meshes could otherwise grow exponentially). */
export const MAX_PATHS_EXPLORED = 512;

/** What ends a path: a certificate that is an anchor, or a bare anchor key that signed the last certificate. */
export type PathEnd<A> = { kind: 'cert'; anchor: A } | { kind: 'key'; anchor: A };

export interface FoundPath<A> {
  /** path[0] is the leaf; the last element is the anchor certificate, or the certificate the anchor key signed. */
  path: CertificateView[];
  end: PathEnd<A>;
}

export interface PathSearch<A> {
  leaf: CertificateView;
  /** Certificates that may serve as issuers (presented ones after the leaf, DNS ones, trust-store ones). */
  pool: readonly CertificateView[];
  /** An anchor this certificate is, at this depth (depth ≥ 1 for certificates; the caller decides). */
  anchorCert: (cert: CertificateView, depth: number) => A | undefined;
  /** Anchor keys that may have signed a certificate. */
  anchorKeys: readonly { key: KeyObject; anchor: A }[];
}

/** Signature checks are the costly part: remember each (child, issuer) answer. */
export class IssuerCache {
  private readonly results = new Map<CertificateView, Map<object, boolean>>();

  issuedBy(child: CertificateView, issuer: CertificateView): boolean {
    return this.remember(child, issuer, () => {
      if (!child.cert.checkIssued(issuer.cert)) return false;
      return child.cert.verify(issuer.cert.publicKey);
    });
  }

  signedByKey(child: CertificateView, key: KeyObject): boolean {
    return this.remember(child, key, () => child.cert.verify(key));
  }

  private remember(child: CertificateView, by: object, check: () => boolean): boolean {
    let row = this.results.get(child);
    if (row === undefined) {
      row = new Map();
      this.results.set(child, row);
    }
    let answer = row.get(by);
    if (answer === undefined) {
      try {
        answer = check();
      } catch {
        answer = false; // An unsupported algorithm or a broken key signs nothing.
      }
      row.set(by, answer);
    }
    return answer;
  }
}

/**
 * Yields every path from the leaf to an anchor, shortest first, until the bounds are hit. Each certificate is
 * used at most once per path. The caller stops at the first path it accepts.
 */
export function* findPaths<A>(search: PathSearch<A>, issuers: IssuerCache): Generator<FoundPath<A>> {
  const queue: CertificateView[][] = [[search.leaf]];
  let explored = 0;
  while (queue.length > 0 && explored < MAX_PATHS_EXPLORED) {
    const path = queue.shift() as CertificateView[];
    explored++;
    const depth = path.length - 1;
    const current = path[depth] as CertificateView;
    const asCert = search.anchorCert(current, depth);
    if (asCert !== undefined) {
      yield { path, end: { kind: 'cert', anchor: asCert } };
      continue;
    }
    for (const { key, anchor } of search.anchorKeys) {
      if (issuers.signedByKey(current, key)) yield { path, end: { kind: 'key', anchor } };
    }
    if (path.length >= MAX_PATH_LENGTH) continue;
    for (const candidate of search.pool) {
      if (path.includes(candidate)) continue;
      if (issuers.issuedBy(current, candidate)) queue.push([...path, candidate]);
    }
  }
}

/** True when the two certificates are the same DER. */
export function sameCertificate(a: CertificateView, b: CertificateView): boolean {
  return a === b || a.der.equals(b.der);
}
