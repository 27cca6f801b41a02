// Fetching a policy (RFC 8461 §3.3): GET https://mta-sts.<domain>/.well-known/mta-sts.txt through the
// injected HttpsFetcher, status 200 only, no redirects, text/plain only, at most 64 KiB, then parse.
// Each failure is mapped to its RFC 8460 type here, in one place.

import type { HttpsFetcher, HttpsFetchErrorCode } from '../../core/https/types.js';
import { parseMtaStsPolicy } from './policy.js';
import type { MtaStsFailureType, MtaStsFetchReason, MtaStsFetchResult } from './types.js';

/** RFC 8461 §3.3: senders may limit the policy body; 64 KiB is the RFC's suggested maximum. */
export const MAX_POLICY_BYTES = 64 * 1024;
/** Connect and total timeouts for the policy fetch (RFC 8461 §3.3 asks for "reasonable" timeouts). */
export const POLICY_CONNECT_TIMEOUT_MS = 10_000;
export const POLICY_TOTAL_TIMEOUT_MS = 30_000;

export interface MtaStsFetchOptions {
  connectTimeoutMs?: number;
  totalTimeoutMs?: number;
  signal?: AbortSignal;
}

/** The policy URL for a domain (RFC 8461 §3.3). */
export function mtaStsPolicyUrl(domain: string): string {
  return `https://mta-sts.${domain}/.well-known/mta-sts.txt`;
}

const FAILURE: Readonly<Record<MtaStsFetchReason, MtaStsFailureType>> = {
  'webpki-invalid': 'sts-webpki-invalid',
  'fetch-failed': 'sts-policy-fetch-error',
  timeout: 'sts-policy-fetch-error',
  'redirect-refused': 'sts-policy-fetch-error',
  'http-status': 'sts-policy-fetch-error',
  'body-too-large': 'sts-policy-fetch-error',
  'content-type': 'sts-policy-invalid',
  'policy-syntax': 'sts-policy-invalid',
};

const FETCH_ERROR_REASON: Readonly<Record<HttpsFetchErrorCode, MtaStsFetchReason>> = {
  certificate: 'webpki-invalid',
  timeout: 'timeout',
  'too-large': 'body-too-large',
  'bad-url': 'fetch-failed',
  dns: 'fetch-failed',
  connect: 'fetch-failed',
  tls: 'fetch-failed',
  protocol: 'fetch-failed',
  aborted: 'fetch-failed',
};

function failed(reason: MtaStsFetchReason, detail: string, extra: Partial<MtaStsFetchResult> = {}): MtaStsFetchResult {
  return { ok: false, reason, failure: FAILURE[reason], detail, ...extra } as MtaStsFetchResult;
}

/**
 * Fetches and parses the policy of `domain` (lower-case, no trailing dot). Returns the policy and its text, or
 * a failure with a stable reason and its RFC 8460 type. Never throws (a fetcher that throws counts as
 * `fetch-failed`).
 */
export async function fetchMtaStsPolicy(domain: string, fetcher: HttpsFetcher, options: MtaStsFetchOptions = {}): Promise<MtaStsFetchResult> {
  const url = mtaStsPolicyUrl(domain);
  let response;
  try {
    response = await fetcher.fetch({
      url,
      maxBodyBytes: MAX_POLICY_BYTES,
      connectTimeoutMs: options.connectTimeoutMs ?? POLICY_CONNECT_TIMEOUT_MS,
      totalTimeoutMs: options.totalTimeoutMs ?? POLICY_TOTAL_TIMEOUT_MS,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (err) {
    return failed('fetch-failed', `${url}: fetcher failed: ${String(err)}`);
  }
  if (response.kind === 'error') return failed(FETCH_ERROR_REASON[response.error], `${url}: ${response.error}: ${response.detail}`);
  if (response.status >= 300 && response.status < 400) {
    return failed('redirect-refused', `${url}: HTTP ${response.status} redirect not followed (RFC 8461 §3.3)`);
  }
  if (response.status !== 200) return failed('http-status', `${url}: HTTP ${response.status}`);
  if (response.body.length > MAX_POLICY_BYTES) return failed('body-too-large', `${url}: body over ${MAX_POLICY_BYTES} bytes`);
  const contentType = response.headers['content-type'];
  if (mediaType(contentType) !== 'text/plain') {
    return failed('content-type', `${url}: Content-Type ${contentType ?? '(none)'}, expected text/plain (RFC 8461 §3.2)`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(response.body);
  } catch {
    return failed('policy-syntax', `${url}: the body is not UTF-8`);
  }
  const parsed = parseMtaStsPolicy(text);
  if (!parsed.ok) {
    const where = parsed.error.line ? ` (line ${parsed.error.line})` : '';
    return failed('policy-syntax', `${url}: ${parsed.error.message}${where}`, { syntax: parsed.error });
  }
  return { ok: true, policy: parsed.value, text };
}

/** The media type of a Content-Type value, lower-case, parameters dropped. */
function mediaType(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return (value.split(';')[0] ?? '').trim().toLowerCase();
}
