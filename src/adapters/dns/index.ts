// The real DNS adapter: what the CLI and the gateway call to get a DnsResolver talking to actual servers.

import type { Clock } from '../../core/clock.js';
import type { DnsResolver } from '../../core/dns/types.js';
import { CachingResolver } from '../../core/dns/cache.js';
import { WireResolver } from './wire-resolver.js';
import type { ServerAddress } from './server-list.js';

export { WireResolver, WireResolverOptionsError, DEFAULT_ATTEMPTS, DEFAULT_TIMEOUT_MS, EDNS_UDP_PAYLOAD, MAX_TIMEOUT_MS } from './wire-resolver.js';
export type { WireResolverOptions } from './wire-resolver.js';
export {
  DEFAULT_RESOLV_CONF,
  DEFAULT_SERVER,
  DNS_PORT,
  DnsServerListError,
  formatServer,
  parseServer,
  resolveServerList,
  serversFromResolvConf,
} from './server-list.js';
export type { ParseServerResult, ServerAddress, ServerListSources } from './server-list.js';
export { CachingResolver } from '../../core/dns/cache.js';

export interface CreateResolverOptions {
  /** Servers as `host[:port]` / `[v6]:port` (see resolveServerList) or parsed addresses. */
  servers: readonly (string | ServerAddress)[];
  /** Per-query timeout in ms (default DEFAULT_TIMEOUT_MS). */
  timeoutMs?: number;
  /** Tries per server (default DEFAULT_ATTEMPTS). */
  attempts?: number;
  /** true (default) for a cache with default size, false for none, or its size. */
  cache?: boolean | { maxEntries?: number; errorTtlSeconds?: number };
  /** The clock the cache counts TTLs with (default the system clock). */
  clock?: Clock;
}

/**
 * Builds the resolver mailflow uses for real lookups: a WireResolver over `servers`, wrapped in a
 * CachingResolver unless `cache: false`. Throws DnsServerListError / WireResolverOptionsError /
 * DnsCacheOptionsError on invalid options (checked here, once, not at the first query).
 */
export function createResolver(options: CreateResolverOptions): DnsResolver {
  const wire = new WireResolver({
    servers: options.servers,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.attempts === undefined ? {} : { attempts: options.attempts }),
  });
  const cache = options.cache ?? true;
  if (cache === false) return wire;
  return new CachingResolver(wire, {
    ...(cache === true || cache.maxEntries === undefined ? {} : { maxEntries: cache.maxEntries }),
    ...(cache === true || cache.errorTtlSeconds === undefined ? {} : { errorTtlSeconds: cache.errorTtlSeconds }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
}
