// The seam between the SMTP listener and the queue: the listener hands over each accepted message and
// answers 250 only after `enqueue` resolves, which the queue does only once the message is on disk
// (fsync'd, group-committed with its neighbours). The listener never writes the queue itself.

/** RFC 3461 DSN parameters, kept for bounces. */
export interface DsnEnvelope {
  ret?: 'FULL' | 'HDRS';
  envid?: string;
}

export interface DsnRecipient {
  /** NOTIFY=… (SUCCESS, FAILURE, DELAY, NEVER). */
  notify?: string[];
  /** ORCPT=… as given (addr-type;xtext). */
  orcpt?: string;
}

export interface EnvelopeRecipient {
  address: string;
  dsn?: DsnRecipient;
}

export interface Envelope {
  /** MAIL FROM address; '' for the null sender. */
  mailFrom: string;
  recipients: EnvelopeRecipient[];
  body: '7BIT' | '8BITMIME' | 'BINARYMIME';
  smtputf8: boolean;
  dsn?: DsnEnvelope;
}

/** Who handed us the message, for the trace and for policy. */
export interface ClientInfo {
  ip: string;
  port: number;
  helo: string;
  tls?: { version: string; cipher: string };
  /** Submission account that authenticated, if any. */
  authUser?: string;
  /** Relay connector that matched, if any. */
  connector?: string;
  /** Which listener: inbound (MX), submission, or relay. */
  listener: string;
}

export interface IncomingMessage {
  envelope: Envelope;
  client: ClientInfo;
  /** Milliseconds since the epoch when the end of DATA was received. */
  receivedAt: number;
  /** The message exactly as received (CRLF line ends, dot-unstuffed). */
  data: Buffer;
  /** Direction decided by the listener's policy: to our mailboxes, or out to the internet. */
  direction: 'inbound' | 'outbound';
  /** The queue id, once a sink chose it (the Received field names it); the queue then uses it. */
  queueId?: string;
}

export interface MessageSink {
  /** Stores the message durably; resolves with its queue id only after it is committed to disk. */
  enqueue(message: IncomingMessage): Promise<{ id: string }>;
}
