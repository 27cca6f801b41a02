// The trace tables' SQL: writing a message's summary and events (inside the queue's transactions) and the
// query behind `mailflow trace`.

import type Database from 'better-sqlite3';
import type { NewMessage } from '../../../gateway/queue/types.js';
import {
  TRACE_QUERY_DEFAULT_LIMIT,
  type TraceEventInput,
  type TraceMessage,
  type TraceQuery,
  type TraceStatus,
} from '../../../gateway/trace/types.js';
import { domainOf, toTraceEvents, TRACE_EVENT_GROUP, type GroupedTraceEvent, type TraceEventRow } from './rows.js';

/** Most messages one query returns, whatever the caller asks: keeps a CLI query's memory bounded. */
export const TRACE_QUERY_MAX_LIMIT = 10_000;

interface TraceMessageRow {
  id: string;
  mail_from: string;
  direction: 'inbound' | 'outbound';
  received_at: number;
  client_ip: string;
  status: TraceStatus;
}

export class TraceSql {
  private readonly insertMessage: Database.Statement;
  private readonly insertRecipient: Database.Statement;
  private readonly insertEvent: Database.Statement;
  private readonly updateStatus: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.insertMessage = db.prepare(
      `INSERT OR REPLACE INTO trace_messages (id, mail_from, mail_from_domain, direction, received_at, client_ip, status)
       VALUES (?, ?, ?, ?, ?, ?, 'queued')`,
    );
    this.insertRecipient = db.prepare('INSERT OR IGNORE INTO trace_recipients (message_id, address, domain) VALUES (?, ?, ?)');
    this.insertEvent = db.prepare('INSERT INTO trace_events (message_id, at, kind, data_json) VALUES (?, ?, ?, ?)');
    this.updateStatus = db.prepare('UPDATE trace_messages SET status = ? WHERE id = ?');
  }

  /** Records a new message's summary row and recipients (call inside the enqueue transaction). */
  addMessage(id: string, message: NewMessage): void {
    const from = message.envelope.mailFrom.toLowerCase();
    this.insertMessage.run(id, from, domainOf(from), message.direction, message.receivedAt, message.client.ip);
    for (const recipient of message.envelope.recipients) {
      const address = recipient.address.toLowerCase();
      this.insertRecipient.run(id, address, domainOf(address));
    }
  }

  addEvents(id: string, events: TraceEventInput[], now: number): void {
    for (const event of events) this.insertEvent.run(id, event.at ?? now, event.kind, JSON.stringify(event.data));
  }

  /**
   * Records events as one row (a group, read back as the separate events in order, sharing one seq). For the
   * enqueue-time trail of every message: one row and one index entry instead of three or more per message.
   */
  addEventGroup(id: string, events: TraceEventInput[], now: number): void {
    if (events.length === 1) return this.addEvents(id, events, now);
    const group: GroupedTraceEvent[] = events.map((e) => ({ kind: e.kind, at: e.at ?? now, data: e.data }));
    this.insertEvent.run(id, now, TRACE_EVENT_GROUP, JSON.stringify(group));
  }

  setStatus(id: string, status: TraceStatus): void {
    this.updateStatus.run(status, id);
  }

  query(query: TraceQuery): TraceMessage[] {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (query.id !== undefined) {
      where.push('m.id = ?');
      params.push(query.id);
    }
    if (query.from !== undefined) {
      const from = query.from.toLowerCase();
      if (from.startsWith('@')) {
        where.push('m.mail_from_domain = ?');
        params.push(from.slice(1));
      } else {
        where.push('m.mail_from = ?');
        params.push(from);
      }
    }
    if (query.to !== undefined) {
      const to = query.to.toLowerCase();
      const column = to.startsWith('@') ? 'domain' : 'address';
      where.push(`EXISTS (SELECT 1 FROM trace_recipients r WHERE r.message_id = m.id AND r.${column} = ?)`);
      params.push(to.startsWith('@') ? to.slice(1) : to);
    }
    if (query.since !== undefined) {
      where.push('m.received_at >= ?');
      params.push(query.since);
    }
    const limit = Math.min(Math.max(1, query.limit ?? TRACE_QUERY_DEFAULT_LIMIT), TRACE_QUERY_MAX_LIMIT);
    const sql = `SELECT m.* FROM trace_messages m ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
                 ORDER BY m.received_at DESC, m.id DESC LIMIT ${limit}`;
    const rows = this.db.prepare(sql).all(...params) as TraceMessageRow[];
    const recipients = this.db.prepare('SELECT address FROM trace_recipients WHERE message_id = ? ORDER BY rowid');
    const events = this.db.prepare('SELECT * FROM trace_events WHERE message_id = ? ORDER BY seq');
    return rows.map((row) => ({
      id: row.id,
      mailFrom: row.mail_from,
      recipients: (recipients.all(row.id) as { address: string }[]).map((r) => r.address),
      direction: row.direction,
      receivedAt: row.received_at,
      clientIp: row.client_ip,
      status: row.status,
      events: (events.all(row.id) as TraceEventRow[]).flatMap(toTraceEvents),
    }));
  }

  /** Deletes trails of messages received before `before` that are no longer queued, at most `limit` of them. */
  prune(before: number, limit = Number.MAX_SAFE_INTEGER): number {
    const ids = (
      this.db.prepare(`SELECT id FROM trace_messages WHERE received_at < ? AND status <> 'queued' LIMIT ?`).all(before, limit) as { id: string }[]
    ).map((row) => row.id);
    const deletes = ['trace_events', 'trace_recipients'].map((table) => this.db.prepare(`DELETE FROM ${table} WHERE message_id = ?`));
    const deleteMessage = this.db.prepare('DELETE FROM trace_messages WHERE id = ?');
    for (const id of ids) {
      for (const statement of deletes) statement.run(id);
      deleteMessage.run(id);
    }
    return ids.length;
  }
}
