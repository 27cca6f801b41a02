// Group commit with the fsync off the event loop. Every write the store is asked for joins the next batch;
// a batch runs as one BEGIN IMMEDIATE … COMMIT. A write that throws (a lost lease) fails alone: the batch is
// then rolled back and run again with each write in its own savepoint (commitBatch says why not always). The COMMIT only hands the WAL frames to the kernel (synchronous=NORMAL); the batch's
// callers are answered after an fdatasync of the WAL file, started after that COMMIT returned, completed.
// The fdatasync runs on libuv's thread pool, so SMTP sessions go on being served while the disk works.
//
// At most one batch waits for its fdatasync at a time: writes that arrive meanwhile gather and are committed
// together once it completes (one more fdatasync for all of them), so batches grow with the load. Measured
// (docs/queue.md): committing every turn of the loop instead made many small transactions, each rewriting
// the same index pages into the WAL, and was slower than blocking on a synchronous=FULL COMMIT.
//
// Why this is as durable as synchronous=FULL (which fsyncs the WAL inside COMMIT): WAL frames carry
// checksums chained from the WAL header, and recovery replays the longest valid prefix of frames up to its
// last commit frame. A write is acknowledged only after an fdatasync that began after its COMMIT returned,
// so its commit frame and every frame before it (and the WAL header) are on the disk: recovery replays it.
// A crash before that fdatasync loses at most transactions nobody was told about, and never breaks the
// prefix (SQLite documents WAL + NORMAL as consistent across power loss). Checkpoints sync the WAL before
// copying it into the database file and sync that file before the WAL is reused (checkpointer.ts runs them
// with synchronous=FULL; so does SQLite's own checkpoint under NORMAL). The WAL file is deleted only when
// the last connection closes, and ours closes after the last fdatasync, so the descriptor we sync is the
// file SQLite writes. A failed fdatasync fails its writes and every later one: after a writeback error
// the kernel may have dropped the pages, and a later fdatasync could succeed without them.

import { closeSync, fdatasync, openSync } from 'node:fs';
import type Database from 'better-sqlite3';

/**
 * Most writes in one transaction. Bounds the time one batch holds the write lock and the latency of its
 * first writer; at ~10 KB per message this is ~2.5 MB of WAL per commit.
 */
export const GROUP_COMMIT_MAX_BATCH = 256;

/**
 * A BEGIN IMMEDIATE that fails with SQLITE_BUSY before any write ran is tried again after this long. SQLite
 * sometimes answers BUSY at once instead of waiting out busy_timeout (seen ~1 run in 4 of the gateway bench
 * under a profiler, with only the checkpointer's PASSIVE checkpoints beside the writer): nothing was
 * written, so trying again is safe, and better than a 451 for the whole batch.
 */
export const BEGIN_BUSY_RETRY_MS = 5;

/** How long BEGIN is retried before the batch fails (as long as a normal busy wait). */
export const BEGIN_BUSY_GIVE_UP_MS = 5_000;

interface PendingWrite {
  run: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

interface Outcome {
  ok: boolean;
  value: unknown;
}

/** A write whose COMMIT returned, waiting for the fdatasync that makes it durable. */
interface CommittedWrite {
  write: PendingWrite;
  ok: boolean;
  value: unknown;
}

/** Counters for tests and the benchmark. */
export interface GroupCommitStats {
  batches: number;
  writes: number;
  largestBatch: number;
  /** fdatasync calls on the WAL. */
  syncs: number;
  /** BEGINs tried again after an immediate SQLITE_BUSY. */
  busyRetries: number;
  /** Batches rolled back because a write threw, and run again with a savepoint per write. */
  isolatedReruns: number;
}

export class GroupCommitter {
  private pending: PendingWrite[] = [];
  private unsynced: CommittedWrite[] = [];
  private scheduled = false;
  private syncing = false;
  private walFd: number | undefined;
  private syncFailure: Error | undefined;
  private busySince: number | undefined;
  private idleWaiters: (() => void)[] = [];
  readonly stats: GroupCommitStats = { batches: 0, writes: 0, largestBatch: 0, syncs: 0, busyRetries: 0, isolatedReruns: 0 };
  /** Writes started in the current attempt at a batch (0 when BEGIN itself failed). */
  private writesRun = 0;
  /** The batch's writes in one transaction, no savepoints; the first throw aborts it (and is reported). */
  private readonly runPlain: Database.Transaction<(batch: PendingWrite[], onThrow: () => void) => Outcome[]>;
  /** The batch's writes each in its own SAVEPOINT (a nested better-sqlite3 transaction): a throw rolls back alone. */
  private readonly runIsolated: Database.Transaction<(batch: PendingWrite[]) => Outcome[]>;

  /** `db` must be in WAL mode with synchronous=NORMAL; `walPath` is its WAL file (`<database>-wal`). */
  constructor(
    private readonly db: Database.Database,
    private readonly walPath: string,
  ) {
    this.runPlain = db.transaction((batch: PendingWrite[], onThrow: () => void) => {
      const outcomes: Outcome[] = [];
      for (const write of batch) {
        this.writesRun++;
        try {
          outcomes.push({ ok: true, value: write.run() });
        } catch (error) {
          onThrow();
          throw error;
        }
      }
      return outcomes;
    });
    this.runIsolated = db.transaction((batch: PendingWrite[]) => {
      const outcomes: Outcome[] = [];
      for (const write of batch) {
        this.writesRun++;
        try {
          outcomes.push({ ok: true, value: db.transaction(write.run)() });
        } catch (error) {
          outcomes.push({ ok: false, value: error });
        }
      }
      return outcomes;
    });
  }

