// Queue ids: unique across processes and restarts, ordered by time so a listing reads oldest first, and
// safe anywhere (file names, headers, SQL) because they are only [0-9a-z].

import { randomBytes } from 'node:crypto';

/** Width of the base-36 millisecond timestamp: 9 digits last until the year 5188. */
const TIME_DIGITS = 9;
/** Random bytes after the time: 48 bits make a collision within one millisecond negligible. */
const RANDOM_BYTES = 6;

/**
 * Random bytes are drawn this many ids at a time: one randomBytes call per message cost ~15 µs of the event
 * loop under the gateway bench (~3% of a run); one per 1,024 ids costs a few ns each.
 */
const RANDOM_POOL_IDS = 1_024;

let pool = Buffer.alloc(0);
let poolOffset = 0;

/** A new queue id for a message received at `now` (epoch ms): 9 base-36 time digits + 12 hex digits. */
export function newQueueId(now: number): string {
  if (poolOffset + RANDOM_BYTES > pool.length) {
    pool = randomBytes(RANDOM_BYTES * RANDOM_POOL_IDS);
    poolOffset = 0;
  }
  const random = pool.toString('hex', poolOffset, poolOffset + RANDOM_BYTES);
  poolOffset += RANDOM_BYTES;
  return Math.max(0, Math.floor(now)).toString(36).padStart(TIME_DIGITS, '0') + random;
}

/** True when `id` has the shape newQueueId produces (for validating CLI input). */
export function isQueueId(id: string): boolean {
  return /^[0-9a-z]{9}[0-9a-f]{12}$/.test(id);
}
