// A per-account message rate limit over a rolling hour, in memory (one gateway process). Messages are counted
// when they are queued; MAIL is refused with 450 4.7.1 while an account is at its limit.

import type { Clock } from '../../core/clock.js';

/** The window the limit counts over. */
export const RATE_WINDOW_MS = 60 * 60 * 1000;

export class AccountRateLimiter {
  /** Queue times per account, oldest first, pruned to the window. */
  private readonly sent = new Map<string, number[]>();

  constructor(private readonly clock: Clock) {}

  /** True while the account may send another message under `perHour`. */
  allows(account: string, perHour: number): boolean {
    return this.prune(account).length < perHour;
  }

  /** Counts one queued message. */
  record(account: string): void {
    const times = this.prune(account);
    times.push(this.clock.now());
    this.sent.set(account, times);
  }

  /** Messages counted for the account in the current window. */
  count(account: string): number {
    return this.prune(account).length;
  }

  private prune(account: string): number[] {
    const times = this.sent.get(account) ?? [];
    const horizon = this.clock.now() - RATE_WINDOW_MS;
    let drop = 0;
    while (drop < times.length && times[drop]! <= horizon) drop++;
    if (drop) times.splice(0, drop);
    if (times.length === 0) this.sent.delete(account);
    return times;
  }
}
