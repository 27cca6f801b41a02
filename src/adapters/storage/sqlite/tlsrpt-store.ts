// The persistent TLS-RPT collector (RFC 8460): session counts per UTC day, policy and failure detail in one
// table of the queue's SQLite file, on a connection of its own so the queue store's schema and group commit
// stay untouched. Outcomes are summed in memory and written in one transaction every FLUSH_INTERVAL_MS (and
// before every read and at close), so a busy gateway adds one small write a few seconds apart, not one per
// session. This connection uses synchronous=NORMAL: counts are statistics, and a crash losing the last few
// seconds of them is better than an fsync per flush on the disk the queue depends on. WAL checkpoints are
// left to the queue store's checkpointer.

import Database from 'better-sqlite3';
import { MAX_FAILURE_DETAILS } from '../../../reports/tlsrpt/collector.js';
import type { TlsRptCollector, TlsRptFailureDetail, TlsRptPolicyRef, TlsRptPolicyResult, TlsSessionOutcome } from '../../../reports/tlsrpt/types.js';
import { domainsWithRows, flushEvery, FLUSH_INTERVAL_MS, MAX_PENDING_ROWS, openCollectorDatabase } from './report-days.js';

const DAY_MS = 86_400_000;
export { BUSY_TIMEOUT_MS, FLUSH_INTERVAL_MS, MAX_PENDING_ROWS } from './report-days.js';

const DDL = `
CREATE TABLE IF NOT EXISTS tlsrpt_sessions (
  day INTEGER NOT NULL,
  policy_domain TEXT NOT NULL,
  policy_json TEXT NOT NULL,
  detail_json TEXT NOT NULL,
  successes INTEGER NOT NULL DEFAULT 0,
  failures INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (day, policy_json, detail_json)
);
CREATE INDEX IF NOT EXISTS tlsrpt_sessions_domain ON tlsrpt_sessions (policy_domain, day);
`;

/** '' for successes (and failures beyond MAX_FAILURE_DETAILS, which count only in the summary). */
const SUMMARY_ONLY = '';

interface PendingRow {
  day: number;
  policyDomain: string;
  policyJson: string;
  detailJson: string;
  successes: number;
  failures: number;
}

export interface SqliteTlsRptCollectorOptions {
  /** The queue database file (DATA_DIR/queue.sqlite). */
  path: string;
  flushIntervalMs?: number;
  /** Told when a timed flush fails (the rows stay pending and are tried again). */
  onError?: (error: unknown) => void;
}

/** Canonical policy JSON: the same policy always gives the same key. */
function policyKey(policy: TlsRptPolicyRef): string {
  return JSON.stringify({
    policyType: policy.policyType,
    ...(policy.policyTypeText !== undefined ? { policyTypeText: policy.policyTypeText } : {}),
    policyString: policy.policyString,
    policyDomain: policy.policyDomain.toLowerCase(),
    mxHost: policy.mxHost,
  });
}

function detailKey(result: Extract<TlsSessionOutcome['result'], { kind: 'failure' }>): string {
  const { kind: _kind, ...fields } = result;
  return JSON.stringify(Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined).sort(([a], [b]) => a.localeCompare(b))));
}

export class SqliteTlsRptCollector implements TlsRptCollector {
  private readonly db: Database.Database;
  private readonly pending = new Map<string, PendingRow>();
  private readonly timer: NodeJS.Timeout;
  private closed = false;

  /** Opens (creating the table if needed) the collector on the queue database at `options.path`. */
  constructor(private readonly options: SqliteTlsRptCollectorOptions) {
    this.db = openCollectorDatabase(options.path, DDL);
    this.timer = flushEvery(() => this.flush(), options.flushIntervalMs ?? FLUSH_INTERVAL_MS, options.onError);
  }

