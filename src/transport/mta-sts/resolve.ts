// MTA-STS policy discovery with caching (RFC 8461 §3, §5): the TXT record says whether a policy exists and
// its id; the policy comes from the cache while the id is unchanged and the entry unexpired, else from
// HTTPS. A cached, unexpired policy keeps applying when the TXT record or the fetch fails (§5), so an
// attacker who blocks DNS or HTTPS cannot strip a known policy. This is the one place DNS and fetch
// outcomes become MTA-STS decisions.

import { domainToASCII } from 'node:url';
import type { Clock } from '../../core/clock.js';
import type { DnsResolver } from '../../core/dns/types.js';
import type { HttpsFetcher } from '../../core/https/types.js';
import { fetchMtaStsPolicy, type MtaStsFetchOptions } from './fetch.js';
import { parseMtaStsRecord, selectMtaStsRecord } from './record.js';
import type { CachedMtaStsPolicy, MtaStsCacheUse, MtaStsDecision, MtaStsNoneReason, MtaStsPolicyCache } from './types.js';

/**
 * A cached policy older than this is refetched even when the TXT id is unchanged (a failed refetch keeps it):
 * RFC 8461 §5 asks senders to refresh policies before they expire rather than let them lapse.
 */
export const DEFAULT_REFRESH_INTERVAL_MS = 24 * 3600 * 1000;

export interface MtaStsResolveOptions {
  resolver: DnsResolver;
  fetcher: HttpsFetcher;
  cache: MtaStsPolicyCache;
  clock: Clock;
  /**
   * Fetch even when the cached id matches: RFC 8461 §5.1 asks for a fresh policy before failing delivery
   * because no MX matches a cached enforce policy.
   */
  forceRefresh?: boolean;
  /** See DEFAULT_REFRESH_INTERVAL_MS; Infinity disables proactive refresh. */
  refreshIntervalMs?: number;
  fetch?: MtaStsFetchOptions;
}

/**
 * Decides the MTA-STS policy for a recipient domain (RFC 8461 §3–§5). Returns:
 * - `policy` with `source: 'fetched'` (new or changed id, stored in the cache) or `'cache'` (with `cacheUse`);
 * - `none` when the domain has no usable TXT record and nothing valid is cached;
 * - `error` when the TXT record announces a policy that cannot be fetched or parsed and nothing valid is
 *   cached (deliver as without MTA-STS, and report `failure` through TLS-RPT).
 * Never throws for DNS, HTTPS or policy outcomes (a cache that throws is an infrastructure error and does).
 */
export async function resolveMtaStsPolicy(domainInput: string, options: MtaStsResolveOptions): Promise<MtaStsDecision> {
  const domain = normalizePolicyDomain(domainInput);
  if (domain === undefined) return none(domainInput, 'invalid-domain', `"${domainInput}" is not a domain name`);
  const now = options.clock.now();
  const stored = await options.cache.get(domain);
  const cached = stored !== undefined && stored.expiresAt > now ? stored : undefined;
  if (stored !== undefined && cached === undefined) await options.cache.delete(domain);

  const txt = await lookupMtaStsId(domain, options.resolver);
  if (txt.kind === 'id') return withRecord(domain, txt.id, cached, now, options);
  if (cached !== undefined) return fromCache(cached, 'txt-unavailable');
  return none(domain, txt.reason, txt.detail);
}

/**
 * The policy id a domain (normalised) announces in its `_mta-sts` TXT record (RFC 8461 §3.1), or why there
 * is none: `dns-error`, `no-record`, `multiple-records`, `invalid-record`. Never throws for DNS outcomes.
 */
