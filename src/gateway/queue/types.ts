// The QueueStore port: what the gateway asks of durable storage for queued mail. It is SQL-shaped on purpose
// (rows keyed by message id, per-recipient rows, one claim that moves due rows to `active` under a lease) so
// that the embedded SQLite store and a later PostgreSQL store (FOR UPDATE SKIP LOCKED) implement it the same
// way; test/contracts/queue-store.contract.ts runs the same suite against each. See docs/queue.md.
//
// States are Postfix's queue directories, as a column:
//   incoming  accepted, committed to disk, never tried yet
//   active    claimed by a delivery worker, under a lease (a crashed worker's lease expires; recover() requeues)
//   deferred  tried, some recipients still pending; due again at next_attempt_at
//   hold      set aside by an operator or by policy (a bounce that itself failed); released by hand
//   corrupt   unreadable (body missing or malformed metadata); kept for inspection, never delivered

import type { ClientInfo, DsnEnvelope, DsnRecipient, Envelope } from '../message-sink.js';
import type { TraceEventInput } from '../trace/types.js';

export type QueueState = 'incoming' | 'active' | 'deferred' | 'hold' | 'corrupt';

export const QUEUE_STATES: readonly QueueState[] = ['incoming', 'active', 'deferred', 'hold', 'corrupt'];

/** What a queued message is: ordinary mail, or a delivery status notification we generated (never bounced). */
export type MessageKind = 'mail' | 'dsn';

/**
 * Where a recipient stands. `pending` has not been finally answered (never tried, or only 4xx so far);
 * `delivered` got a 2xx; `failed` got a 5xx or gave up (max age, null MX); both final.
 */
export type RecipientStatus = 'pending' | 'delivered' | 'failed';

/** An SMTP reply (or a synthetic one for DNS and connection failures), as kept per recipient and in DSNs. */
export interface DeliveryReply {
  /** Three-digit reply code; synthetic failures use 4xx/5xx like a server would. */
  code: number;
  /** RFC 3463 enhanced status code, e.g. '5.1.1'. */
  enhanced: string;
  /** Reply text (lines joined with a space). */
  text: string;
  /** Who answered: the remote MTA's host name, or 'dns' / 'local' for synthetic replies. */
  remote?: string;
}

export interface QueuedRecipient {
  /** Position in the envelope (stable key with the message id). */
  index: number;
  address: string;
  dsn?: DsnRecipient;
  status: RecipientStatus;
  /** Number of delivery attempts that reached a verdict for this recipient. */
  attempts: number;
  /** The last reply for this recipient, if any. */
  lastReply?: DeliveryReply;
  /** Epoch ms of the last status change. */
  updatedAt: number;
}

/** A message as stored (metadata only; the body is read separately with readBody). */
export interface QueuedMessage {
  id: string;
  state: QueueState;
  kind: MessageKind;
  direction: 'inbound' | 'outbound';
  envelope: {
    mailFrom: string;
    body: Envelope['body'];
    smtputf8: boolean;
    dsn?: DsnEnvelope;
    /** A TLS-RPT report: delivered despite TLS failures and not counted in TLS-RPT (RFC 8460 §3). */
    tlsReport?: true;
  };
  client: ClientInfo;
  receivedAt: number;
  /** Epoch ms the message entered the queue (for the maximum age). */
  queuedAt: number;
  size: number;
  /** Delivery attempts made (each claim that ended in defer/complete counts one). */
  attempts: number;
  /** Epoch ms at which the message is due (incoming: enqueue time; deferred: next retry). */
  nextAttemptAt: number;
  /** Lease holder and expiry while active. */
  lease?: { owner: string; until: number };
  /** Why it sits in hold/corrupt/deferred, for operators. */
  reason?: string;
  /** A delay notification was already sent (RFC 3464 "delayed": once per message). */
  delayNotified: boolean;
  recipients: QueuedRecipient[];
}

/** The input to QueueStore.enqueue: the listener's message plus our classification. */
export interface NewMessage {
  envelope: Envelope;
  client: ClientInfo;
  receivedAt: number;
  data: Buffer;
  direction: 'inbound' | 'outbound';
  kind?: MessageKind;
  /** Extra trace events (policy decisions) committed with the message. */
  traceEvents?: TraceEventInput[];
  /**
   * A TLS-RPT report sent by mail: RFC 8460 §3 says sending MTAs "MUST deliver reports despite any TLS-related
   * failures" and should not count that session in the next report, so delivery uses opportunistic TLS (the
   * recipient's MTA-STS/DANE policy is not applied) and records nothing for TLS-RPT.
   */
  tlsReport?: boolean;
  /**
   * The queue id, when it was chosen before the message reached the store (the Received field names it).
   * Must have newQueueId's shape and be unused; default: the store makes one.
   */
  id?: string;
  /**
   * Commit the message directly in `hold` with this reason (policy quarantine, e.g. `quarantine: dmarc
   * p=quarantine for example.com`) instead of `incoming`: in the same transaction, so it is never claimable.
   */
  hold?: string;
}

