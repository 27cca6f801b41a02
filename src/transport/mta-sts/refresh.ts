// Refreshing cached MTA-STS policies in the background (RFC 8461 §3.3: "MTAs SHOULD proactively refresh
// cached policies before they expire; a suggested refresh frequency is once per day"; §5.1, §10.2). Without
// it a policy is only refetched when mail happens to go to its domain, and a domain mailed less often than its
// max_age loses its protection in between: the next delivery would find no cached policy, and an attacker who
// blocks the TXT lookup or the fetch at that moment strips MTA-STS.
//
// For each cached domain: look up the `_mta-sts` TXT id; refetch when the id changed or the cached policy
// expires within `expiryWindowMs`. A failed lookup or fetch keeps the cached policy as it is (never deletes
// it): expiry, applied at delivery (resolve.ts), is the only way a policy goes.

import type { Clock } from '../../core/clock.js';
import type { DnsResolver } from '../../core/dns/types.js';
import type { HttpsFetcher } from '../../core/https/types.js';
import { fetchMtaStsPolicy, type MtaStsFetchOptions } from './fetch.js';
import { lookupMtaStsId } from './resolve.js';
import type { CachedMtaStsPolicy, MtaStsListableCache } from './types.js';

/** Runs once a day, as RFC 8461 §3.3 suggests. */
export const DEFAULT_REFRESH_EVERY_MS = 24 * 3600_000;
/** Up to this much later than every day, at random, so that gateways started together do not refresh together. */
export const DEFAULT_REFRESH_JITTER_MS = 3600_000;
/** The first run waits this long after start (plus jitter): start-up is busy enough. */
export const DEFAULT_FIRST_REFRESH_DELAY_MS = 10 * 60_000;
/**
 * A policy expiring within this window is refetched even when its id is unchanged. A week of daily runs
 * gives a policy several chances before it lapses (a one-day max_age policy is refetched every run).
 */
export const DEFAULT_EXPIRY_WINDOW_MS = 7 * 24 * 3600_000;

export interface MtaStsRefreshDeps {
  resolver: DnsResolver;
  fetcher: HttpsFetcher;
  cache: MtaStsListableCache;
  clock: Clock;
  fetch?: MtaStsFetchOptions;
  /** See DEFAULT_EXPIRY_WINDOW_MS. */
  expiryWindowMs?: number;
}

/**
 * What one refresh did for one domain:
 * - `unchanged`: same id, not near expiry: nothing fetched;
 * - `refreshed`: fetched and stored (`why`: the id changed, or the policy was near expiry or expired);
 * - `failed`: the TXT lookup or the fetch failed; the cached policy is kept as it was.
 */
export type MtaStsRefreshOutcome =
  | { domain: string; outcome: 'unchanged'; id: string; expiresAt: number }
  | { domain: string; outcome: 'refreshed'; why: 'id-changed' | 'near-expiry'; id: string; previousId: string; expiresAt: number; mode: string }
  | { domain: string; outcome: 'failed'; reason: string; detail: string; keptId: string; keptUntil: number };

/**
 * Refreshes every cached policy once, one domain after another. Never throws for DNS or HTTPS outcomes (a cache
 * that throws does: it is an infrastructure error).
 */
export async function refreshMtaStsPolicies(deps: MtaStsRefreshDeps): Promise<MtaStsRefreshOutcome[]> {
  const out: MtaStsRefreshOutcome[] = [];
  for (const domain of await deps.cache.domains()) {
    const entry = await deps.cache.get(domain);
    if (entry !== undefined) out.push(await refreshOne(entry, deps));
  }
  return out;
}

async function refreshOne(entry: CachedMtaStsPolicy, deps: MtaStsRefreshDeps): Promise<MtaStsRefreshOutcome> {
  const { domain } = entry;
  const kept = { keptId: entry.id, keptUntil: entry.expiresAt };
  const txt = await lookupMtaStsId(domain, deps.resolver);
  // No record, several or an invalid one is not a reason to fetch (the TXT record is what announces a
  // policy) nor to drop the cached one (§5: it keeps applying until it expires).
  if (txt.kind === 'none') return { domain, outcome: 'failed', reason: txt.reason, detail: txt.detail, ...kept };
  const now = deps.clock.now();
  const nearExpiry = entry.expiresAt - now <= (deps.expiryWindowMs ?? DEFAULT_EXPIRY_WINDOW_MS);
  if (txt.id === entry.id && !nearExpiry) return { domain, outcome: 'unchanged', id: entry.id, expiresAt: entry.expiresAt };
  const fetched = await fetchMtaStsPolicy(domain, deps.fetcher, deps.fetch);
  if (!fetched.ok) return { domain, outcome: 'failed', reason: fetched.reason, detail: fetched.detail, ...kept };
  const fetchedAt = deps.clock.now();
  const expiresAt = fetchedAt + fetched.policy.maxAge * 1000;
  await deps.cache.set({ domain, id: txt.id, policy: fetched.policy, fetchedAt, expiresAt });
  return { domain, outcome: 'refreshed', why: txt.id === entry.id ? 'near-expiry' : 'id-changed', id: txt.id, previousId: entry.id, expiresAt, mode: fetched.policy.mode };
}

export interface MtaStsRefresherOptions {
  everyMs?: number;
  jitterMs?: number;
  firstDelayMs?: number;
  /** A number in [0, 1) (default Math.random): the jitter. */
  random?: () => number;
  /** Told the outcomes of each run. */
  onResults: (results: MtaStsRefreshOutcome[]) => void;
  onError: (error: unknown) => void;
}

/**
 * Runs refreshMtaStsPolicies after `firstDelayMs`, then every `everyMs`, each plus up to `jitterMs` (timers are
 * unref'd). `stop()` cancels the next run and waits for one in progress.
 */
export function startMtaStsRefresher(deps: MtaStsRefreshDeps, options: MtaStsRefresherOptions): { stop(): Promise<void> } {
  const random = options.random ?? Math.random;
  const jitter = (): number => Math.floor(random() * (options.jitterMs ?? DEFAULT_REFRESH_JITTER_MS));
  let stopped = false;
  let running: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  const plan = (delay: number): void => {
    timer = setTimeout(() => {
      running = refreshMtaStsPolicies(deps)
        .then(options.onResults, options.onError)
        .finally(() => {
          running = undefined;
          if (!stopped) plan((options.everyMs ?? DEFAULT_REFRESH_EVERY_MS) + jitter());
        });
    }, delay);
    timer.unref();
  };
  plan((options.firstDelayMs ?? DEFAULT_FIRST_REFRESH_DELAY_MS) + jitter());
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
