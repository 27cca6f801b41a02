// Delivering one message's pending recipients over SMTP (outbound MX, smart host) or LMTP/SMTP (the
// mailbox server): recipients grouped by domain, each group routed, tried host by host until one session
// runs the transaction, with a verdict per recipient: 2xx delivered, 5xx failed, anything else pending.
// Failures keep their scope: a DNS or connection failure answers for the whole group, a MAIL reply for the
// transaction, a RCPT or end-of-data reply for one recipient.

import type { DeliveryReply, QueuedMessage, QueuedRecipient } from '../queue/types.js';
import type { TraceEventInput } from '../trace/types.js';
import type { ConnectionPool } from './pool.js';
import type { Route } from './routes.js';
import { SmtpClient, type SmtpReply } from './smtp-client.js';
import type { TlsPolicy, TlsPolicyFor } from './tls-policy.js';

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
  tlsPolicyFor: TlsPolicyFor;
  pool: ConnectionPool;
  connectTimeoutMs?: number;
  commandTimeoutMs?: number;
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
  for (const host of route.hosts) {
    const policy = await options.tlsPolicyFor(domain, host.name);
    for (const address of host.addresses) {
      const session = await openSession(host.name, address, policy, options, outcome.events, domain);
      if ('reply' in session) {
        last = session.reply;
        continue;
      }
      const { client, key, tlsText } = session;
      const remote = `${host.name}[${address}]`;
      const refusal = preflight(message, body, client, remote);
      if (refusal !== undefined) {
        options.pool.put(key, client);
        all('failed', refusal);
        outcome.events.push({ kind: 'attempt', data: { domain, mx: host.name, ip: address, tls: tlsText, error: refusal.text } });
        return;
      }
      for (let start = 0; start < group.length; start += MAX_RCPT_PER_TRANSACTION) {
        const chunk = group.slice(start, start + MAX_RCPT_PER_TRANSACTION);
        try {
          const result = await client.send({
            mailFrom: message.envelope.mailFrom,
            recipients: chunk.map((r) => ({ address: r.address, ...(r.dsn ? { dsn: r.dsn } : {}) })),
            data: body,
            smtputf8: message.envelope.smtputf8,
            body: message.envelope.body,
            ...(message.envelope.dsn ? { dsn: message.envelope.dsn } : {}),
          });
          chunk.forEach((r, i) => {
            const reply = toReply(result.recipients[i] as SmtpReply, remote);
            outcome.results.push({ index: r.index, status: verdict(reply.code), reply });
          });
          outcome.events.push({ kind: 'attempt', data: {
            domain, mx: host.name, ip: address, port: options.port, tls: tlsText, tlsPolicy: policy.source,
            reused: session.reused, mail: `${result.mail.code} ${result.mail.text}`,
            recipients: chunk.map((r, i) => `${r.address}: ${result.recipients[i]?.code} ${result.recipients[i]?.enhanced} ${result.recipients[i]?.text}`),
          } });
        } catch (error) {
          // The connection broke mid-transaction: whether the server took the message is unknown, so the
          // recipients stay pending (a retry may duplicate; losing mail would be worse).
          const reply: DeliveryReply = { code: 451, enhanced: '4.4.2', text: `connection lost: ${(error as Error).message}`, remote };
          for (const r of group.slice(start)) outcome.results.push({ index: r.index, status: 'pending', reply });
          outcome.events.push({ kind: 'attempt', data: { domain, mx: host.name, ip: address, tls: tlsText, error: reply.text } });
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

/** Checks the session can carry this message at all (SMTPUTF8, SIZE); a refusal fails every recipient. */
function preflight(message: QueuedMessage, body: Buffer, client: SmtpClient, remote: string): DeliveryReply | undefined {
  if (message.envelope.smtputf8 && !client.extensions.has('SMTPUTF8')) {
    // RFC 6531 §3.2: a message needing SMTPUTF8 must not be sent to a server without it.
    return { code: 553, enhanced: '5.6.7', text: `${remote} does not support SMTPUTF8`, remote };
  }
  const limit = Number(client.extensions.get('SIZE') ?? '0');
  if (limit > 0 && body.length > limit) {
    return { code: 552, enhanced: '5.3.4', text: `message size ${body.length} exceeds ${remote}'s limit ${limit}`, remote };
  }
  return undefined;
}

type Session = { client: SmtpClient; key: string; tlsText: string; reused: boolean } | { reply: DeliveryReply };

/** A reusable connection to `address`, or a new one with STARTTLS per policy; a reply when none could be had. */
async function openSession(
  hostName: string,
  address: string,
  policy: TlsPolicy,
  options: SmtpDeliveryOptions,
  events: TraceEventInput[],
  domain: string,
): Promise<Session> {
  const key = `${address}:${options.port}|${hostName}|${policy.mode}|${policy.verify}`;
  const cached = options.pool.take(key);
  const remote = `${hostName}[${address}]`;
  if (cached) return { client: cached, key, tlsText: describeTls(cached), reused: true };
  const connect = (): Promise<SmtpClient> =>
    SmtpClient.connect({
      address, port: options.port, hostname: hostName, heloName: options.heloName, lmtp: options.lmtp ?? false,
      ...(options.connectTimeoutMs ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
      ...(options.commandTimeoutMs ? { commandTimeoutMs: options.commandTimeoutMs } : {}),
    });
  const failed = (code: number, enhanced: string, text: string): Session => {
    events.push({ kind: 'attempt', data: { domain, mx: hostName, ip: address, port: options.port, error: text } });
    return { reply: { code, enhanced, text, remote } };
  };
  let client: SmtpClient;
  try {
    client = await connect();
  } catch (error) {
    return failed(451, '4.4.1', (error as Error).message);
  }
  if (client.greeting?.code !== 220) {
    void client.quit();
    const g = client.greeting;
    // Any refusal at the greeting is about this host, not the message: try the next one.
    return failed(451, '4.4.2', `greeting: ${g?.code} ${g?.text}`);
  }
  if (policy.mode !== 'none' && client.canStartTls) {
    try {
      const refused = await client.startTls({ servername: policy.servername ?? hostName, verify: policy.verify, ...(policy.ca ? { ca: policy.ca } : {}) });
      if (refused && policy.mode === 'required') {
        void client.quit();
        return failed(451, '4.7.5', `STARTTLS refused: ${refused.code} ${refused.text}`);
      }
    } catch (error) {
      client.destroy();
      if (policy.mode === 'required') return failed(451, '4.7.5', (error as Error).message);
      // Opportunistic: a failed handshake falls back to plaintext on a new connection (RFC 3207 §4.1 allows it).
      events.push({ kind: 'attempt', data: { domain, mx: hostName, ip: address, tls: 'failed', error: (error as Error).message } });
      try {
        client = await connect();
      } catch (retryError) {
        return failed(451, '4.4.1', (retryError as Error).message);
      }
    }
  } else if (policy.mode === 'required') {
    void client.quit();
    return failed(451, '4.7.4', `${remote} does not offer STARTTLS and TLS is required`);
  }
  return { client, key, tlsText: describeTls(client), reused: false };
}

function describeTls(client: SmtpClient): string {
  if (client.tls === undefined) return 'none';
  return `${client.tls.version} ${client.tls.cipher}${client.tls.authorized ? ' verified' : ''}`;
}
