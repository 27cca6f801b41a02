// MTA-STS types (RFC 8461): the parsed TXT record and policy as typed values, the cache port, and the closed
// result of policy discovery. Reason codes are stable and documented in docs/mta-sts.md.

/** Policy modes (RFC 8461 §5). */
export type MtaStsMode = 'enforce' | 'testing' | 'none';

/** The `_mta-sts` TXT record (RFC 8461 §3.1). */
export interface MtaStsRecord {
  /** 1–32 letters and digits; a change tells senders to refetch the policy. */
  id: string;
  /** Extension fields, in order (ignored by policy logic). */
  extensions: { name: string; value: string }[];
}

/** A policy (RFC 8461 §3.2). */
export interface MtaStsPolicy {
  version: 'STSv1';
  mode: MtaStsMode;
  /** MX patterns, lower-case, no trailing dot: `mail.example.com` or `*.example.com`. */
  mx: string[];
  /** Seconds the policy may be cached, 0–31557600. */
  maxAge: number;
  /** Fields the parser did not know, in order (RFC 8461 §3.2: ignored). */
  extensions: { name: string; value: string }[];
}

/**
 * Syntax error codes of the record and policy parsers. Stable.
 * - `not-sts`: the TXT record does not start with `v=STSv1`.
 * - `bad-field`, `bad-id`, `missing-id`, `duplicate-field`: a TXT or policy field breaks the ABNF.
 * - `bad-line`: a policy line is not `key: value`.
 * - `bad-character`: a control character (bare CR, NUL…) or invalid UTF-8 in the policy.
 * - `bad-version`, `bad-mode`, `bad-max-age`, `bad-mx`: a known policy field has a bad value.
 * - `missing-version`, `missing-mode`, `missing-max-age`, `missing-mx`: a required field is absent
 *   (`mx` is required unless mode is `none`).
 * - `too-long`, `too-many-mx`: over mailflow's bounds (MAX_RECORD_LENGTH, MAX_POLICY_MX).
 */
export type MtaStsSyntaxCode =
  | 'not-sts'
  | 'bad-field'
  | 'bad-id'
  | 'missing-id'
  | 'duplicate-field'
  | 'bad-line'
  | 'bad-character'
  | 'bad-version'
  | 'bad-mode'
  | 'bad-max-age'
  | 'bad-mx'
  | 'missing-version'
  | 'missing-mode'
  | 'missing-max-age'
  | 'missing-mx'
  | 'too-long'
  | 'too-many-mx';

export interface MtaStsSyntaxError {
  code: MtaStsSyntaxCode;
  message: string;
  /** 1-based policy line, when the error is in a policy. */
  line?: number;
  /** 0-based character offset in the TXT record or the line. */
  offset: number;
}

export type MtaStsParseResult<T> = { ok: true; value: T } | { ok: false; error: MtaStsSyntaxError };

/** RFC 8460 §4.3.2 result types for MTA-STS. */
export type MtaStsFailureType = 'sts-policy-fetch-error' | 'sts-policy-invalid' | 'sts-webpki-invalid';

/**
 * Why a policy fetch failed. Stable codes, each with its RFC 8460 type:
 * - `webpki-invalid` (sts-webpki-invalid): the policy host's certificate did not validate for `mta-sts.<domain>`.
 * - `fetch-failed` (sts-policy-fetch-error): DNS, connection or TLS failure reaching the policy host.
 * - `timeout` (sts-policy-fetch-error): the connect or total timeout passed.
 * - `redirect-refused` (sts-policy-fetch-error): a 3xx answer; redirects are not followed (RFC 8461 §3.3).
 * - `http-status` (sts-policy-fetch-error): a status other than 200.
 * - `body-too-large` (sts-policy-fetch-error): over 64 KiB (RFC 8461 §3.3).
 * - `content-type` (sts-policy-invalid): not `text/plain` (RFC 8461 §3.2).
 * - `policy-syntax` (sts-policy-invalid): the body is not a valid policy.
 */
export type MtaStsFetchReason =
  | 'webpki-invalid'
  | 'fetch-failed'
  | 'timeout'
  | 'redirect-refused'
  | 'http-status'
  | 'body-too-large'
  | 'content-type'
  | 'policy-syntax';

export type MtaStsFetchResult =
  | { ok: true; policy: MtaStsPolicy; text: string }
  | { ok: false; reason: MtaStsFetchReason; failure: MtaStsFailureType; detail: string; syntax?: MtaStsSyntaxError };

/** A policy as the cache keeps it. Times are ms since the epoch. */
export interface CachedMtaStsPolicy {
  /** The policy domain, lower-case, no trailing dot. */
  domain: string;
  /** The TXT record id the policy was fetched under. */
  id: string;
  policy: MtaStsPolicy;
  fetchedAt: number;
  /** fetchedAt + max_age: after this the entry is no longer valid (RFC 8461 §5). */
  expiresAt: number;
}

/**
 * The policy cache port (RFC 8461 §5). The caller owns it; implementations: MemoryMtaStsCache here,
 * JsonFileMtaStsCache in src/adapters/mta-sts-cache. Expiry is the core's business: `get` returns what it has.
 */
export interface MtaStsPolicyCache {
  get(domain: string): Promise<CachedMtaStsPolicy | undefined>;
  set(entry: CachedMtaStsPolicy): Promise<void>;
  delete(domain: string): Promise<void>;
}

/** A cache that can list its domains: what the background refresher needs (refresh.ts). */
export interface MtaStsListableCache extends MtaStsPolicyCache {
  /** Every cached domain (lower-case), expired entries included. */
  domains(): Promise<string[]>;
}

/**
 * Why there is no policy to apply. Stable codes.
 * - `invalid-domain`: the domain is not a usable name (leading dot, empty label, IP literal, too long).
 * - `no-record`: no `_mta-sts` TXT record starting with `v=STSv1` (RFC 8461 §3.1).
 * - `multiple-records`: more than one such record (RFC 8461 §3.1: treat as none).
 * - `invalid-record`: the one record does not parse (RFC 8461 §3.1).
 * - `dns-error`: the TXT lookup failed (timeout, SERVFAIL) and nothing is cached.
 */
export type MtaStsNoneReason = 'invalid-domain' | 'no-record' | 'multiple-records' | 'invalid-record' | 'dns-error';

/**
 * Why the cached policy was used (source `cache`):
 * - `id-unchanged`: the TXT id equals the cached one (RFC 8461 §5).
 * - `refresh-failed`: the id changed, or a refresh was due, but fetching failed: keep the cached policy (§5).
 * - `txt-unavailable`: the TXT record is gone, invalid or its lookup failed: keep the cached policy (§5, §8.3).
 */
export type MtaStsCacheUse = 'id-unchanged' | 'refresh-failed' | 'txt-unavailable';

export type MtaStsDecision =
  | {
      kind: 'policy';
      domain: string;
      policy: MtaStsPolicy;
      /** The id the policy was fetched under. */
      id: string;
      source: 'cache' | 'fetched';
      /** Why the cache was used, when it was. */
      cacheUse?: MtaStsCacheUse;
      /** When a refetch failed and the cached policy was kept: why (report it through TLS-RPT). */
      refreshFailure?: { reason: MtaStsFetchReason; failure: MtaStsFailureType; detail: string };
      fetchedAt: number;
      expiresAt: number;
    }
  | { kind: 'none'; domain: string; reason: MtaStsNoneReason; detail: string }
  | {
      kind: 'error';
      domain: string;
      /** The TXT id that announced the policy. */
      id: string;
      reason: MtaStsFetchReason;
      failure: MtaStsFailureType;
      detail: string;
    };
