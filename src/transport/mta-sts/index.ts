// MTA-STS (RFC 8461): TXT record and policy parsing, MX matching, policy fetch through the HttpsFetcher port,
// cached discovery, and generating our own record and policy. See docs/mta-sts.md.

export type {
  MtaStsMode,
  MtaStsRecord,
  MtaStsPolicy,
  MtaStsSyntaxCode,
  MtaStsSyntaxError,
  MtaStsParseResult,
  MtaStsFailureType,
  MtaStsFetchReason,
  MtaStsFetchResult,
  CachedMtaStsPolicy,
  MtaStsPolicyCache,
  MtaStsListableCache,
  MtaStsNoneReason,
  MtaStsCacheUse,
  MtaStsDecision,
} from './types.js';
export { parseMtaStsRecord, selectMtaStsRecord, isMtaStsRecordText, MAX_RECORD_LENGTH } from './record.js';
export { parseMtaStsPolicy, normalizeMxPattern, MAX_MAX_AGE, MAX_POLICY_MX, MAX_POLICY_LINES } from './policy.js';
export { mxMatchesPattern, matchPolicyMx, MxMatcher } from './mx-match.js';
export { fetchMtaStsPolicy, mtaStsPolicyUrl, MAX_POLICY_BYTES, POLICY_CONNECT_TIMEOUT_MS, POLICY_TOTAL_TIMEOUT_MS, type MtaStsFetchOptions } from './fetch.js';
export { MemoryMtaStsCache, DEFAULT_CACHE_ENTRIES } from './cache.js';
export { resolveMtaStsPolicy, normalizePolicyDomain, lookupMtaStsId, DEFAULT_REFRESH_INTERVAL_MS, type MtaStsResolveOptions } from './resolve.js';
export {
  refreshMtaStsPolicies,
  startMtaStsRefresher,
  DEFAULT_REFRESH_EVERY_MS,
  DEFAULT_REFRESH_JITTER_MS,
  DEFAULT_FIRST_REFRESH_DELAY_MS,
  DEFAULT_EXPIRY_WINDOW_MS,
  type MtaStsRefreshDeps,
  type MtaStsRefreshOutcome,
  type MtaStsRefresherOptions,
} from './refresh.js';
export { generateMtaStsRecord, generateMtaStsPolicy, newMtaStsId, type GenerateResult } from './generate.js';
