// The queue database: tables, indexes and the pragmas that make commits durable. Plain SQL that a
// PostgreSQL schema can mirror (TEXT/INTEGER/BLOB → text/bigint/bytea). Bodies sit in their own table so that
// claims and listings never read them.
//
// Durability: journal_mode=WAL. The writing connection runs synchronous=NORMAL, so a COMMIT writes the WAL
// without waiting for the disk, and the group committer (group-commit.ts) fdatasyncs the WAL off the event
// loop before anyone is told the commit happened: together as durable as synchronous=FULL, without blocking
// SMTP sessions on the fsync. Checkpoints (copying the WAL into the main file) sync the WAL first and the
// main file before the WAL is reused. Automatic checkpoints are turned off on the writing connection and
// done by a separate connection in a worker thread (checkpointer.ts) so that writers never wait for them.

import type Database from 'better-sqlite3';

/**
 * 2: a trace_events row may hold a group of events (kind 'group', see rows.ts); a version-1 database is
 * read as it is and upgraded in place (no table changes), and a mailflow that knows only 1 refuses a 2.
 */
export const SCHEMA_VERSION = 2;

/** How long a connection waits for another process's write lock before failing (CLI or a second node). */
export const BUSY_TIMEOUT_MS = 5_000;

/** After a checkpoint resets the WAL, truncate it to this size so one burst does not keep the disk. */
export const WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

const DDL = `
CREATE TABLE IF NOT EXISTS messages (
  id TEXT PRIMARY KEY,
  state TEXT NOT NULL CHECK (state IN ('incoming','active','deferred','hold','corrupt')),
  kind TEXT NOT NULL CHECK (kind IN ('mail','dsn')),
  direction TEXT NOT NULL CHECK (direction IN ('inbound','outbound')),
  mail_from TEXT NOT NULL,
  envelope_json TEXT NOT NULL,
  client_json TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  queued_at INTEGER NOT NULL,
  size INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  lease_owner TEXT,
  lease_until INTEGER,
  reason TEXT,
  delay_notified INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS messages_due ON messages (state, next_attempt_at);
CREATE TABLE IF NOT EXISTS recipients (
  message_id TEXT NOT NULL,
  idx INTEGER NOT NULL,
  address TEXT NOT NULL,
  dsn_json TEXT,
  status TEXT NOT NULL CHECK (status IN ('pending','delivered','failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  reply_json TEXT,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (message_id, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS bodies (
  message_id TEXT PRIMARY KEY,
  data BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS trace_messages (
  id TEXT PRIMARY KEY,
  mail_from TEXT NOT NULL,
  mail_from_domain TEXT NOT NULL,
  direction TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  client_ip TEXT NOT NULL,
  status TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS trace_messages_received ON trace_messages (received_at);
CREATE INDEX IF NOT EXISTS trace_messages_from ON trace_messages (mail_from);
CREATE INDEX IF NOT EXISTS trace_messages_from_domain ON trace_messages (mail_from_domain);
CREATE TABLE IF NOT EXISTS trace_recipients (
  message_id TEXT NOT NULL,
  address TEXT NOT NULL,
  domain TEXT NOT NULL,
  UNIQUE (message_id, address)
);
CREATE INDEX IF NOT EXISTS trace_recipients_address ON trace_recipients (address);
CREATE INDEX IF NOT EXISTS trace_recipients_domain ON trace_recipients (domain);
CREATE TABLE IF NOT EXISTS trace_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  message_id TEXT NOT NULL,
  at INTEGER NOT NULL,
  kind TEXT NOT NULL,
  data_json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS trace_events_message ON trace_events (message_id, seq);
`;

/** The database's schema is newer than this code. Code 'queue-schema-newer'. */
export class QueueSchemaError extends Error {
  readonly code = 'queue-schema-newer';
  constructor(found: number) {
    super(`queue database has schema version ${found}; this mailflow knows up to ${SCHEMA_VERSION}`);
    this.name = 'QueueSchemaError';
  }
}

/**
 * Sets the durability pragmas and creates the schema if missing. `autoCheckpoint: false` leaves
 * checkpoints to the checkpointer worker. Throws QueueSchemaError for a database from a newer mailflow.
 */
export function prepareDatabase(db: Database.Database, options: { autoCheckpoint: boolean }): void {
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.pragma('journal_mode = WAL');
  // NORMAL only because the group committer fdatasyncs the WAL before acknowledging (see group-commit.ts).
  db.pragma('synchronous = NORMAL');
  db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
  db.pragma('foreign_keys = OFF');
  if (!options.autoCheckpoint) db.pragma('wal_autocheckpoint = 0');
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) throw new QueueSchemaError(version);
  if (version < SCHEMA_VERSION) {
    db.transaction(() => {
      db.exec(DDL);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    }).immediate();
  }
}