  record(outcome: TlsSessionOutcome): Promise<void> {
    if (this.closed) return Promise.reject(new Error('TLS-RPT collector closed'));
    const day = Math.floor(outcome.at / DAY_MS) * DAY_MS;
    const policyJson = policyKey(outcome.policy);
    const success = outcome.result.kind === 'success';
    const detailJson = outcome.result.kind === 'success' ? SUMMARY_ONLY : detailKey(outcome.result);
    const key = JSON.stringify([day, policyJson, detailJson]);
    const row = this.pending.get(key) ?? { day, policyDomain: outcome.policy.policyDomain.toLowerCase(), policyJson, detailJson, successes: 0, failures: 0 };
    if (success) row.successes++;
    else row.failures++;
    this.pending.set(key, row);
    if (this.pending.size >= MAX_PENDING_ROWS) this.flush();
    return Promise.resolve();
  }

  /** Writes the pending counts in one transaction. Throws (keeping them pending) when the write fails. */
  flush(): void {
    if (this.pending.size === 0) return;
    const rows = [...this.pending.values()];
    const exists = this.db.prepare('SELECT 1 FROM tlsrpt_sessions WHERE day = ? AND policy_json = ? AND detail_json = ?');
    const details = this.db.prepare(`SELECT COUNT(*) AS n FROM tlsrpt_sessions WHERE day = ? AND policy_json = ? AND detail_json <> ''`);
    const upsert = this.db.prepare(
      `INSERT INTO tlsrpt_sessions (day, policy_domain, policy_json, detail_json, successes, failures) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (day, policy_json, detail_json) DO UPDATE SET successes = successes + excluded.successes, failures = failures + excluded.failures`,
    );
    this.db.transaction(() => {
      for (const row of rows) {
        let detail = row.detailJson;
        // RFC 8460 §4.4 lets a report leave out details; the summary still counts every session.
        if (detail !== SUMMARY_ONLY && exists.get(row.day, row.policyJson, detail) === undefined) {
          const { n } = details.get(row.day, row.policyJson) as { n: number };
          if (n >= MAX_FAILURE_DETAILS) detail = SUMMARY_ONLY;
        }
        upsert.run(row.day, row.policyDomain, row.policyJson, detail, row.successes, row.failures);
      }
    }).immediate();
    this.pending.clear();
  }

  domains(start: number, end: number): Promise<string[]> {
    this.flush();
    return Promise.resolve(domainsWithRows(this.db, 'tlsrpt_sessions', start, end));
  }

  collect(policyDomain: string, start: number, end: number): Promise<TlsRptPolicyResult[]> {
    this.flush();
    const rows = this.db
      .prepare('SELECT policy_json, detail_json, SUM(successes) AS s, SUM(failures) AS f FROM tlsrpt_sessions WHERE policy_domain = ? AND day >= ? AND day < ? GROUP BY policy_json, detail_json ORDER BY policy_json, detail_json')
      .all(policyDomain.toLowerCase(), start, end) as { policy_json: string; detail_json: string; s: number; f: number }[];
    const results = new Map<string, TlsRptPolicyResult>();
    for (const row of rows) {
      let result = results.get(row.policy_json);
      if (result === undefined) {
        result = { policy: JSON.parse(row.policy_json) as TlsRptPolicyRef, summary: { totalSuccessfulSessionCount: 0, totalFailureSessionCount: 0 }, failureDetails: [] };
        results.set(row.policy_json, result);
      }
      result.summary.totalSuccessfulSessionCount += row.s;
      result.summary.totalFailureSessionCount += row.f;
      if (row.detail_json !== SUMMARY_ONLY && row.f > 0) {
        result.failureDetails.push({ ...(JSON.parse(row.detail_json) as Omit<TlsRptFailureDetail, 'failedSessionCount'>), failedSessionCount: row.f });
      }
    }
    return Promise.resolve([...results.values()]);
  }

  prune(before: number): Promise<void> {
    this.flush();
    // A day is kept until it has fully passed `before`.
    this.db.prepare('DELETE FROM tlsrpt_sessions WHERE day + ? <= ?').run(DAY_MS, before);
    return Promise.resolve();
  }

  /** Writes what is pending and closes the connection. */
  close(): void {
    if (this.closed) return;
    clearInterval(this.timer);
    try {
      this.flush();
    } finally {
      this.closed = true;
      this.db.close();
    }
  }
}
