// A caching DnsResolver that wraps any other one: positive answers live for the RRset's TTL, negative
// answers (nxdomain, nodata) for their RFC 2308 TTL, errors only when asked (errorTtlSeconds), and concurrent identical
// queries share one upstream query. Pure: time comes from the injected Clock, nothing here opens a socket.
//
// Hot path (SPF evaluation benchmarks): a hit is one Map lookup plus an LRU touch, and returns the stored
// answer object itself. Answers are therefore shared and must be treated as immutable; their TTLs are the
// TTLs as received, not counted down.

import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import type { DnsAnswer, DnsResolver, ResolveOptions, RRType } from './types.js';

/** Default bound on cached answers: a busy gateway's working set of names fits, memory stays a few MB. */
export const DEFAULT_CACHE_ENTRIES = 10_000;

/** Upper bound on any positive TTL, in seconds (one day, unbound's cache-max-ttl default): a record
 * published with a huge TTL must not pin a stale answer for weeks. */
export const MAX_POSITIVE_TTL = 86_400;

/** Upper bound on negative TTLs, in seconds: RFC 2308 §5 suggests one to three hours. */
export const MAX_NEGATIVE_TTL = 10_800;

/** Negative TTL, in seconds, when the answer carried no SOA. RFC 2308 §5 says such answers SHOULD NOT be
 * cached for long; a few seconds still saves the repeated lookups of one SPF or DMARC evaluation. */
export const DEFAULT_NEGATIVE_TTL = 5;

/** Longest an error answer may be cached when asked to (RFC 2308 §7.1/§7.2: server failures, dead servers). */
export const MAX_ERROR_TTL = 300;

export interface CacheOptions {
  /** Bound on cached answers; the least recently used is evicted first. Default DEFAULT_CACHE_ENTRIES. */
  maxEntries?: number;
  clock?: Clock;
  /**
   * Seconds to keep an error answer (servfail, timeout, refused…) so that, while a resolver is down, each
   * name costs one timeout rather than one per query (RFC 2308 §7 allows up to five minutes). Default 0: errors
   * are not cached.
   */
  errorTtlSeconds?: number;
}

export interface CacheStats {
  hits: number;
  misses: number;
  /** Queries that joined an identical query already in flight (counted as misses too). */
  coalesced: number;
  evictions: number;
  size: number;
}

interface Entry {
  answer: DnsAnswer;
  expiresAt: number;
}

/** Thrown for invalid options (a programmer error), with a stable code. */
export class DnsCacheOptionsError extends Error {
  readonly code = 'DNS_CACHE_BAD_OPTIONS';
}

export class CachingResolver implements DnsResolver {
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<DnsAnswer>>();
  private readonly maxEntries: number;
  private readonly clock: Clock;
  private readonly errorTtl: number;
  private readonly counters = { hits: 0, misses: 0, coalesced: 0, evictions: 0 };