export interface ClaimOptions {
  /** Epoch ms "now": messages with next_attempt_at <= now are due. */
  now: number;
  /** At most this many messages. */
  limit: number;
  /** The claimer's identity (process id, node name). */
  owner: string;
  /** Lease length: after now + leaseMs, recover() may take the message back. */
  leaseMs: number;
}

export interface RecipientUpdate {
  index: number;
  status: RecipientStatus;
  reply?: DeliveryReply;
}

export interface QueueListOptions {
  state?: QueueState;
  limit?: number;
}

/**
 * The durable queue port. Every method resolves after its change is committed to disk; none resolves
 * for a change that is not (a failed commit rejects). Methods that act on a claimed message take the
 * lease owner and fail with QueueLeaseError when the lease was lost (recovered by another worker).
 */
export interface QueueStore {
  /**
   * Stores a message (metadata, recipients, body, first trace events) as `incoming` (or `hold` with
   * `message.hold` as the reason) and resolves with its id only after the transaction holding it is durable. Concurrent calls share one transaction and one
   * fsync (group commit).
   */
  enqueue(message: NewMessage): Promise<{ id: string }>;
  /** Moves up to `limit` due incoming/deferred messages to `active` under a lease and returns them. */
  claim(options: ClaimOptions): Promise<QueuedMessage[]>;
  /** The body exactly as received, or undefined if the message (or its body) is gone. */
  readBody(id: string): Promise<Buffer | undefined>;
  /** Records per-recipient outcomes of an attempt (attempts+1 for each updated recipient). */
  updateRecipients(id: string, owner: string, updates: RecipientUpdate[], now: number): Promise<void>;
  /** active → deferred, due again at `nextAttemptAt`; attempts+1. */
  defer(id: string, owner: string, nextAttemptAt: number, reason: string): Promise<void>;
  /** Marks that the delay DSN for this message was sent. */
  markDelayNotified(id: string, owner: string): Promise<void>;
  /** Delivery finished (every recipient final): deletes the message, its recipients and body. */
  complete(id: string, owner: string): Promise<void>;
  /** Any state but corrupt → hold, with a reason. Returns false when no such message. */
  hold(id: string, reason: string): Promise<boolean>;
  /** hold → deferred, due at `now`. Returns false when the message is not on hold. */
  release(id: string, now: number): Promise<boolean>;
  /**
   * An operator drops a message that is not being delivered (any state but active): the message, its
   * recipients and body are deleted, and the trace keeps a `final` event (status `dropped`, the reason). No
   * DSN is sent. Returns false when there is no such message or it is active (hold it first).
   */
  discard(id: string, reason: string): Promise<boolean>;
  /** → corrupt, with a reason (never delivered again). */
  markCorrupt(id: string, reason: string): Promise<void>;
  /**
   * Start-up recovery: active messages whose lease expired before `now` go back to deferred (if tried
   * before) or incoming, due at `now`. With `allLeases` every active message does, whatever its lease: for
   * a single-node owner that knows no other worker is alive (the gateway holds its data directory's lock).
   * Returns how many moved.
   */
  recover(now: number, options?: { allLeases?: boolean }): Promise<number>;
  get(id: string): Promise<QueuedMessage | undefined>;
  list(options?: QueueListOptions): Promise<QueuedMessage[]>;
  counts(): Promise<Record<QueueState, number>>;
  /** Waits for pending enqueues, then closes. Further calls reject with QueueClosedError. */
  close(): Promise<void>;
}

/** A lease was lost: another worker (or recover()) owns the message now. Code 'queue-lease-lost'. */
export class QueueLeaseError extends Error {
  readonly code = 'queue-lease-lost';
  constructor(id: string, owner: string) {
    super(`queue: message ${id} is not active under lease owner '${owner}'`);
    this.name = 'QueueLeaseError';
  }
}

/** The store was closed. Code 'queue-closed'. */
export class QueueClosedError extends Error {
  readonly code = 'queue-closed';
  constructor() {
    super('queue: the store is closed');
    this.name = 'QueueClosedError';
  }
}
