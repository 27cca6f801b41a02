// Delivering one message's pending recipients over SMTP (outbound MX, smart host) or LMTP/SMTP (the
// mailbox server): recipients grouped by domain, each group routed, tried host by host until one session
// runs the transaction, with a verdict per recipient: 2xx delivered, 5xx failed, anything else pending.
// Failures keep their scope: a DNS or connection failure answers for the whole group, a MAIL reply for the
// transaction, a RCPT or end-of-data reply for one recipient. Each host gets a TLS policy decision first: a
// blocked host is skipped, and sessions are opened under the decision (session.ts), never in plaintext where
// it forbids that.

import type { DeliveryReply, QueuedMessage, QueuedRecipient } from '../queue/types.js';
import type { TraceEventInput } from '../trace/types.js';
import type { Clock } from '../../core/clock.js';
import type { TlsPolicyDecision } from '../../transport/tls-policy/types.js';
import type { ConnectionPool } from './pool.js';
import type { Route } from './routes.js';
import { openSession, recordBlocked, type SessionContext } from './session.js';
import { downgradeTo7bit } from './mime-downgrade.js';
import type { SmtpClient, SmtpReply } from './smtp-client.js';
import type { DeliveryTlsOptions, TlsDecider } from './tls-policy.js';

/** Recipients per transaction (Postfix smtp_destination_recipient_limit = 50; RFC 5321 §4.5.3.1.8 requires 100). */
export const MAX_RCPT_PER_TRANSACTION = 50;

export interface RecipientResult {
  index: number;
  status: 'delivered' | 'failed' | 'pending';
  reply: DeliveryReply;
}

export interface SmtpDeliveryOptions {
  /** Route for a recipient domain (MX lookup, smart host, or the fixed mailbox server). */
  routeFor: (domain: string) => Promise<Route>;
  /** Destination key for the concurrency limit (default: the domain). */
  destinationFor?: (domain: string) => string;
  port: number;
  lmtp?: boolean;
  heloName: string;
  /** The TLS policy decision per (domain, host); every session applies it through connectSmtpTls. */
  decide: TlsDecider;
  /** Trust anchors, TLS-RPT collector. */
  tls?: DeliveryTlsOptions;
  pool: ConnectionPool;
  clock: Clock;
  connectTimeoutMs?: number;
  commandTimeoutMs?: number;
  onError?: (error: unknown) => void;
}

export interface DeliveryOutcome {
  results: RecipientResult[];
  events: TraceEventInput[];
}

function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  return at < 0 ? '' : address.slice(at + 1).toLowerCase();
}

function toReply(reply: SmtpReply, remote: string): DeliveryReply {
  const enhanced = reply.enhanced || `${String(reply.code)[0] ?? '4'}.0.0`;
  return { code: reply.code, enhanced, text: reply.text, remote };
}

function verdict(code: number): RecipientResult['status'] {
  if (code >= 200 && code < 300) return 'delivered';
  if (code >= 500 && code < 600) return 'failed';
  return 'pending';
}

/** Delivers `recipients` of `message`; never throws for network or protocol trouble (those are verdicts). */
export async function deliverSmtp(
  message: QueuedMessage,
  body: Buffer,
  recipients: QueuedRecipient[],
  options: SmtpDeliveryOptions,
): Promise<DeliveryOutcome> {
  // One group per destination: a domain, or everything for a smart host / mailbox server (one transaction).
  const groups = new Map<string, { domain: string; recipients: QueuedRecipient[] }>();
  for (const r of recipients) {
    const domain = domainOf(r.address);
    const destination = options.destinationFor?.(domain) ?? domain;
    const group = groups.get(destination) ?? { domain, recipients: [] };
    group.recipients.push(r);
    groups.set(destination, group);
  }
  const outcome: DeliveryOutcome = { results: [], events: [] };
  await Promise.all(
    [...groups].map(([destination, group]) =>
      options.pool.withDestination(destination, () => deliverGroup(message, body, group.domain, group.recipients, options, outcome)),
    ),
  );
  return outcome;
}

