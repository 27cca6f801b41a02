// The embedded QueueStore and TraceStore: one SQLite file (WAL) holding metadata, bodies and trace. Every
// write goes through the group committer, so concurrent enqueues (and the delivery engine's updates) share
// one transaction and one fdatasync of the WAL, which runs off the event loop (group-commit.ts says why that
// is as durable as synchronous=FULL). Reads run directly on the connection: they see only committed data,
// possibly for the moment before its fdatasync completed (a write is acknowledged only after it). See
// docs/queue.md for why bodies live here rather than in a spool file.

import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import Database from 'better-sqlite3';
import { systemClock, type Clock } from '../../../core/clock.js';
import { isQueueId, newQueueId } from '../../../gateway/queue/ids.js';
import {
  QUEUE_STATES,
  QueueClosedError,
  QueueLeaseError,
  type ClaimOptions,
  type NewMessage,
  type QueuedMessage,
  type QueueListOptions,
  type QueueState,
  type QueueStore,
  type RecipientUpdate,
} from '../../../gateway/queue/types.js';
import type { TraceEventInput, TraceMessage, TraceQuery, TraceStatus, TraceStore } from '../../../gateway/trace/types.js';
import { GroupCommitter, type GroupCommitStats } from './group-commit.js';
import { Checkpointer } from './checkpointer.js';
import { BUSY_TIMEOUT_MS, prepareDatabase } from './schema.js';
import { toMessage, type MessageRow, type RecipientRow, type StoredEnvelope } from './rows.js';
import { TraceSql } from './trace-sql.js';

/** The queue database's file name inside the data directory. */
export const QUEUE_DB_FILE = 'queue.sqlite';

/** Messages a list() returns when the caller gives no limit. */
export const QUEUE_LIST_DEFAULT_LIMIT = 1_000;

export interface SqliteQueueStoreOptions {
  /** Path of the database file (created if missing). */
  path: string;
  clock?: Clock;
  /**
   * 'worker' (default): checkpoints in a worker thread, never on the writers' path. 'auto': SQLite's own
   * automatic checkpoints on the writing connection (simpler; slower p99). 'none': read-only users (CLI).
   */
  checkpoints?: 'worker' | 'auto' | 'none';
  /** Open without writing anything (the trace CLI). Implies checkpoints 'none'. */
  readonly?: boolean;
}

export class SqliteQueueStore implements QueueStore, TraceStore {
  private readonly db: Database.Database;
  private readonly committer: GroupCommitter;
  private readonly checkpointer: Checkpointer | undefined;
  private readonly trace: TraceSql;
  private readonly clock: Clock;
  private closed = false;

  /** Opens (creating if needed) the store at `options.path`. Throws QueueSchemaError for a newer schema. */
  constructor(options: SqliteQueueStoreOptions) {
    this.clock = options.clock ?? systemClock;
    if (options.readonly === true) {
      this.db = new Database(options.path, { readonly: true, fileMustExist: true });
      this.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    } else {
      this.db = new Database(options.path);
      const mode = options.checkpoints ?? 'worker';
      prepareDatabase(this.db, { autoCheckpoint: mode === 'auto' });
      if (mode === 'worker') this.checkpointer = new Checkpointer(options.path, BUSY_TIMEOUT_MS);
    }
    this.committer = new GroupCommitter(this.db, `${options.path}-wal`);
    this.trace = new TraceSql(this.db);
  }

  /** Opens `DIR/queue.sqlite`, creating the directory if needed. */
  static openInDataDir(dataDir: string, options: Omit<SqliteQueueStoreOptions, 'path'> = {}): SqliteQueueStore {
    if (options.readonly !== true) mkdirSync(dataDir, { recursive: true });
    return new SqliteQueueStore({ ...options, path: join(dataDir, QUEUE_DB_FILE) });
  }

  /** Group-commit counters (batches, writes, largest batch). */
  get commitStats(): GroupCommitStats {
    return this.committer.stats;
  }

