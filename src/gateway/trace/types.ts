// Message trace: every message gets an id and a trail of events from the connection that brought it to its
// final status, stored in the queue's database (so the trail is committed with the queue move it describes)
// and kept after the message leaves the queue. `mailflow trace` reads it. See docs/queue.md#trace.

/**
 * What an event is about. `connection`/`envelope` come with the message at enqueue; `policy` is a decision
 * of a policy stage; `queue` a state move; `attempt` one delivery try to one host; `status` a recipient's
 * verdict; `dsn` a notification we generated (or suppressed); `final` the message's end.
 */
export type TraceEventKind = 'connection' | 'envelope' | 'policy' | 'queue' | 'attempt' | 'status' | 'dsn' | 'final';

export const TRACE_EVENT_KINDS: readonly TraceEventKind[] = [
  'connection',
  'envelope',
  'policy',
  'queue',
  'attempt',
  'status',
  'dsn',
  'final',
];

/** Data of an event: small JSON values (addresses, hosts, replies), never message content. */
export type TraceData = Record<string, string | number | boolean | null | string[] | undefined>;

export interface TraceEventInput {
  kind: TraceEventKind;
  /** Epoch ms; defaults to the time the store records it. */
  at?: number;
  data: TraceData;
}

export interface TraceEvent {
  /** Store-wide increasing sequence number (the order events were recorded). */
  seq: number;
  messageId: string;
  at: number;
  kind: TraceEventKind;
  data: TraceData;
}

/** Where a message ended, or `queued` while it is still in the queue. */
export type TraceStatus = 'queued' | 'delivered' | 'bounced' | 'partial' | 'held' | 'corrupt' | 'dropped';

export interface TraceMessage {
  id: string;
  mailFrom: string;
  recipients: string[];
  direction: 'inbound' | 'outbound';
  receivedAt: number;
  /** Client IP that handed the message to us. */
  clientIp: string;
  status: TraceStatus;
  events: TraceEvent[];
}

/**
 * A trace query: every given field must match. `from`/`to` match an address exactly (case-insensitive) or,
 * when they start with '@', the domain; `since` is epoch ms of receipt; `id` a queue id.
 */
export interface TraceQuery {
  from?: string;
  to?: string;
  since?: number;
  id?: string;
  /** At most this many messages, newest first (default TRACE_QUERY_DEFAULT_LIMIT). */
  limit?: number;
}

/** Messages a query returns when it gives no limit: enough for a screen, small enough to print. */
export const TRACE_QUERY_DEFAULT_LIMIT = 100;

/** The trace port, implemented by the queue's store so events share its transactions. */
export interface TraceStore {
  /** Appends events to a message's trail; resolves once durable. Unknown ids are recorded anyway. */
  appendTrace(messageId: string, events: TraceEventInput[]): Promise<void>;
  /** Sets the message's final status in the trace (the queue row may already be gone). */
  setTraceStatus(messageId: string, status: TraceStatus): Promise<void>;
  /** Messages matching the query with their events in order, newest message first. */
  queryTrace(query: TraceQuery): Promise<TraceMessage[]>;
  /**
   * Deletes trails of finished messages received before `before` (epoch ms), at most `limit` per call (so a
   * large backlog goes in short transactions); returns how many.
   */
  pruneTrace(before: number, limit?: number): Promise<number>;
}