async function deliverGroup(
  message: QueuedMessage,
  body: Buffer,
  domain: string,
  group: QueuedRecipient[],
  options: SmtpDeliveryOptions,
  outcome: DeliveryOutcome,
): Promise<void> {
  const all = (status: RecipientResult['status'], reply: DeliveryReply): void => {
    for (const r of group) outcome.results.push({ index: r.index, status, reply });
  };
  const route = await options.routeFor(domain);
  if (route.kind === 'fail') {
    outcome.events.push({ kind: 'attempt', data: { domain, error: `${route.reply.code} ${route.reply.enhanced} ${route.reply.text}` } });
    all(route.permanent ? 'failed' : 'pending', route.reply);
    return;
  }
  let last: DeliveryReply = { code: 451, enhanced: '4.4.1', text: `no MX host of ${domain} answered`, remote: 'local' };
  // A TLS failure (or a policy block) says more about why mail is waiting than a later refused connection.
  let lastIsTls = false;
  const note = (reply: DeliveryReply, tls: boolean): void => {
    if (tls || !lastIsTls) {
      last = reply;
      lastIsTls = tls;
    }
  };
  const ctx: SessionContext = {
    port: options.port, lmtp: options.lmtp ?? false, heloName: options.heloName, pool: options.pool, clock: options.clock, tls: options.tls ?? {},
    ...(options.connectTimeoutMs ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
    ...(options.commandTimeoutMs ? { commandTimeoutMs: options.commandTimeoutMs } : {}),
    ...(options.onError ? { onError: options.onError } : {}),
  };
  for (const host of route.hosts) {
    let decision: TlsPolicyDecision;
    try {
      decision = await options.decide(domain, host.name, { mxSecure: route.mxSecure });
    } catch (error) {
      // A policy lookup that throws (a broken cache) never means "connect anyway": this host waits (4xx).
      const text = `TLS policy for ${host.name} could not be decided: ${(error as Error).message}`;
      outcome.events.push({ kind: 'attempt', data: { domain, mx: host.name, error: text } });
      note({ code: 451, enhanced: '4.4.3', text, remote: host.name }, true);
      continue;
    }
    if (decision.blocked) {
      // RFC 8461 §4.2 (MX outside an enforce policy), RFC 7672 §2.1.1 (failed TLSA lookup on a secure path).
      await recordBlocked(decision, ctx);
      const text = `${host.name} not used: ${decision.mechanism} policy: ${decision.blocked.resultType}: ${decision.blocked.detail}`;
      outcome.events.push({ kind: 'attempt', data: { domain, mx: host.name, mechanism: decision.mechanism, blocked: decision.blocked.resultType, error: text } });
      note({ code: 451, enhanced: '4.7.5', text, remote: host.name }, true);
      continue;
    }
    for (const address of host.addresses) {
      const session = await openSession(host.name, address, decision, ctx, outcome.events, domain);
      if (!session.ok) {
        note(session.reply, session.tlsFailure !== undefined);
        continue;
      }
      const { client, key } = session;
      const tlsTrace = session.trace;
      const remote = `${host.name}[${address}]`;
      const prepared = preflight(message, body, client, remote);
      const refusal = 'refusal' in prepared ? prepared.refusal : undefined;
      if (refusal !== undefined) {
        options.pool.put(key, client);
        all('failed', refusal);
        outcome.events.push({ kind: 'attempt', data: { domain, mx: host.name, ip: address, ...tlsTrace, error: refusal.text } });
        return;
      }
      for (let start = 0; start < group.length; start += MAX_RCPT_PER_TRANSACTION) {
        const chunk = group.slice(start, start + MAX_RCPT_PER_TRANSACTION);
        try {
          const result = await client.send({
            mailFrom: message.envelope.mailFrom,
            recipients: chunk.map((r) => ({ address: r.address, ...(r.dsn ? { dsn: r.dsn } : {}) })),
            data: 'data' in prepared ? prepared.data : body,
            smtputf8: message.envelope.smtputf8,
            body: 'data' in prepared ? prepared.bodyType : message.envelope.body,
            ...(message.envelope.dsn ? { dsn: message.envelope.dsn } : {}),
          });
          chunk.forEach((r, i) => {
            const reply = toReply(result.recipients[i] as SmtpReply, remote);
            outcome.results.push({ index: r.index, status: verdict(reply.code), reply });
          });
          outcome.events.push({ kind: 'attempt', data: {
            domain, mx: host.name, ip: address, port: options.port, ...tlsTrace, reused: session.reused, ...('data' in prepared && prepared.data !== body ? { converted: '8bit-to-7bit' } : {}), mail: `${result.mail.code} ${result.mail.text}`,
            recipients: chunk.map((r, i) => `${r.address}: ${result.recipients[i]?.code} ${result.recipients[i]?.enhanced} ${result.recipients[i]?.text}`),
          } });
        } catch (error) {
          // The connection broke mid-transaction: whether the server took the message is unknown, so the
          // recipients stay pending (a retry may duplicate; losing mail would be worse).
          const reply: DeliveryReply = { code: 451, enhanced: '4.4.2', text: `connection lost: ${(error as Error).message}`, remote };
          for (const r of group.slice(start)) outcome.results.push({ index: r.index, status: 'pending', reply });
          outcome.events.push({ kind: 'attempt', data: { domain, mx: host.name, ip: address, ...tlsTrace, error: reply.text } });
          client.destroy();
          return;
        }
      }
      options.pool.put(key, client);
      return;
    }
  }
  all('pending', last);
}

/**
 * Checks the session can carry this message at all (SMTPUTF8, SIZE, 8BITMIME) and gives the bytes to send: a
 * message with 8-bit content goes to a server without 8BITMIME converted to 7-bit MIME (RFC 6152 §3), or
 * not at all. A refusal fails every recipient.
 */
function preflight(message: QueuedMessage, body: Buffer, client: SmtpClient, remote: string): { refusal: DeliveryReply } | { data: Buffer; bodyType: QueuedMessage['envelope']['body'] } {
  if (message.envelope.smtputf8 && !client.extensions.has('SMTPUTF8')) {
    // RFC 6531 §3.2: a message needing SMTPUTF8 must not be sent to a server without it.
    return { refusal: { code: 553, enhanced: '5.6.7', text: `${remote} does not support SMTPUTF8`, remote } };
  }
  let data = body;
  let bodyType = message.envelope.body;
  if (bodyType !== '7BIT' && !client.extensions.has('8BITMIME')) {
    const converted = downgradeTo7bit(body);
    if (!converted.ok) {
      return { refusal: { code: 554, enhanced: '5.6.3', text: `${remote} does not support 8BITMIME and the message cannot be converted to 7 bits: ${converted.reason}`, remote } };
    }
    data = converted.data;
    bodyType = '7BIT';
  }
  const limit = Number(client.extensions.get('SIZE') ?? '0');
  if (limit > 0 && data.length > limit) {
    return { refusal: { code: 552, enhanced: '5.3.4', text: `message size ${data.length} exceeds ${remote}'s limit ${limit}`, remote } };
  }
  return { data, bodyType };
}