export async function lookupMtaStsId(
  domain: string,
  resolver: DnsResolver,
): Promise<{ kind: 'id'; id: string } | { kind: 'none'; reason: Exclude<MtaStsNoneReason, 'invalid-domain'>; detail: string }> {
  const answer = await resolver.resolve(`_mta-sts.${domain}`, 'TXT');
  if (answer.kind === 'error') return { kind: 'none', reason: 'dns-error', detail: `_mta-sts.${domain} TXT: ${answer.error} (${answer.detail})` };
  if (answer.kind !== 'records') return { kind: 'none', reason: 'no-record', detail: `_mta-sts.${domain}: ${answer.kind}` };
  const selected = selectMtaStsRecord(answer.records.map((r) => r.data));
  if (selected.kind === 'one') {
    const record = parseMtaStsRecord(selected.text);
    if (record.ok) return { kind: 'id', id: record.value.id };
    return { kind: 'none', reason: 'invalid-record', detail: `_mta-sts.${domain}: ${record.error.message}` };
  }
  if (selected.kind === 'multiple') {
    return { kind: 'none', reason: 'multiple-records', detail: `_mta-sts.${domain}: ${selected.count} records begin with v=STSv1 (RFC 8461 §3.1)` };
  }
  return { kind: 'none', reason: 'no-record', detail: `_mta-sts.${domain}: no record begins with v=STSv1` };
}

async function withRecord(
  domain: string,
  id: string,
  cached: CachedMtaStsPolicy | undefined,
  now: number,
  options: MtaStsResolveOptions,
): Promise<MtaStsDecision> {
  const refreshInterval = options.refreshIntervalMs ?? DEFAULT_REFRESH_INTERVAL_MS;
  if (cached !== undefined && cached.id === id && options.forceRefresh !== true && now - cached.fetchedAt < refreshInterval) {
    return fromCache(cached, 'id-unchanged');
  }
  const fetched = await fetchMtaStsPolicy(domain, options.fetcher, options.fetch);
  if (!fetched.ok) {
    if (cached !== undefined) {
      return { ...fromCache(cached, 'refresh-failed'), refreshFailure: { reason: fetched.reason, failure: fetched.failure, detail: fetched.detail } };
    }
    return { kind: 'error', domain, id, reason: fetched.reason, failure: fetched.failure, detail: fetched.detail };
  }
  const entry: CachedMtaStsPolicy = { domain, id, policy: fetched.policy, fetchedAt: now, expiresAt: now + fetched.policy.maxAge * 1000 };
  await options.cache.set(entry);
  return { kind: 'policy', domain, policy: fetched.policy, id, source: 'fetched', fetchedAt: entry.fetchedAt, expiresAt: entry.expiresAt };
}

function fromCache(entry: CachedMtaStsPolicy, cacheUse: MtaStsCacheUse): Extract<MtaStsDecision, { kind: 'policy' }> {
  return {
    kind: 'policy',
    domain: entry.domain,
    policy: entry.policy,
    id: entry.id,
    source: 'cache',
    cacheUse,
    fetchedAt: entry.fetchedAt,
    expiresAt: entry.expiresAt,
  };
}

function none(domain: string, reason: MtaStsNoneReason, detail: string): MtaStsDecision {
  return { kind: 'none', domain, reason, detail };
}

/**
 * A policy domain in canonical form: A-labels, lower-case, one trailing dot removed. Undefined for a leading
 * dot, an empty label, an address literal, a single label or an over-long name.
 */
export function normalizePolicyDomain(input: string): string | undefined {
  if (typeof input !== 'string') return undefined;
  const trimmed = input.endsWith('.') ? input.slice(0, -1) : input;
  if (trimmed === '' || trimmed.startsWith('.') || trimmed.startsWith('[') || trimmed.includes('..')) return undefined;
  const ascii = domainToASCII(trimmed);
  if (ascii === '' || ascii.length > 253) return undefined;
  const labels = ascii.split('.');
  if (labels.length < 2) return undefined;
  if (!labels.every((l) => /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/.test(l))) return undefined;
  if (/^[0-9.]+$/.test(ascii)) return undefined;
  return ascii;
}