  /** Wraps `upstream`; throws DnsCacheOptionsError when maxEntries is not a positive integer. */
  constructor(
    private readonly upstream: DnsResolver,
    options: CacheOptions = {},
  ) {
    const maxEntries = options.maxEntries ?? DEFAULT_CACHE_ENTRIES;
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new DnsCacheOptionsError(`maxEntries must be a positive integer, got ${String(maxEntries)}`);
    }
    this.maxEntries = maxEntries;
    this.clock = options.clock ?? systemClock;
    const errorTtl = options.errorTtlSeconds ?? 0;
    if (!Number.isFinite(errorTtl) || errorTtl < 0 || errorTtl > MAX_ERROR_TTL) {
      throw new DnsCacheOptionsError(`errorTtlSeconds must be 0 to ${MAX_ERROR_TTL}, got ${String(errorTtl)}`);
    }
    this.errorTtl = errorTtl;
  }

  /**
   * Answers from the cache when a live entry exists (returning the stored object), else asks upstream once
   * for all concurrent callers of the same name and type. An aborted caller gets a `timeout` error with
   * detail 'aborted' while the shared upstream query carries on for the others.
   */
  resolve<T extends RRType>(name: string, type: T, options?: ResolveOptions): Promise<DnsAnswer<T>> {
    const key = cacheKey(name, type);
    const entry = this.entries.get(key);
    if (entry !== undefined) {
      if (entry.expiresAt > this.clock.now()) {
        this.counters.hits++;
        // LRU touch: re-inserting moves the key to the end of the Map's iteration order.
        this.entries.delete(key);
        this.entries.set(key, entry);
        return Promise.resolve(entry.answer as DnsAnswer<T>);
      }
      this.entries.delete(key);
    }
    this.counters.misses++;
    let pending = this.inFlight.get(key);
    if (pending !== undefined) this.counters.coalesced++;
    else {
      pending = this.fetch(key, name, type);
      this.inFlight.set(key, pending);
    }
    const signal = options?.signal;
    return (signal === undefined ? pending : raceAbort(pending, signal)) as Promise<DnsAnswer<T>>;
  }

  /** Hit, miss, coalescing and eviction counters, and the current number of entries. */
  stats(): CacheStats {
    return { ...this.counters, size: this.entries.size };
  }

  /** Drops every cached answer (queries in flight still complete, and are then cached). */
  clear(): void {
    this.entries.clear();
  }

  private async fetch(key: string, name: string, type: RRType): Promise<DnsAnswer> {
    try {
      // The upstream query gets no caller's signal: other callers may be waiting on it.
      const answer = await this.upstream.resolve(name, type);
      this.store(key, answer);
      return answer;
    } catch (error) {
      // The port promises no throws; an upstream that breaks it still must not crash the caller.
      return { kind: 'error', error: 'servfail', detail: `resolver failed: ${String(error)}` };
    } finally {
      this.inFlight.delete(key);
    }
  }

  private store(key: string, answer: DnsAnswer): void {
    const ttl = answer.kind === 'error' ? this.errorTtl : cacheTtl(answer);
    if (ttl <= 0) return;
    this.entries.delete(key);
    this.entries.set(key, { answer, expiresAt: this.clock.now() + ttl * 1000 });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
      this.counters.evictions++;
    }
  }
}

/** The cache key: lower-case name without trailing dot, and type. */
function cacheKey(name: string, type: RRType): string {
  const lower = name.toLowerCase();
  return (lower.endsWith('.') ? lower.slice(0, -1) : lower) + '/' + type;
}

/**
 * Seconds an answer may be cached: the smallest TTL of the RRset (capped at MAX_POSITIVE_TTL), the negative
 * TTL for nxdomain/nodata (DEFAULT_NEGATIVE_TTL without an SOA, capped at MAX_NEGATIVE_TTL), 0 for errors.
 * Errors are not cached: a timeout or servfail is "try later", and a later try should reach the network.
 */
export function cacheTtl(answer: DnsAnswer): number {
  switch (answer.kind) {
    case 'records': {
      if (answer.records.length === 0) return 0;
      let ttl = MAX_POSITIVE_TTL;
      for (const record of answer.records) if (record.ttl < ttl) ttl = record.ttl;
      return Math.max(0, ttl);
    }
    case 'nxdomain':
    case 'nodata':
      return Math.max(0, Math.min(answer.ttl ?? DEFAULT_NEGATIVE_TTL, MAX_NEGATIVE_TTL));
    case 'error':
      return 0;
  }
}

function raceAbort(pending: Promise<DnsAnswer>, signal: AbortSignal): Promise<DnsAnswer> {
  const aborted: DnsAnswer = { kind: 'error', error: 'timeout', detail: 'aborted' };
  if (signal.aborted) return Promise.resolve(aborted);
  return new Promise((resolve) => {
    const onAbort = (): void => resolve(aborted);
    signal.addEventListener('abort', onAbort, { once: true });
    void pending.then((answer) => {
      signal.removeEventListener('abort', onAbort);
      resolve(answer);
    });
  });
}