  /**
   * Queues `run` (synchronous SQL on this store's connection) for the next batch. Resolves with its
   * return value once the batch is committed and on disk; rejects with its error (its writes rolled
   * back), with the commit's error (nothing of the batch is in the database) or with the fdatasync's.
   * `run` may run twice (after a rollback, when another write of its batch threw): it must act only on the
   * database, and its result is the one from the run that was committed.
   */
  submit<T>(run: () => T): Promise<T> {
    if (this.syncFailure !== undefined) return Promise.reject(this.syncFailure);
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ run, resolve: resolve as (value: unknown) => void, reject });
      this.schedule();
    });
  }

  /** Resolves when no write is pending, committing or waiting for its fdatasync (for close()). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Closes the WAL descriptor; call after idle() and after the database connection closed. */
  close(): void {
    if (this.walFd !== undefined) closeSync(this.walFd);
    this.walFd = undefined;
  }

  private isIdle(): boolean {
    return this.pending.length === 0 && !this.scheduled && !this.syncing && this.unsynced.length === 0;
  }

  private schedule(): void {
    // While an fdatasync runs, writes gather; its completion schedules the next batch.
    if (this.scheduled || this.syncing || this.pending.length === 0) return;
    this.scheduled = true;
    // setImmediate, not a microtask: lets I/O callbacks that are already due add to this batch.
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.pending.splice(0, GROUP_COMMIT_MAX_BATCH);
    let outcomes: Outcome[];
    try {
      outcomes = this.commitBatch(batch);
    } catch (error) {
      if (this.writesRun === 0 && !this.db.inTransaction && this.retryBusyBegin(batch, error)) return;
      this.busySince = undefined;
      for (const write of batch) write.reject(error);
      this.settled();
      return;
    }
    this.busySince = undefined;
    this.stats.batches++;
    this.stats.writes += batch.length;
    this.stats.largestBatch = Math.max(this.stats.largestBatch, batch.length);
    batch.forEach((write, i) => {
      const outcome = outcomes[i] as Outcome;
      this.unsynced.push({ write, ok: outcome.ok, value: outcome.value });
    });
    this.sync();
  }

  /**
   * Runs the batch as one transaction and commits it. First without savepoints: a SAVEPOINT per write made
   * SQLite copy every page a write touched that an earlier write of the batch had already changed into the
   * statement journal (measured with the store alone, 20 producers: ~7,900 msg/s with a savepoint per write,
   * ~10,300 without). Only when a write throws is the whole transaction rolled back and the batch run again,
   * each write in its own savepoint, so that the failing write fails alone. Throws when BEGIN or COMMIT fails.
   */
  private commitBatch(batch: PendingWrite[]): Outcome[] {
    this.writesRun = 0;
    let failed = false;
    try {
      return this.runPlain.immediate(batch, () => (failed = true));
    } catch (error) {
      if (!failed) throw error;
    }
    this.stats.isolatedReruns++;
    // Nothing of the first run is left: a BEGIN refused now may be retried like any other.
    this.writesRun = 0;
    return this.runIsolated.immediate(batch);
  }

  /** True when BEGIN failed with SQLITE_BUSY and the batch was put back to be tried again shortly. */
  private retryBusyBegin(batch: PendingWrite[], error: unknown): boolean {
    const code = (error as { code?: unknown }).code;
    if (typeof code !== 'string' || !code.startsWith('SQLITE_BUSY')) return false;
    const now = performance.now();
    this.busySince ??= now;
    if (now - this.busySince > BEGIN_BUSY_GIVE_UP_MS) return false;
    this.stats.busyRetries++;
    this.pending.unshift(...batch);
    this.scheduled = true;
    setTimeout(() => this.flush(), BEGIN_BUSY_RETRY_MS);
    return true;
  }

  /** Starts one fdatasync covering every write committed so far; answers them when it completes. */
  private sync(): void {
    const covered = this.unsynced;
    this.unsynced = [];
    try {
      // Opened at the first sync: by then a COMMIT has certainly created the WAL file.
      this.walFd ??= openSync(this.walPath, 'r');
    } catch (error) {
      this.fail(covered, error as Error);
      return;
    }
    this.syncing = true;
    this.stats.syncs++;
    fdatasync(this.walFd, (error) => {
      this.syncing = false;
      if (error !== null) {
        this.fail(covered, error);
        return;
      }
      for (const c of covered) {
        if (c.ok) c.write.resolve(c.value);
        else c.write.reject(c.value);
      }
      // The next batch is committed in a later turn (setImmediate), after these callers' replies went out.
      this.settled();
    });
  }

  private fail(covered: CommittedWrite[], error: Error): void {
    this.syncFailure ??= error;
    for (const c of covered) c.write.reject(error);
    for (const write of this.pending.splice(0)) write.reject(error);
    this.settled();
  }

  private settled(): void {
    this.schedule();
    if (!this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}
