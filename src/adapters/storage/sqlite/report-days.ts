// What the report collectors (TLS-RPT sessions, DMARC records) share: a connection of their own on the queue
// database, counts summed in memory and flushed on a timer, and rows kept per UTC day and policy domain.

import Database from 'better-sqlite3';

/** How often summed counts are written. */
export const FLUSH_INTERVAL_MS = 5_000;
/**
 * How long a flush waits for the queue's writer to release the write lock. Short: better-sqlite3 waits on
 * the event loop's thread, and a flush that gives up keeps its rows pending for the next one.
 */
export const BUSY_TIMEOUT_MS = 250;
/** Distinct pending rows held in memory before a flush is forced. */
export const MAX_PENDING_ROWS = 10_000;

/**
 * Opens a collector's connection and creates its table. synchronous=NORMAL: counts are statistics, and a
 * crash losing the last seconds of them is better than an fsync per flush on the disk the queue depends on.
 * WAL checkpoints are left to the queue store's checkpointer.
 */
export function openCollectorDatabase(path: string, ddl: string): Database.Database {
  const db = new Database(path);
  for (const pragma of [`busy_timeout = ${BUSY_TIMEOUT_MS}`, 'journal_mode = WAL', 'synchronous = NORMAL', 'wal_autocheckpoint = 0']) db.pragma(pragma);
  db.exec(ddl);
  return db;
}

/** Calls `flush` every `intervalMs` (unref'd); a failure goes to `onError` and the rows stay pending. */
export function flushEvery(flush: () => void, intervalMs: number, onError?: (error: unknown) => void): NodeJS.Timeout {
  const timer = setInterval(() => {
    try {
      flush();
    } catch (error) {
      onError?.(error);
    }
  }, intervalMs);
  timer.unref();
  return timer;
}

/** The policy domains with rows in `table` for days in [start, end), sorted. `table` is one of ours, never input. */
export function domainsWithRows(db: Database.Database, table: 'tlsrpt_sessions' | 'dmarc_records', start: number, end: number): string[] {
  const rows = db.prepare(`SELECT DISTINCT policy_domain AS d FROM ${table} WHERE day >= ? AND day < ? ORDER BY d`).all(start, end) as { d: string }[];
  return rows.map((r) => r.d);
}
