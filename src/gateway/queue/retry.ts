// The retry schedule: exponential backoff between attempts, capped, and a maximum time in the queue after
// which pending recipients fail (Postfix's minimal_backoff_time, maximal_backoff_time,
// maximal_queue_lifetime and bounce_queue_lifetime, with the same defaults).

/** Wait after the first failed attempt: 5 minutes (Postfix minimal_backoff_time 300s). */
export const RETRY_MIN_BACKOFF_MS = 5 * 60_000;
/** Longest wait between attempts: 4000 s (Postfix maximal_backoff_time). */
export const RETRY_MAX_BACKOFF_MS = 4_000_000;
/** Time a message may stay queued before its pending recipients fail: 5 days (RFC 5321 §4.5.4.1 "at least 4-5 days"). */
export const MAX_QUEUE_AGE_MS = 5 * 24 * 3_600_000;
/** Time a bounce (a DSN we generated) may stay queued: 5 days too, then it is held, never bounced. */
export const MAX_DSN_QUEUE_AGE_MS = 5 * 24 * 3_600_000;
/** A sender asking for DELAY notifications gets one after this long: 4 hours (Postfix delay_warning_time). */
export const DELAY_WARNING_MS = 4 * 3_600_000;

export interface RetrySchedule {
  minBackoffMs: number;
  maxBackoffMs: number;
  maxAgeMs: number;
  dsnMaxAgeMs: number;
  delayWarningMs: number;
}

export const DEFAULT_RETRY_SCHEDULE: RetrySchedule = {
  minBackoffMs: RETRY_MIN_BACKOFF_MS,
  maxBackoffMs: RETRY_MAX_BACKOFF_MS,
  maxAgeMs: MAX_QUEUE_AGE_MS,
  dsnMaxAgeMs: MAX_DSN_QUEUE_AGE_MS,
  delayWarningMs: DELAY_WARNING_MS,
};

/**
 * The wait before the next attempt after `attempts` failed ones (1 = the first failed): min × 2^(n-1),
 * capped at max. 5 min, 10, 20, 40, 66 min, 66 min, … with the defaults.
 */
export function backoffMs(attempts: number, schedule: RetrySchedule = DEFAULT_RETRY_SCHEDULE): number {
  const exponent = Math.min(Math.max(attempts - 1, 0), 30);
  return Math.min(schedule.minBackoffMs * 2 ** exponent, schedule.maxBackoffMs);
}

/** True when a message queued at `queuedAt` has outlived its maximum age at `now`. */
export function isExpired(queuedAt: number, now: number, kind: 'mail' | 'dsn', schedule: RetrySchedule = DEFAULT_RETRY_SCHEDULE): boolean {
  return now - queuedAt >= (kind === 'dsn' ? schedule.dsnMaxAgeMs : schedule.maxAgeMs);
}
