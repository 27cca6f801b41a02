// The in-memory MTA-STS policy cache (RFC 8461 §5), bounded. The persistent one is in src/adapters/mta-sts-cache.

import type { CachedMtaStsPolicy, MtaStsListableCache } from './types.js';

/** Domains kept by default before the least recently used is dropped. */
export const DEFAULT_CACHE_ENTRIES = 10_000;

/** A bounded in-memory cache (least recently used dropped first). Copies in and out: callers cannot mutate it. */
export class MemoryMtaStsCache implements MtaStsListableCache {
  private readonly entries = new Map<string, CachedMtaStsPolicy>();

  constructor(private readonly maxEntries: number = DEFAULT_CACHE_ENTRIES) {
    if (!(Number.isInteger(maxEntries) && maxEntries > 0)) throw new RangeError('MemoryMtaStsCache: maxEntries must be a positive integer');
  }

  get(domain: string): Promise<CachedMtaStsPolicy | undefined> {
    const key = domain.toLowerCase();
    const entry = this.entries.get(key);
    if (entry === undefined) return Promise.resolve(undefined);
    this.entries.delete(key);
    this.entries.set(key, entry);
    return Promise.resolve(structuredClone(entry));
  }

  set(entry: CachedMtaStsPolicy): Promise<void> {
    const key = entry.domain.toLowerCase();
    this.entries.delete(key);
    this.entries.set(key, structuredClone(entry));
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    return Promise.resolve();
  }

  delete(domain: string): Promise<void> {
    this.entries.delete(domain.toLowerCase());
    return Promise.resolve();
  }

  domains(): Promise<string[]> {
    return Promise.resolve([...this.entries.keys()]);
  }

  get size(): number {
    return this.entries.size;
  }
}
