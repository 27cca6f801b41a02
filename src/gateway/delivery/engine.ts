// The delivery engine (Postfix's qmgr + smtp/local in one loop): claims due messages under a lease, delivers
// each one's pending recipients (outbound over SMTP to MX or a smart host; inbound to Maildir or the mailbox
// server over SMTP/LMTP), records each recipient's verdict, then completes, defers with backoff, or gives up
// after the maximum age, sending RFC 3464 DSNs for failures and delays. A DSN that itself cannot be
// delivered is put on hold, never bounced. See docs/queue.md.

import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../core/clock.js';
import type { DnsResolver } from '../../core/dns/types.js';
import type { QueuedMessage, QueuedRecipient, QueueStore, RecipientUpdate } from '../queue/types.js';
import type { TraceStore } from '../trace/types.js';
import { backoffMs, DEFAULT_RETRY_SCHEDULE, isExpired, type RetrySchedule } from '../queue/retry.js';
import { buildDsn, dsnRecipients, type DsnAction, type DsnRecipientReport } from './dsn.js';
import { deliverMaildir } from './maildir.js';
import { ConnectionPool, type PoolLimits } from './pool.js';
import { resolveRoute, type SmartHost } from './routes.js';
import { deliverSmtp, type DeliveryOutcome, type RecipientResult } from './smtp-delivery.js';
import { opportunisticTls, smartHostTls, type DeliveryTlsOptions } from './tls-policy.js';

/** Messages delivered at the same time by one engine. */
export const DEFAULT_MAX_IN_FLIGHT = 50;
/** How long a claim holds a message; deliveries are bounded by the SMTP timeouts well below it. */
export const DEFAULT_LEASE_MS = 15 * 60_000;
/** How often the engine looks for due messages when nobody wakes it. */
export const DEFAULT_POLL_MS = 1_000;
/** The SMTP port outbound mail goes to (RFC 5321 §4.5.4). */
export const SMTP_PORT = 25;

export type InboundTarget =
  | { kind: 'maildir'; dataDir: string }
  | { kind: 'smtp' | 'lmtp'; host: string; port: number };

export interface DeliveryEngineOptions {
  store: QueueStore & TraceStore;
  resolver: DnsResolver;
  clock: Clock;
  /** Our name for EHLO, Reporting-MTA and MAILER-DAEMON (default the OS host name). */
  hostname?: string;
  /** Is this domain ours (inbound)? Decides where DSNs to a sender go. */
  isLocalDomain: (domain: string) => boolean;
  inbound: InboundTarget;
  outbound?: {
    port?: number;
    /** Every outbound domain goes here; its `tls` setting (default opportunistic) replaces the recipients' policies. */
    smartHost?: SmartHost;
    /** The TLS policy engine (`decide`, default opportunistic), extra trust anchors and the TLS-RPT collector. */
    tls?: DeliveryTlsOptions;
    connectTimeoutMs?: number;
    commandTimeoutMs?: number;
    /**
     * Whether an address and port are one of our own listeners (RFC 5321 §5.1: an MX that is us, and every
     * less preferred one, is skipped; when nothing is left the mail loops, 554 5.4.6).
     */
    isSelf?: (address: string, port: number) => boolean;
  };
  pool?: Partial<PoolLimits>;
  schedule?: RetrySchedule;
  maxInFlight?: number;
  leaseMs?: number;
  pollMs?: number;
  /** Lease owner name (default host:pid). */
  owner?: string;
  /** Told about failures the engine cannot attribute to a message (an injected logger). */
  onError?: (error: unknown) => void;
}

export class DeliveryEngine {
  private readonly pool: ConnectionPool;
  private readonly hostname: string;
  private readonly owner: string;
  private readonly schedule: RetrySchedule;
  private inFlight = 0;
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<void> | undefined;
  private again = false;
  private readonly tasks = new Set<Promise<void>>();

  constructor(private readonly options: DeliveryEngineOptions) {
    this.pool = new ConnectionPool(options.pool);
    this.hostname = options.hostname ?? osHostname();
    this.owner = options.owner ?? `${this.hostname}:${process.pid}`;
    this.schedule = options.schedule ?? DEFAULT_RETRY_SCHEDULE;
  }

  /** Recovers expired leases, then polls for due messages until stop(). */
  async start(): Promise<void> {
    await this.options.store.recover(this.options.clock.now());
    this.running = true;
    this.wake();
  }

