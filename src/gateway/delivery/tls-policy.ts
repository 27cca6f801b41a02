// The TLS decision for one delivery: asked per (recipient domain, MX host) before each connection. Today
// the default is opportunistic STARTTLS (RFC 3207: use it when offered, do not verify, fall back to plaintext
// if the handshake fails); the transport-security code (MTA-STS, DANE) will plug its own decision in here.

export interface TlsPolicy {
  /** none: never STARTTLS; opportunistic: when offered; required: defer unless a TLS session is established. */
  mode: 'none' | 'opportunistic' | 'required';
  /** Verify the certificate chain and name (required mode with PKIX, e.g. MTA-STS enforce). */
  verify: boolean;
  /** Name to verify and send as SNI (default the MX host name). */
  servername?: string;
  /** Trust anchors for verification (default Node's bundled roots). */
  ca?: string | Buffer;
  /** Which rule decided (for the trace): 'opportunistic-default', 'mta-sts', 'dane', … */
  source: string;
}

/** Chooses the TLS policy for delivering `domain`'s mail to `mxHost`. May look things up (MTA-STS, TLSA). */
export type TlsPolicyFor = (domain: string, mxHost: string) => Promise<TlsPolicy>;

/** The default: opportunistic STARTTLS, no verification. */
export const opportunisticTls: TlsPolicyFor = () => Promise.resolve({ mode: 'opportunistic', verify: false, source: 'opportunistic-default' });
