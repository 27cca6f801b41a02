// The HTTPS fetch port: what a core (MTA-STS policy fetch, RFC 8461 §3.3) asks of HTTPS, and the closed set of
// answers it gets. Implementations never throw for network outcomes, never follow redirects, always validate
// the server certificate against the host name, and stop reading at `maxBodyBytes`.
// The real implementation is src/adapters/https.

export interface HttpsFetchRequest {
  /** An `https:` URL. */
  url: string;
  /** Bodies longer than this are refused with `too-large` (a Content-Length over it is refused before reading). */
  maxBodyBytes: number;
  /** Time allowed to connect and finish the TLS handshake, ms. */
  connectTimeoutMs?: number;
  /** Time allowed for the whole exchange, ms. */
  totalTimeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Why a fetch produced no response. Stable codes.
 * - `bad-url`: not an https URL.
 * - `dns`: the host name did not resolve.
 * - `connect`: the TCP connection failed (refused, reset, unreachable).
 * - `certificate`: the server certificate failed validation (untrusted, expired, wrong name).
 * - `tls`: another TLS handshake failure (protocol, cipher, alert).
 * - `timeout`: the connect or total timeout passed.
 * - `too-large`: the body exceeded maxBodyBytes.
 * - `protocol`: the HTTP exchange was malformed or cut short.
 * - `aborted`: the caller's signal fired.
 */
export type HttpsFetchErrorCode = 'bad-url' | 'dns' | 'connect' | 'certificate' | 'tls' | 'timeout' | 'too-large' | 'protocol' | 'aborted';

export type HttpsFetchResult =
  | {
      kind: 'response';
      /** Any status, 3xx included: redirects are never followed. */
      status: number;
      /** Header names lower-case; repeated headers joined with ", ". */
      headers: Record<string, string>;
      body: Uint8Array;
    }
  | { kind: 'error'; error: HttpsFetchErrorCode; detail: string };

/** The HTTPS port. `fetch` never rejects: every outcome is an HttpsFetchResult. */
export interface HttpsFetcher {
  fetch(request: HttpsFetchRequest): Promise<HttpsFetchResult>;
}
