// Group commit: every write the store is asked for joins the next batch; a batch runs as one
// BEGIN IMMEDIATE … COMMIT (one WAL fsync under synchronous=FULL), each write in its own savepoint so one
// failing write (a lost lease) fails alone. A caller's promise settles only after the COMMIT returned, so
// nothing is acknowledged before it is on disk. Writes that arrive while a batch commits (the event loop is
// busy with the fsync) all land in the next batch: the batch grows with the load, which is the point.

import type Database from 'better-sqlite3';

/**
 * Most writes in one transaction. Bounds the time one batch holds the write lock and the latency of its
 * first writer; at ~10 KB per message this is ~2.5 MB of WAL per commit.
 */
export const GROUP_COMMIT_MAX_BATCH = 256;

interface PendingWrite {
  run: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Counters for tests and the benchmark. */
export interface GroupCommitStats {
  batches: number;
  writes: number;
  largestBatch: number;
}

export class GroupCommitter {
  private pending: PendingWrite[] = [];
  private scheduled = false;
  private idleWaiters: (() => void)[] = [];
  readonly stats: GroupCommitStats = { batches: 0, writes: 0, largestBatch: 0 };

  constructor(private readonly db: Database.Database) {}

  /**
   * Queues `run` (synchronous SQL on this store's connection) for the next batch. Resolves with its
   * return value after the batch committed; rejects with its error (its savepoint rolled back) or with the
   * commit's error (the whole batch failed: nothing of it is on disk).
   */
  submit<T>(run: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ run, resolve: resolve as (value: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // setImmediate, not a microtask: lets I/O callbacks that are already due add to this batch.
        setImmediate(() => this.flush());
      }
    });
  }

  /** Resolves when no write is pending (for close()). */
  idle(): Promise<void> {
    if (this.pending.length === 0 && !this.scheduled) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private flush(): void {
    const batch = this.pending.splice(0, GROUP_COMMIT_MAX_BATCH);
    const outcomes: { ok: boolean; value: unknown }[] = [];
    try {
      this.db
        .transaction(() => {
          for (const write of batch) {
            try {
              // A nested better-sqlite3 transaction is a SAVEPOINT: a throwing write rolls back alone.
              outcomes.push({ ok: true, value: this.db.transaction(write.run)() });
            } catch (error) {
              outcomes.push({ ok: false, value: error });
            }
          }
        })
        .immediate();
    } catch (error) {
      for (const write of batch) write.reject(error);
      this.afterFlush();
      return;
    }
    this.stats.batches++;
    this.stats.writes += batch.length;
    this.stats.largestBatch = Math.max(this.stats.largestBatch, batch.length);
    batch.forEach((write, i) => {
      const outcome = outcomes[i] as { ok: boolean; value: unknown };
      if (outcome.ok) write.resolve(outcome.value);
      else write.reject(outcome.value);
    });
    this.afterFlush();
  }

  private afterFlush(): void {
    if (this.pending.length > 0) {
      setImmediate(() => this.flush());
      return;
    }
    this.scheduled = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}
