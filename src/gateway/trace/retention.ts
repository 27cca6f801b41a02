// Trace retention: trails of finished messages older than the configured number of days are deleted, in
// batches (each its own short transaction, so enqueues keep their group commits), a minute after start and
// then every six hours. Queued messages keep their trail whatever its age.

import type { Clock } from '../../core/clock.js';
import type { TraceStore } from './types.js';

export const DAY_MS = 86_400_000;
/** Messages per prune transaction. */
export const PRUNE_BATCH = 2_000;
const FIRST_RUN_MS = 60_000;
const INTERVAL_MS = 6 * 3_600_000;

/** Deletes every finished trail older than `retentionDays`; returns how many went. */
export async function pruneTraceOnce(store: Pick<TraceStore, 'pruneTrace'>, clock: Clock, retentionDays: number, batch = PRUNE_BATCH): Promise<number> {
  const before = clock.now() - retentionDays * DAY_MS;
  let total = 0;
  for (;;) {
    const pruned = await store.pruneTrace(before, batch);
    total += pruned;
    if (pruned < batch) return total;
    // Let queued work (enqueues, deliveries) run between batches.
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Runs pruneTraceOnce on a timer; returns the function that stops it (waiting for a run in progress). */
export function startTracePruning(
  store: Pick<TraceStore, 'pruneTrace'>,
  clock: Clock,
  retentionDays: number,
  report: (pruned: number) => void,
  onError: (error: unknown) => void,
): () => Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  const schedule = (ms: number) => {
    timer = setTimeout(() => {
      running = pruneTraceOnce(store, clock, retentionDays).then(
        (pruned) => (pruned > 0 ? report(pruned) : undefined),
        onError,
      ).finally(() => {
        running = undefined;
        if (!stopped) schedule(INTERVAL_MS);
      });
    }, ms);
    timer.unref();
  };
  schedule(FIRST_RUN_MS);
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await running;
  };
}
