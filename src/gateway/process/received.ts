// The Received: trace field the gateway prepends to each message it queues (RFC 5321 §4.4): who handed it
// to us (HELO name and IP), our name, the protocol as RFC 3848 / RFC 6531 name it (ESMTP, ESMTPS, ESMTPA,
// ESMTPSA, UTF8SMTPSA, …) with TLS and authentication details as comments, the recipient when there is one,
// and the date. The listener hands messages over exactly as received; this is the one place that adds it.

import type { IncomingMessage, MessageSink } from '../message-sink.js';
import { newQueueId } from '../queue/ids.js';

/** RFC 3848 §1/§2 and RFC 6531 §3.7.4: ESMTP plus S for TLS and A for authentication, UTF8SMTP for SMTPUTF8. */
export function withProtocol(message: IncomingMessage): string {
  const base = message.envelope.smtputf8 ? 'UTF8SMTP' : 'ESMTP';
  return `${base}${message.client.tls ? 'S' : ''}${message.client.authUser ? 'A' : ''}`;
}

/** RFC 5322 §3.3 date-time in UTC: `Tue, 01 Jul 2025 10:00:00 +0000`. */
export function rfc5322Date(ms: number): string {
  const d = new Date(ms);
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()] as string;
  const month = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getUTCMonth()] as string;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${day}, ${pad(d.getUTCDate())} ${month} ${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

/** Characters a client controls go into comments and must not break the field (CR, LF, parentheses, backslash). */
function clean(text: string): string {
  return text.replace(/[\r\n()\\]/g, '').slice(0, 255);
}

/**
 * The field with its CRLF, folded on the clause boundaries (RFC 5322 §2.2.3). `id` is our queue id (RFC 5321
 * §4.4 "id" clause), so the delivered message can be matched with the trace and the logs.
 */
export function receivedHeader(message: IncomingMessage, byHost: string, id?: string): string {
  const { client } = message;
  const ipLiteral = client.ip.includes(':') ? `IPv6:${client.ip.replace(/^::ffff:(?=\d+\.)/, '')}` : client.ip;
  const from = `from ${clean(client.helo) || 'unknown'} ([${ipLiteral}])`;
  const tls = client.tls ? ` (using ${clean(client.tls.version)} with cipher ${clean(client.tls.cipher)})` : '';
  const auth = client.authUser ? ` (authenticated as ${clean(client.authUser)})` : '';
  const via = client.connector ? ` (connector ${clean(client.connector)})` : '';
  const single = message.envelope.recipients.length === 1 ? `\r\n\tfor <${message.envelope.recipients[0]?.address ?? ''}>` : '';
  const idClause = id === undefined ? '' : ` id ${id}`;
  return `Received: ${from}${tls}${auth}${via}\r\n\tby ${byHost} (mailflow) with ${withProtocol(message)}${idClause}${single};\r\n\t${rfc5322Date(message.receivedAt)}\r\n`;
}

/**
 * A MessageSink that chooses the queue id, prepends our Received field naming it, then hands the message
 * (with `queueId`) to `next` (the queue).
 */
export class ReceivedHeaderSink implements MessageSink {
  constructor(
    private readonly next: MessageSink,
    private readonly byHost: string,
  ) {}

  enqueue(message: IncomingMessage): Promise<{ id: string }> {
    const queueId = message.queueId ?? newQueueId(message.receivedAt);
    const field = Buffer.from(receivedHeader(message, this.byHost, queueId));
    return this.next.enqueue({ ...message, queueId, data: Buffer.concat([field, message.data]) });
  }
}
