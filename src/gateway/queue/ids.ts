// Queue ids: unique across processes and restarts, ordered by time so a listing reads oldest first, and
// safe anywhere (file names, headers, SQL) because they are only [0-9a-z].

import { randomBytes } from 'node:crypto';

/** Width of the base-36 millisecond timestamp: 9 digits last until the year 5188. */
const TIME_DIGITS = 9;
/** Random bytes after the time: 48 bits make a collision within one millisecond negligible. */
const RANDOM_BYTES = 6;

/** A new queue id for a message received at `now` (epoch ms): 9 base-36 time digits + 12 hex digits. */
export function newQueueId(now: number): string {
  return Math.max(0, Math.floor(now)).toString(36).padStart(TIME_DIGITS, '0') + randomBytes(RANDOM_BYTES).toString('hex');
}

/** True when `id` has the shape newQueueId produces (for validating CLI input). */
export function isQueueId(id: string): boolean {
  return /^[0-9a-z]{9}[0-9a-f]{12}$/.test(id);
}