  enqueue(message: NewMessage): Promise<{ id: string }> {
    return this.write(() => {
      const now = this.clock.now();
      if (message.id !== undefined && !isQueueId(message.id)) throw new TypeError(`enqueue: '${message.id}' is not a queue id (newQueueId)`);
      const id = message.id ?? newQueueId(now);
      const { envelope } = message;
      // A policy hold (quarantine) is committed as `hold` in this same transaction: never claimable in between.
      const held = message.hold !== undefined;
      const stored: StoredEnvelope = { body: envelope.body, smtputf8: envelope.smtputf8 };
      if (envelope.dsn !== undefined) stored.dsn = envelope.dsn;
      if (message.tlsReport === true) stored.tlsReport = true;
      this.stmt(
        `INSERT INTO messages (id, state, kind, direction, mail_from, envelope_json, client_json, received_at, queued_at,
           size, next_attempt_at, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(id, held ? 'hold' : 'incoming', message.kind ?? 'mail', message.direction, envelope.mailFrom, JSON.stringify(stored),
        JSON.stringify(message.client), message.receivedAt, now, message.data.length, now, held ? message.hold : null);
      const insertRecipient = this.stmt(
        `INSERT INTO recipients (message_id, idx, address, dsn_json, status, updated_at) VALUES (?, ?, ?, ?, 'pending', ?)`,
      );
      envelope.recipients.forEach((recipient, index) => {
        insertRecipient.run(id, index, recipient.address, recipient.dsn === undefined ? null : JSON.stringify(recipient.dsn), now);
      });
      this.stmt('INSERT INTO bodies (message_id, data) VALUES (?, ?)').run(id, message.data);
      this.trace.addMessage(id, message);
      const { client } = message;
      this.trace.addEventGroup(id, [
        { kind: 'connection', at: message.receivedAt, data: {
          ip: client.ip, port: client.port, helo: client.helo, listener: client.listener,
          tls: client.tls === undefined ? null : `${client.tls.version} ${client.tls.cipher}`,
          authUser: client.authUser ?? null, connector: client.connector ?? null,
        } },
        { kind: 'envelope', at: message.receivedAt, data: {
          mailFrom: envelope.mailFrom, recipients: envelope.recipients.map((r) => r.address), size: message.data.length,
          body: envelope.body, smtputf8: envelope.smtputf8, kind: message.kind ?? 'mail', direction: message.direction,
        } },
        ...(message.traceEvents ?? []),
        held ? { kind: 'queue', data: { state: 'hold', reason: message.hold } } : { kind: 'queue', data: { state: 'incoming' } },
      ], now);
      if (held) this.trace.setStatus(id, 'held');
      return { id };
    });
  }

  claim(options: ClaimOptions): Promise<QueuedMessage[]> {
    return this.write(() => {
      const due = this.stmt(
        `SELECT id FROM messages WHERE state IN ('incoming', 'deferred') AND next_attempt_at <= ?
         ORDER BY next_attempt_at, id LIMIT ?`,
      ).all(options.now, options.limit) as { id: string }[];
      const take = this.stmt(`UPDATE messages SET state = 'active', lease_owner = ?, lease_until = ? WHERE id = ?`);
      const claimed: QueuedMessage[] = [];
      for (const { id } of due) {
        take.run(options.owner, options.now + options.leaseMs, id);
        this.trace.addEvents(id, [{ kind: 'queue', data: { state: 'active', owner: options.owner } }], options.now);
        const message = this.load(id);
        if (message !== undefined) claimed.push(message);
      }
      return claimed;
    });
  }

  readBody(id: string): Promise<Buffer | undefined> {
    return this.read(() => (this.stmt('SELECT data FROM bodies WHERE message_id = ?').get(id) as { data: Buffer } | undefined)?.data);
  }

  updateRecipients(id: string, owner: string, updates: RecipientUpdate[], now: number): Promise<void> {
    return this.write(() => {
      this.requireLease(id, owner);
      const update = this.stmt(
        `UPDATE recipients SET status = ?, attempts = attempts + 1, reply_json = COALESCE(?, reply_json), updated_at = ?
         WHERE message_id = ? AND idx = ?`,
      );
      const events: TraceEventInput[] = [];
      for (const u of updates) {
        update.run(u.status, u.reply === undefined ? null : JSON.stringify(u.reply), now, id, u.index);
        const address = (this.stmt('SELECT address FROM recipients WHERE message_id = ? AND idx = ?').get(id, u.index) as
          | { address: string }
          | undefined)?.address;
        events.push({ kind: 'status', data: {
          recipient: address ?? `#${u.index}`, status: u.status,
          code: u.reply?.code ?? null, enhanced: u.reply?.enhanced ?? null, reply: u.reply?.text ?? null, remote: u.reply?.remote ?? null,
        } });
      }
      this.trace.addEvents(id, events, now);
    });
  }

  defer(id: string, owner: string, nextAttemptAt: number, reason: string): Promise<void> {
    return this.write(() => {
      this.requireLease(id, owner);
      this.stmt(
        `UPDATE messages SET state = 'deferred', attempts = attempts + 1, next_attempt_at = ?, reason = ?,
           lease_owner = NULL, lease_until = NULL WHERE id = ?`,
      ).run(nextAttemptAt, reason, id);
      this.trace.addEvents(id, [{ kind: 'queue', data: { state: 'deferred', nextAttemptAt, reason } }], this.clock.now());
    });
  }

  markDelayNotified(id: string, owner: string): Promise<void> {
    return this.write(() => {
      this.requireLease(id, owner);
      this.stmt('UPDATE messages SET delay_notified = 1 WHERE id = ?').run(id);
    });
  }

  complete(id: string, owner: string): Promise<void> {
    return this.write(() => {
      this.requireLease(id, owner);
      const counts = this.stmt(
        `SELECT SUM(status = 'delivered') AS delivered, SUM(status <> 'delivered') AS other FROM recipients WHERE message_id = ?`,
      ).get(id) as { delivered: number | null; other: number | null };
      const delivered = counts.delivered ?? 0;
      const other = counts.other ?? 0;
      const status: TraceStatus = other === 0 ? (delivered === 0 ? 'dropped' : 'delivered') : delivered === 0 ? 'bounced' : 'partial';
      this.deleteMessage(id);
      this.trace.addEvents(id, [{ kind: 'final', data: { status, delivered, failed: other } }], this.clock.now());
      this.trace.setStatus(id, status);
    });
  }

  hold(id: string, reason: string): Promise<boolean> {
    return this.write(() => {
      const changed = this.stmt(
        `UPDATE messages SET state = 'hold', reason = ?, lease_owner = NULL, lease_until = NULL WHERE id = ? AND state <> 'corrupt'`,
      ).run(reason, id).changes;
      if (changed === 0) return false;
      this.trace.addEvents(id, [{ kind: 'queue', data: { state: 'hold', reason } }], this.clock.now());
      this.trace.setStatus(id, 'held');
      return true;
    });
  }

  release(id: string, now: number): Promise<boolean> {
    return this.write(() => {
      const changed = this.stmt(
        `UPDATE messages SET state = 'deferred', reason = NULL, next_attempt_at = ? WHERE id = ? AND state = 'hold'`,
      ).run(now, id).changes;
      if (changed === 0) return false;
      this.trace.addEvents(id, [{ kind: 'queue', data: { state: 'deferred', released: true } }], now);
      this.trace.setStatus(id, 'queued');
      return true;
    });
  }

  discard(id: string, reason: string): Promise<boolean> {
    return this.write(() => {
      const row = this.stmt('SELECT state FROM messages WHERE id = ?').get(id) as { state: QueueState } | undefined;
      if (row === undefined || row.state === 'active') return false;
      this.deleteMessage(id);
      this.trace.addEvents(id, [{ kind: 'final', data: { status: 'dropped', reason, from: row.state } }], this.clock.now());
      this.trace.setStatus(id, 'dropped');
      return true;
    });
  }

  markCorrupt(id: string, reason: string): Promise<void> {
    return this.write(() => {
      this.stmt(`UPDATE messages SET state = 'corrupt', reason = ?, lease_owner = NULL, lease_until = NULL WHERE id = ?`).run(reason, id);
      this.trace.addEvents(id, [{ kind: 'queue', data: { state: 'corrupt', reason } }], this.clock.now());
      this.trace.setStatus(id, 'corrupt');
    });
  }

  recover(now: number, options: { allLeases?: boolean } = {}): Promise<number> {
    return this.write(() => {
      const cutoff = options.allLeases === true ? Number.MAX_SAFE_INTEGER : now;
      const expired = this.stmt(`SELECT id, attempts FROM messages WHERE state = 'active' AND lease_until < ?`).all(cutoff) as {
        id: string;
        attempts: number;
      }[];
      const requeue = this.stmt(
        `UPDATE messages SET state = ?, next_attempt_at = ?, lease_owner = NULL, lease_until = NULL WHERE id = ?`,
      );
      for (const { id, attempts } of expired) {
        const state: QueueState = attempts > 0 ? 'deferred' : 'incoming';
        requeue.run(state, now, id);
        this.trace.addEvents(id, [{ kind: 'queue', data: { state, recovered: true } }], now);
      }
      // A message whose body is missing can never be delivered: set it aside instead of retrying forever.
      const bodiless = this.stmt(
        `SELECT id FROM messages m WHERE state <> 'corrupt' AND NOT EXISTS (SELECT 1 FROM bodies b WHERE b.message_id = m.id)`,
      ).all() as { id: string }[];
      for (const { id } of bodiless) {
        this.stmt(`UPDATE messages SET state = 'corrupt', reason = 'body missing' WHERE id = ?`).run(id);
        this.trace.addEvents(id, [{ kind: 'queue', data: { state: 'corrupt', reason: 'body missing' } }], now);
        this.trace.setStatus(id, 'corrupt');
      }
      return expired.length;
    });
  }

  get(id: string): Promise<QueuedMessage | undefined> {
    return this.read(() => this.load(id));
  }

  list(options: QueueListOptions = {}): Promise<QueuedMessage[]> {
    return this.read(() => {
      const limit = options.limit ?? QUEUE_LIST_DEFAULT_LIMIT;
      const rows = (
        options.state === undefined
          ? this.stmt('SELECT id FROM messages ORDER BY queued_at, id LIMIT ?').all(limit)
          : this.stmt('SELECT id FROM messages WHERE state = ? ORDER BY queued_at, id LIMIT ?').all(options.state, limit)
      ) as { id: string }[];
      return rows.map((row) => this.load(row.id)).filter((m): m is QueuedMessage => m !== undefined);
    });
  }

  counts(): Promise<Record<QueueState, number>> {
    return this.read(() => {
      const result = Object.fromEntries(QUEUE_STATES.map((s) => [s, 0])) as Record<QueueState, number>;
      for (const row of this.stmt('SELECT state, COUNT(*) AS n FROM messages GROUP BY state').all() as { state: QueueState; n: number }[]) {
        result[row.state] = row.n;
      }
      return result;
    });
  }

  appendTrace(messageId: string, events: TraceEventInput[]): Promise<void> {
    return this.write(() => this.trace.addEvents(messageId, events, this.clock.now()));
  }

  setTraceStatus(messageId: string, status: TraceStatus): Promise<void> {
    return this.write(() => this.trace.setStatus(messageId, status));
  }

  queryTrace(query: TraceQuery): Promise<TraceMessage[]> {
    return this.read(() => this.trace.query(query));
  }

  pruneTrace(before: number, limit?: number): Promise<number> {
    return this.write(() => this.trace.prune(before, limit));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.committer.idle();
    await this.checkpointer?.stop();
    this.db.close();
    this.committer.close();
  }

  private write<T>(run: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new QueueClosedError());
    return this.committer.submit(run);
  }

  private read<T>(run: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new QueueClosedError());
    try {
      return Promise.resolve(run());
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  private readonly statements = new Map<string, Database.Statement>();

  /** A prepared statement, compiled once per SQL text. */
  private stmt(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private load(id: string): QueuedMessage | undefined {
    const row = this.stmt('SELECT * FROM messages WHERE id = ?').get(id) as MessageRow | undefined;
    if (row === undefined) return undefined;
    const recipients = this.stmt('SELECT * FROM recipients WHERE message_id = ? ORDER BY idx').all(id) as RecipientRow[];
    return toMessage(row, recipients);
  }

  private requireLease(id: string, owner: string): void {
    const row = this.stmt(`SELECT 1 FROM messages WHERE id = ? AND state = 'active' AND lease_owner = ?`).get(id, owner);
    if (row === undefined) throw new QueueLeaseError(id, owner);
  }

  private deleteMessage(id: string): void {
    this.stmt('DELETE FROM recipients WHERE message_id = ?').run(id);
    this.stmt('DELETE FROM bodies WHERE message_id = ?').run(id);
    this.stmt('DELETE FROM messages WHERE id = ?').run(id);
  }
}
