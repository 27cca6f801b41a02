// HTTPS POST for reports (TLS-RPT, RFC 8460 §5.4) over the same exchange as the MTA-STS fetcher: the server
// certificate validated against the URL's host (system roots plus optional extra CAs), no redirects (a 3xx is
// returned as a status), connect/total timeouts, and a cap on how much of the response is read. Only the
// status matters to a report sender, so a response body over the cap is cut off, not an error: a receiver
// that accepted the report and then talks too much must not make us send it again.

import type { HttpsFetchResult } from '../../core/https/types.js';
import { checkedCaList, exchange, type NodeHttpsFetcherOptions } from './node-fetcher.js';

/** Response bytes read by default; the rest is dropped with the connection. */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;

export interface HttpsPostRequest {
  /** An `https:` URL. */
  url: string;
  contentType: string;
  body: Uint8Array;
  /** At most this much of the response body is read (default DEFAULT_MAX_RESPONSE_BYTES). */
  maxResponseBytes?: number;
  connectTimeoutMs?: number;
  totalTimeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * The POST port. `post` never rejects: a response (any status, 3xx included, body at most maxResponseBytes)
 * or an error with the fetcher's stable codes (`certificate`, `timeout`, `connect`, …).
 */
export interface HttpsPoster {
  post(request: HttpsPostRequest): Promise<HttpsFetchResult>;
}

/** The real poster. Options as createHttpsFetcher's (extraCa, lookup, portOverride, timeout ceilings). */
export function createHttpsPoster(options: NodeHttpsFetcherOptions = {}): HttpsPoster {
  const ca = checkedCaList(options, 'createHttpsPoster');
  return {
    post: (req) =>
      exchange(
        {
          url: req.url,
          maxBodyBytes: req.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
          ...(req.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: req.connectTimeoutMs }),
          ...(req.totalTimeoutMs === undefined ? {} : { totalTimeoutMs: req.totalTimeoutMs }),
          ...(req.signal ? { signal: req.signal } : {}),
        },
        { method: 'POST', accept: '*/*', body: { contentType: req.contentType, data: req.body }, overflow: 'truncate' },
        options,
        ca,
      ),
  };
}
