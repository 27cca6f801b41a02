// The persistent DMARC report collector (RFC 9990): per UTC day and policy domain, one counted row per distinct
// record (source IP, identifiers, disposition, aligned results, authentication results), in one table of the
// queue's SQLite file, on a connection of its own. Like the TLS-RPT collector, rows are summed in memory and
// written in one transaction every FLUSH_INTERVAL_MS (and before every read and at close): the SMTP path only
// adds to a Map, so verifying a message costs no extra write. synchronous=NORMAL for the same reason as there:
// these are statistics, and losing the last seconds of them in a crash is better than an fsync per flush.

import Database from 'better-sqlite3';
import type { DmarcReportRecord } from '../../../reports/dmarc/types.js';
import type { DmarcRecordRow, DmarcRecordStore } from '../../../gateway/reports/dmarc-records.js';
import { domainsWithRows, flushEvery, FLUSH_INTERVAL_MS, MAX_PENDING_ROWS, openCollectorDatabase } from './report-days.js';

const DAY_MS = 86_400_000;

const DDL = `
CREATE TABLE IF NOT EXISTS dmarc_records (
  day INTEGER NOT NULL,
  policy_domain TEXT NOT NULL,
  record_json TEXT NOT NULL,
  count INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (day, policy_domain, record_json)
);
`;

export interface SqliteDmarcRecordStoreOptions {
  /** The queue database file (DATA_DIR/queue.sqlite). */
  path: string;
  flushIntervalMs?: number;
  /** Told when a timed flush fails (the rows stay pending and are tried again). */
  onError?: (error: unknown) => void;
}

interface Pending {
  day: number;
  policyDomain: string;
  recordJson: string;
  count: number;
}

export class SqliteDmarcRecordStore implements DmarcRecordStore {
  private readonly db: Database.Database;
  private readonly pending = new Map<string, Pending>();
  private readonly timer: NodeJS.Timeout;
  private closed = false;

  /** Opens (creating the table if needed) the store on the queue database at `options.path`. */
  constructor(options: SqliteDmarcRecordStoreOptions) {
    this.db = openCollectorDatabase(options.path, DDL);
    this.timer = flushEvery(() => this.flush(), options.flushIntervalMs ?? FLUSH_INTERVAL_MS, options.onError);
  }

  /** Counts one message; a flush is forced when MAX_PENDING_ROWS distinct rows wait (its failure is thrown). */
  record(row: DmarcRecordRow, at: number): void {
    if (this.closed) throw new Error('DMARC record store closed');
    const day = Math.floor(at / DAY_MS) * DAY_MS;
    const recordJson = JSON.stringify(row.record);
    const key = `${day}\n${row.policyDomain}\n${recordJson}`;
    const entry = this.pending.get(key);
    if (entry === undefined) this.pending.set(key, { day, policyDomain: row.policyDomain, recordJson, count: 1 });
    else entry.count++;
    if (this.pending.size >= MAX_PENDING_ROWS) this.flush();
  }

  /** Writes the pending counts in one transaction. Throws (keeping them pending) when the write fails. */
  flush(): void {
    if (this.pending.size === 0) return;
    const rows = [...this.pending.values()];
    const upsert = this.db.prepare(
      `INSERT INTO dmarc_records (day, policy_domain, record_json, count) VALUES (?, ?, ?, ?)
       ON CONFLICT (day, policy_domain, record_json) DO UPDATE SET count = count + excluded.count`,
    );
    this.db.transaction(() => {
      for (const r of rows) upsert.run(r.day, r.policyDomain, r.recordJson, r.count);
    }).immediate();
    this.pending.clear();
  }

  domains(start: number, end: number): Promise<string[]> {
    this.flush();
    return Promise.resolve(domainsWithRows(this.db, 'dmarc_records', start, end));
  }

  collect(policyDomain: string, start: number, end: number): Promise<DmarcReportRecord[]> {
    this.flush();
    const rows = this.db
      .prepare('SELECT record_json, SUM(count) AS n FROM dmarc_records WHERE policy_domain = ? AND day >= ? AND day < ? GROUP BY record_json ORDER BY record_json')
      .all(policyDomain.toLowerCase(), start, end) as { record_json: string; n: number }[];
    return Promise.resolve(rows.map((r) => ({ ...(JSON.parse(r.record_json) as Omit<DmarcReportRecord, 'count'>), count: r.n })));
  }

  /** Deletes the days that ended at or before `before` (pending rows are written first). */
  prune(before: number): Promise<void> {
    this.flush();
    this.db.prepare('DELETE FROM dmarc_records WHERE day <= ?').run(before - DAY_MS);
    return Promise.resolve();
  }

  /** Stops the timer, writes what is pending and closes the connection (once; the connection closes even when the write fails). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    let failure: unknown;
    try {
      this.flush();
    } catch (error) {
      failure = error;
    }
    this.db.close();
    if (failure !== undefined) throw failure;
  }
}
