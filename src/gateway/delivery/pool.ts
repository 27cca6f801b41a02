// Connection reuse and per-destination concurrency for SMTP delivery. A destination (a recipient domain, or
// the smart host) gets at most `perDestination` deliveries at once; finished connections are parked per
// remote address for `idleMs` and handed to the next delivery to the same address, up to
// `maxTransactions` transactions each (Postfix: smtp_connection_cache_time_limit, destination_concurrency).

import type { SmtpClient } from './smtp-client.js';

/** Deliveries to one destination at the same time (Postfix default_destination_concurrency_limit = 20). */
export const DEFAULT_DESTINATION_CONCURRENCY = 20;
/** How long an idle connection is kept for reuse (Postfix smtp_connection_cache_time_limit = 2 s). */
export const DEFAULT_IDLE_MS = 2_000;
/** Transactions per connection before it is closed (Postfix smtp_connection_reuse_count_limit is unlimited; bound it). */
export const DEFAULT_MAX_TRANSACTIONS = 100;

export interface PoolLimits {
  perDestination: number;
  idleMs: number;
  maxTransactions: number;
}

interface Parked {
  client: SmtpClient;
  timer: NodeJS.Timeout;
}

export class ConnectionPool {
  private readonly idle = new Map<string, Parked[]>();
  private readonly active = new Map<string, number>();
  private readonly waiters = new Map<string, (() => void)[]>();
  readonly limits: PoolLimits;
  /** Connections handed out again instead of opened (for tests and the trace). */
  reused = 0;

  constructor(limits: Partial<PoolLimits> = {}) {
    this.limits = {
      perDestination: limits.perDestination ?? DEFAULT_DESTINATION_CONCURRENCY,
      idleMs: limits.idleMs ?? DEFAULT_IDLE_MS,
      maxTransactions: limits.maxTransactions ?? DEFAULT_MAX_TRANSACTIONS,
    };
  }

  /** Runs `work` once fewer than `perDestination` deliveries to `destination` are running. */
  async withDestination<T>(destination: string, work: () => Promise<T>): Promise<T> {
    while ((this.active.get(destination) ?? 0) >= this.limits.perDestination) {
      await new Promise<void>((resolve) => {
        const list = this.waiters.get(destination) ?? [];
        list.push(resolve);
        this.waiters.set(destination, list);
      });
    }
    this.active.set(destination, (this.active.get(destination) ?? 0) + 1);
    try {
      return await work();
    } finally {
      const left = (this.active.get(destination) ?? 1) - 1;
      if (left === 0) this.active.delete(destination);
      else this.active.set(destination, left);
      const next = this.waiters.get(destination)?.shift();
      if (next) next();
      if (this.waiters.get(destination)?.length === 0) this.waiters.delete(destination);
    }
  }

  /** An idle connection to `key` (address:port plus TLS mode) that is still open, if any. */
  take(key: string): SmtpClient | undefined {
    const list = this.idle.get(key);
    while (list !== undefined && list.length > 0) {
      const parked = list.pop() as Parked;
      clearTimeout(parked.timer);
      if (!parked.client.closed) {
        this.reused++;
        return parked.client;
      }
    }
    this.idle.delete(key);
    return undefined;
  }

  /** Parks a connection for reuse, or closes it when it is worn out or broken. */
  put(key: string, client: SmtpClient): void {
    if (client.closed || client.transactions >= this.limits.maxTransactions) {
      void client.quit();
      return;
    }
    const list = this.idle.get(key) ?? [];
    const parked: Parked = {
      client,
      timer: setTimeout(() => {
        const index = list.indexOf(parked);
        if (index >= 0) list.splice(index, 1);
        void client.quit();
      }, this.limits.idleMs),
    };
    parked.timer.unref();
    list.push(parked);
    this.idle.set(key, list);
  }

  /** Closes every idle connection (QUIT). */
  async close(): Promise<void> {
    const all = [...this.idle.values()].flat();
    this.idle.clear();
    await Promise.all(all.map((parked) => {
      clearTimeout(parked.timer);
      return parked.client.quit();
    }));
  }
}