  /** Asks the engine to look for due messages now (the sink calls this after each enqueue). */
  wake(): void {
    if (!this.running) return;
    if (this.pass !== undefined) {
      this.again = true;
      return;
    }
    this.again = false;
    this.pass = this.runOnce().then(
      () => undefined,
      (error: unknown) => this.options.onError?.(error),
    ).finally(() => {
      this.pass = undefined;
      if (!this.running) return;
      clearTimeout(this.timer);
      // Woken during the pass (new mail, a DSN queued): look again now rather than at the next poll.
      this.timer = setTimeout(() => this.wake(), this.again ? 0 : this.options.pollMs ?? DEFAULT_POLL_MS);
      this.timer.unref();
    });
  }

  /** Stops polling, waits for deliveries in flight, closes idle connections. The queue is kept. */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.pass;
    await Promise.all(this.tasks);
    await this.pool.close();
  }

  /** Claims what is due and starts delivering it; resolves when those deliveries finished. */
  async runOnce(): Promise<number> {
    const max = this.options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
    let total = 0;
    for (;;) {
      const free = max - this.inFlight;
      if (free <= 0) break;
      const claimed = await this.options.store.claim({
        now: this.options.clock.now(), limit: free, owner: this.owner, leaseMs: this.options.leaseMs ?? DEFAULT_LEASE_MS,
      });
      if (claimed.length === 0) break;
      total += claimed.length;
      for (const message of claimed) this.track(this.process(message));
      // Claim more as soon as one finishes, so the pipeline stays full.
      if (this.inFlight >= max) await Promise.race(this.tasks);
    }
    await Promise.all(this.tasks);
    return total;
  }

  /** Runs passes until nothing is due now (tests, and the crash test's "deliver everything"). */
  async drain(): Promise<void> {
    while ((await this.runOnce()) > 0) {
      // keep going
    }
  }

  private track(task: Promise<void>): void {
    this.inFlight++;
    const tracked = task
      .catch((error: unknown) => this.options.onError?.(error))
      .finally(() => {
        this.inFlight--;
        this.tasks.delete(tracked);
      });
    this.tasks.add(tracked);
  }

  private async process(message: QueuedMessage): Promise<void> {
    const { store, clock } = this.options;
    const body = await store.readBody(message.id);
    if (body === undefined) {
      await store.markCorrupt(message.id, 'body missing');
      return;
    }
    const pending = message.recipients.filter((r) => r.status === 'pending');
    const outcome = pending.length === 0 ? { results: [], events: [] } : await this.deliver(message, body, pending);
    if (outcome.events.length > 0) await store.appendTrace(message.id, outcome.events);
    const now = clock.now();
    const byIndex = new Map(message.recipients.map((r) => [r.index, r]));
    const expired = isExpired(message.queuedAt, now, message.kind, this.schedule);
    const updates: RecipientUpdate[] = outcome.results.map((r) =>
      r.status === 'pending' && expired
        ? { index: r.index, status: 'failed', reply: { ...r.reply, code: 550, enhanced: '5.4.7', text: `gave up after ${Math.round((now - message.queuedAt) / 3_600_000)} h; last error: ${r.reply.code} ${r.reply.text}` } }
        : r,
    );
    if (updates.length > 0) await store.updateRecipients(message.id, this.owner, updates, now);
    const report = (status: RecipientUpdate['status']): DsnRecipientReport[] =>
      updates.filter((u) => u.status === status && u.reply).map((u) => ({
        recipient: byIndex.get(u.index) as QueuedRecipient,
        action: (status === 'failed' ? 'failed' : status === 'delivered' ? 'delivered' : 'delayed') as DsnAction,
        reply: u.reply as NonNullable<RecipientUpdate['reply']>,
      }));
    await this.notify(message, body, 'failed', report('failed'));
    await this.notify(message, body, message.direction === 'inbound' ? 'delivered' : 'relayed', report('delivered'));
    const stillPending = updates.filter((u) => u.status === 'pending');
    const failed = updates.some((u) => u.status === 'failed');
    if (stillPending.length > 0) {
      if (!message.delayNotified && now - message.queuedAt >= this.schedule.delayWarningMs) {
        const sent = await this.notify(message, body, 'delayed', report('pending'), message.queuedAt + this.schedule.maxAgeMs);
        if (sent) await store.markDelayNotified(message.id, this.owner);
      }
      const next = now + backoffMs(message.attempts + 1, this.schedule);
      const first = stillPending[0]?.reply;
      await store.defer(message.id, this.owner, next, first ? `${first.code} ${first.enhanced} ${first.text}` : 'pending');
    } else if (message.kind === 'dsn' && failed) {
      // Never bounce a bounce: set it aside for an operator (Postfix keeps such mail in the queue too).
      await store.hold(message.id, 'delivery status notification could not be delivered');
    } else {
      await store.complete(message.id, this.owner);
    }
  }

  private deliver(message: QueuedMessage, body: Buffer, recipients: QueuedRecipient[]): Promise<DeliveryOutcome> {
    const { inbound, resolver, clock, onError } = this.options;
    const heloName = this.hostname;
    const common = { heloName, pool: this.pool, clock, ...(onError ? { onError } : {}) };
    if (message.direction === 'inbound') {
      if (inbound.kind === 'maildir') {
        return Promise.resolve({ results: deliverMaildir(message, body, recipients, join(inbound.dataDir, 'mailboxes')), events: [{ kind: 'attempt', data: { via: 'maildir' } }] });
      }
      const fixed = { host: inbound.host, port: inbound.port };
      return deliverSmtp(message, body, recipients, {
        routeFor: () => resolveRoute('', resolver, { smartHost: fixed }),
        destinationFor: () => `mailbox:${inbound.host}:${inbound.port}`,
        port: inbound.port, lmtp: inbound.kind === 'lmtp', decide: opportunisticTls, ...common,
      });
    }
    const out = this.options.outbound ?? {};
    const smartHost = out.smartHost;
    // RFC 8460 §3: a TLS report is delivered despite TLS failures, and its session is not reported.
    const report = message.envelope.tlsReport === true;
    const tls = out.tls === undefined ? undefined : report ? withoutCollector(out.tls) : out.tls;
    const port = smartHost?.port ?? out.port ?? SMTP_PORT;
    const isSelf = out.isSelf;
    const selfCheck = isSelf && !smartHost ? { isSelf: (address: string) => isSelf(address, port) } : {};
    return deliverSmtp(message, body, recipients, {
      routeFor: (domain) => resolveRoute(domain, resolver, smartHost ? { smartHost } : selfCheck),
      ...(smartHost ? { destinationFor: () => `smarthost:${smartHost.host}` } : {}),
      port: smartHost?.port ?? out.port ?? SMTP_PORT,
      decide: smartHost ? smartHostTls(smartHost.host, smartHost.tls ?? 'opportunistic', smartHost.caFile ? { caFile: smartHost.caFile } : {}) : report ? opportunisticTls : out.tls?.decide ?? opportunisticTls,
      ...(tls ? { tls } : {}),
      ...common,
      ...(out.connectTimeoutMs ? { connectTimeoutMs: out.connectTimeoutMs } : {}),
      ...(out.commandTimeoutMs ? { commandTimeoutMs: out.commandTimeoutMs } : {}),
    });
  }

  /** Queues a DSN about `reports` to the sender if the rules allow; returns whether one was queued. */
  private async notify(message: QueuedMessage, body: Buffer, action: DsnAction, reports: DsnRecipientReport[], willRetryUntil?: number): Promise<boolean> {
    const allowed = dsnRecipients(message, action === 'relayed' ? 'delivered' : action, reports.map((r) => ({ ...r, action })));
    if (allowed.length === 0) return false;
    const now = this.options.clock.now();
    const data = buildDsn({ message, body, reports: allowed, reportingMta: this.hostname, now, ...(willRetryUntil ? { willRetryUntil } : {}) });
    const sender = message.envelope.mailFrom;
    const senderDomain = sender.slice(sender.lastIndexOf('@') + 1).toLowerCase();
    const { id } = await this.options.store.enqueue({
      envelope: { mailFrom: '', recipients: [{ address: sender }], body: '8BITMIME', smtputf8: false },
      client: { ip: '127.0.0.1', port: 0, helo: this.hostname, listener: 'dsn' },
      receivedAt: now,
      data,
      direction: this.options.isLocalDomain(senderDomain) ? 'inbound' : 'outbound',
      kind: 'dsn',
      traceEvents: [{ kind: 'dsn', data: { about: message.id, action } }],
    });
    await this.options.store.appendTrace(message.id, [{ kind: 'dsn', data: { action, dsnId: id, recipients: allowed.map((r) => r.recipient.address) } }]);
    this.wake();
    return true;
  }
}

export type { RecipientResult };

/** The TLS options without the TLS-RPT collector (sessions of TLS reports are not reported). */
function withoutCollector(tls: DeliveryTlsOptions): DeliveryTlsOptions {
  const { collector: _collector, ...rest } = tls;
  return rest;
}
