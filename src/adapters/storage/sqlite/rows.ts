// Row shapes of the queue tables and their mapping to the port's values, in one place so the SQL in
// queue-store.ts and trace-sql.ts stays about queries.

import type { ClientInfo, DsnEnvelope, DsnRecipient, Envelope } from '../../../gateway/message-sink.js';
import type {
  DeliveryReply,
  MessageKind,
  QueuedMessage,
  QueuedRecipient,
  QueueState,
  RecipientStatus,
} from '../../../gateway/queue/types.js';
import type { TraceData, TraceEvent, TraceEventKind } from '../../../gateway/trace/types.js';

export interface MessageRow {
  id: string;
  state: QueueState;
  kind: MessageKind;
  direction: 'inbound' | 'outbound';
  mail_from: string;
  envelope_json: string;
  client_json: string;
  received_at: number;
  queued_at: number;
  size: number;
  attempts: number;
  next_attempt_at: number;
  lease_owner: string | null;
  lease_until: number | null;
  reason: string | null;
  delay_notified: number;
}

export interface RecipientRow {
  message_id: string;
  idx: number;
  address: string;
  dsn_json: string | null;
  status: RecipientStatus;
  attempts: number;
  reply_json: string | null;
  updated_at: number;
}

export interface TraceEventRow {
  seq: number;
  message_id: string;
  at: number;
  kind: TraceEventKind | typeof TRACE_EVENT_GROUP;
  data_json: string;
}

/** The envelope fields kept as JSON (recipients have their own rows). */
export interface StoredEnvelope {
  body: Envelope['body'];
  smtputf8: boolean;
  dsn?: DsnEnvelope;
  tlsReport?: true;
}

export function toRecipient(row: RecipientRow): QueuedRecipient {
  const recipient: QueuedRecipient = {
    index: row.idx,
    address: row.address,
    status: row.status,
    attempts: row.attempts,
    updatedAt: row.updated_at,
  };
  if (row.dsn_json !== null) recipient.dsn = JSON.parse(row.dsn_json) as DsnRecipient;
  if (row.reply_json !== null) recipient.lastReply = JSON.parse(row.reply_json) as DeliveryReply;
  return recipient;
}

export function toMessage(row: MessageRow, recipients: RecipientRow[]): QueuedMessage {
  const stored = JSON.parse(row.envelope_json) as StoredEnvelope;
  const message: QueuedMessage = {
    id: row.id,
    state: row.state,
    kind: row.kind,
    direction: row.direction,
    envelope: { mailFrom: row.mail_from, body: stored.body, smtputf8: stored.smtputf8 },
    client: JSON.parse(row.client_json) as ClientInfo,
    receivedAt: row.received_at,
    queuedAt: row.queued_at,
    size: row.size,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    delayNotified: row.delay_notified !== 0,
    recipients: recipients.map(toRecipient),
  };
  if (stored.dsn !== undefined) message.envelope.dsn = stored.dsn;
  if (stored.tlsReport === true) message.envelope.tlsReport = true;
  if (row.lease_owner !== null && row.lease_until !== null) message.lease = { owner: row.lease_owner, until: row.lease_until };
  if (row.reason !== null) message.reason = row.reason;
  return message;
}

/**
 * The `kind` of a trace_events row that holds several events recorded together (a message's enqueue-time
 * trail: connection, envelope, policy decisions, queue): `data_json` is an array of {kind, at, data}.
 * Never a TraceEventKind; only this file and trace-sql.ts know it.
 */
export const TRACE_EVENT_GROUP = 'group';

/** One event recorded in a group row. */
export interface GroupedTraceEvent {
  kind: TraceEventKind;
  at: number;
  data: TraceData;
}

/** The events a trace_events row holds: one, or each of a group row's, in order, sharing the row's seq. */
export function toTraceEvents(row: TraceEventRow): TraceEvent[] {
  if (row.kind === TRACE_EVENT_GROUP) {
    return (JSON.parse(row.data_json) as GroupedTraceEvent[]).map((e) => ({ seq: row.seq, messageId: row.message_id, at: e.at, kind: e.kind, data: e.data }));
  }
  return [{ seq: row.seq, messageId: row.message_id, at: row.at, kind: row.kind, data: JSON.parse(row.data_json) as TraceData }];
}

/** The domain of an address, lower-case ('' for the null sender or an address without '@'). */
export function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  return at < 0 ? '' : address.slice(at + 1).toLowerCase();
}
