// Delivery status notifications (RFC 3464): a multipart/report with a human part, a message/delivery-status
// part (one per-message block, one block per recipient) and the original message or its headers. Which
// recipients get reported, and whether a DSN may be sent at all (never to the null sender, never about a
// DSN), is decided here too, in `dsnRecipients`, so the rules live in one place (RFC 3461 §4.1, §6.2).

import { randomBytes } from 'node:crypto';
import type { DeliveryReply, QueuedMessage, QueuedRecipient } from '../queue/types.js';

/** Largest original message returned whole in a DSN; bigger ones return headers only (Postfix bounce_size_limit 50 KB). */
export const DSN_MAX_RETURNED_BYTES = 256 * 1024;

export type DsnAction = 'failed' | 'delayed' | 'delivered' | 'relayed';

export interface DsnRecipientReport {
  recipient: QueuedRecipient;
  action: DsnAction;
  reply: DeliveryReply;
}

export interface DsnInput {
  message: QueuedMessage;
  /** The original message, to return whole or as headers. */
  body: Buffer;
  reports: DsnRecipientReport[];
  /** Our host name: Reporting-MTA and the From address's domain. */
  reportingMta: string;
  now: number;
  /** For delayed: until when we keep trying. */
  willRetryUntil?: number;
}

/**
 * The recipients of `message` that `action` may be reported for: none when the message came from the null
 * sender or is itself a DSN (no bounce loops, RFC 3461 §6.2 / RFC 5321 §6.1); otherwise those whose NOTIFY
 * asks for it (absent NOTIFY = FAILURE and DELAY, RFC 3461 §4.1; NEVER = nothing).
 */
export function dsnRecipients<T extends { recipient: QueuedRecipient }>(message: QueuedMessage, action: DsnAction, reports: T[]): T[] {
  if (message.envelope.mailFrom === '' || message.kind === 'dsn') return [];
  const wanted = action === 'failed' ? 'FAILURE' : action === 'delayed' ? 'DELAY' : 'SUCCESS';
  return reports.filter(({ recipient }) => {
    const notify = recipient.dsn?.notify?.map((n) => n.toUpperCase());
    if (notify === undefined) return wanted !== 'SUCCESS';
    if (notify.includes('NEVER')) return false;
    return notify.includes(wanted);
  });
}

/** RFC 5322 date-time for DSN fields, e.g. "Wed, 15 Jan 2025 12:00:00 +0000". */
export function rfc5322Date(ms: number): string {
  return new Date(ms).toUTCString().replace('GMT', '+0000');
}

/** Decodes RFC 3461 xtext ("+2B" → "+"). */
function xtextDecode(value: string): string {
  return value.replace(/\+([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

function headersOf(body: Buffer): Buffer {
  const end = body.indexOf('\r\n\r\n');
  return end < 0 ? body : body.subarray(0, end + 2);
}

function subjectFor(action: DsnAction): string {
  switch (action) {
    case 'failed':
      return 'Undelivered Mail Returned to Sender';
    case 'delayed':
      return 'Delayed Mail (still being retried)';
    default:
      return 'Successful Mail Delivery Report';
  }
}

/** Builds the DSN message (CRLF line ends) for reports that all share one action. */
export function buildDsn(input: DsnInput): Buffer {
  const { message, reports, reportingMta, now } = input;
  const action = reports[0]?.action ?? 'failed';
  const boundary = `${message.id}.${randomBytes(6).toString('hex')}/${reportingMta}`;
  const human = [
    `This is the mail system at host ${reportingMta}.`,
    '',
    action === 'failed'
      ? 'I\'m sorry to have to inform you that your message could not be delivered to one or more recipients.'
      : action === 'delayed'
        ? 'Your message could not be delivered yet to one or more recipients. The mail system will keep trying.'
        : 'Your message was delivered to the recipients listed below.',
    '',
    ...reports.map((r) => `<${r.recipient.address}>: ${r.reply.remote ? `host ${r.reply.remote} said: ` : ''}${r.reply.code} ${r.reply.enhanced} ${r.reply.text}`),
  ];
  const perMessage = [
    `Reporting-MTA: dns; ${reportingMta}`,
    `X-Mailflow-Queue-ID: ${message.id}`,
    ...(message.envelope.dsn?.envid ? [`Original-Envelope-Id: ${xtextDecode(message.envelope.dsn.envid)}`] : []),
    ...(message.envelope.mailFrom ? [`X-Original-Sender: rfc822; ${message.envelope.mailFrom}`] : []),
    `Arrival-Date: ${rfc5322Date(message.receivedAt)}`,
  ];
  const perRecipient = reports.map((r) => {
    const remote = r.reply.remote;
    const fromMta = remote !== undefined && remote !== 'dns' && remote !== 'local';
    const fields = [`Final-Recipient: rfc822; ${r.recipient.address}`];
    const orcpt = r.recipient.dsn?.orcpt;
    if (orcpt) {
      const semi = orcpt.indexOf(';');
      fields.push(`Original-Recipient: ${orcpt.slice(0, semi)}; ${xtextDecode(orcpt.slice(semi + 1))}`);
    }
    fields.push(`Action: ${r.action}`, `Status: ${r.reply.enhanced}`);
    if (fromMta) fields.push(`Remote-MTA: dns; ${remote.replace(/\[.*$/, '')}`, `Diagnostic-Code: smtp; ${r.reply.code} ${r.reply.enhanced} ${r.reply.text}`);
    else fields.push(`Diagnostic-Code: X-Mailflow; ${r.reply.text}`);
    fields.push(`Last-Attempt-Date: ${rfc5322Date(now)}`);
    if (r.action === 'delayed' && input.willRetryUntil !== undefined) fields.push(`Will-Retry-Until: ${rfc5322Date(input.willRetryUntil)}`);
    return fields.join('\r\n');
  });
  const wantsHeaders = message.envelope.dsn?.ret === 'HDRS' || action !== 'failed' || input.body.length > DSN_MAX_RETURNED_BYTES;
  const returned = wantsHeaders ? headersOf(input.body) : input.body;
  const head = [
    `From: MAILER-DAEMON@${reportingMta} (Mail Delivery System)`,
    `To: <${message.envelope.mailFrom}>`,
    `Subject: ${subjectFor(action)}`,
    `Date: ${rfc5322Date(now)}`,
    `Message-ID: <${message.id}.${randomBytes(4).toString('hex')}.dsn@${reportingMta}>`,
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status; boundary="${boundary}"`,
    '',
    'This is a MIME-encapsulated message.',
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    ...human,
    '',
    `--${boundary}`,
    'Content-Type: message/delivery-status',
    '',
    perMessage.join('\r\n'),
    '',
    perRecipient.join('\r\n\r\n'),
    '',
    `--${boundary}`,
    `Content-Type: ${wantsHeaders ? 'text/rfc822-headers' : 'message/rfc822'}`,
    '',
    '',
  ].join('\r\n');
  const tail = `${returned.subarray(-2).toString() === '\r\n' ? '' : '\r\n'}\r\n--${boundary}--\r\n`;
  return Buffer.concat([Buffer.from(head), returned, Buffer.from(tail)]);
}
