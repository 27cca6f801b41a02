// What the report collectors (TLS-RPT sessions, DMARC records) share: rows kept per UTC day and policy domain.

import type Database from 'better-sqlite3';

/** The policy domains with rows in `table` for days in [start, end), sorted. `table` is one of ours, never input. */
export function domainsWithRows(db: Database.Database, table: 'tlsrpt_sessions' | 'dmarc_records', start: number, end: number): string[] {
  const rows = db.prepare(`SELECT DISTINCT policy_domain AS d FROM ${table} WHERE day >= ? AND day < ? ORDER BY d`).all(start, end) as { d: string }[];
  return rows.map((r) => r.d);
}
