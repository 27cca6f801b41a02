// The gateway's main job: one process that owns a data directory and runs the SMTP listeners, the durable
// queue and the delivery engine, wired from the validated config. `startGateway` is what `mailflow gateway`
// calls (and tests); it returns once every listener is bound, and `stop()` shuts down gracefully: stop
// accepting, let sessions finish, let deliveries in flight finish, keep the queue, release the lock.

import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { join, resolve as resolvePath } from 'node:path';
import { QUEUE_DB_FILE, SqliteQueueStore } from '../adapters/storage/sqlite/queue-store.js';
import { SqliteTlsRptCollector } from '../adapters/storage/sqlite/tlsrpt-store.js';
import { SqliteDmarcRecordStore } from '../adapters/storage/sqlite/dmarc-store.js';
import { createHttpsFetcher, createHttpsPoster } from '../adapters/https/index.js';
import { JsonFileMtaStsCache } from '../adapters/mta-sts-cache/index.js';
import { createResolver, resolveServerList } from '../adapters/dns/index.js';
import { systemClock } from '../core/clock.js';
import type { DnsResolver } from '../core/dns/types.js';
import type { MailflowConfig } from '../config/types.js';
import type { HttpsFetcher } from '../core/https/types.js';
import { startMtaStsRefresher, type MtaStsRefreshOutcome } from '../transport/mta-sts/refresh.js';
import { DeliveryEngine } from './delivery/engine.js';
import { hostLookupVia, policyEngineTls, type DeliveryTlsOptions } from './delivery/tls-policy.js';
import { scheduleDailyTlsRpt, writeDailyTlsRptReports } from './delivery/tlsrpt-job.js';
import { pruneFinishedReports, scheduleTlsRptSending, sendPendingTlsRptReports } from './delivery/tlsrpt-send.js';
import { checkAllConnectorsSpf } from './policy/connectors.js';
import { withInboundAuth } from './policy/index.js';
import { inboundAuthParts } from './auth/gateway-parts.js';
import { dmarcRowFor } from './reports/dmarc-records.js';
import { sendPendingDmarcReports, writeDailyDmarcReports, type DmarcReportSettings } from './reports/dmarc-report-job.js';
import { pruneFinishedReports as pruneFinishedDmarcReports, scheduleReportSending, type SendRunResult } from './delivery/report-send-state.js';
import type { MessageSink } from './message-sink.js';
import { QueueSink } from './queue/sink.js';
import { DEFAULT_RETRY_SCHEDULE } from './queue/retry.js';
import { startSmtpGateway, type SmtpGateway } from './smtp/server.js';
import { SMTP_CHANNEL_NAME, type SmtpEvent } from './smtp/events.js';
import { lockDataDir } from './process/data-dir.js';
import { LOG_LEVELS, type GatewayLogger, type LogLevel } from './process/log.js';
import { ReceivedHeaderSink } from './process/received.js';
import { DkimSigningSink, keysForDomain, loadDkimSigningKeys, type DkimSigningKey } from './signing/dkim-signing.js';
import { selfAddressCheck } from './delivery/self-addresses.js';
import { startTracePruning } from './trace/retention.js';
import { startMtaStsHosting, type MtaStsHosting } from './mta-sts-host.js';
import { serverTls } from './smtp/runtime.js';
import type { GatewayConfig } from './config-types.js';
import { resolveSettings, type GeneratedSecret } from './process/settings.js';

/** How long a graceful stop lets SMTP sessions finish before it drops them (then the queue keeps the mail). */
export const SHUTDOWN_GRACE_MS = 10_000;

export interface GatewayMainOptions {
  config: MailflowConfig;
  /** Wins over `config.dataDir` (the --data-dir flag). */
  dataDir?: string;
  logger: GatewayLogger;
  /** For $MAILFLOW_DNS (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Replaces the resolver built from `config.dns` (tests). */
  resolver?: DnsResolver;
}

export interface BoundListener {
  name: string;
  role: 'inbound' | 'submission';
  host: string;
  port: number;
  tls: 'starttls' | 'implicit' | 'none';
}

export interface RunningGateway {
  dataDir: string;
  listeners: BoundListener[];
  generatedPasswords: GeneratedSecret[];
  /** A swaks command that sends a first message through the submission listener, when there is one. */
  firstMessageCommand?: string;
  store: SqliteQueueStore;
  /** Where our MTA-STS policy is served, and the TXT record to publish (with mtaStsHosting.enabled). */
  mtaStsHosting?: { host: string; port: number; record: string; policy: string };
  /** DMARC aggregate reports (inboundAuth.reports): run a day's job or a sending pass now (tests, operators). */
  dmarcReports?: { runDay(dayStart: number): Promise<string[]>; send(): Promise<SendRunResult> };
  /** Graceful: 421 to sessions after their current command, deliveries finish, the queue stays on disk. */
  stop(graceMs?: number): Promise<void>;
}

/** Which SMTP events are worth which log level (every connection only at debug). */
const EVENT_LEVEL: Record<SmtpEvent['type'], LogLevel> = {
  connect: 'debug', close: 'debug', tls: 'debug', decision: 'debug', queued: 'info', auth: 'info',
  refused: 'warn', 'tls-error': 'warn', 'message-refused': 'info', limit: 'warn',
};

/** Starts the whole gateway; rejects (after undoing what it started) when anything cannot start. */
export async function startGateway(options: GatewayMainOptions): Promise<RunningGateway> {
  const { config, logger } = options;
  const dataDir = resolvePath(options.dataDir ?? config.dataDir);
  const release = lockDataDir(dataDir);
  const undo: (() => Promise<void> | void)[] = [release];
  const rollback = async () => {
    for (const step of undo.reverse()) await step();
  };
  try {
    const settings = await resolveSettings(config, dataDir);
    if (settings.generatedCertificate?.created) logger.log('info', 'certificate-generated', { file: settings.generatedCertificate.file, message: `self-signed certificate for ${config.hostname}` });

    const resolver = options.resolver ?? createResolver({
      servers: resolveServerList({ flags: config.dns.servers, env: (options.env ?? process.env).MAILFLOW_DNS }),
      ...(config.dns.timeoutMs === undefined ? {} : { timeoutMs: config.dns.timeoutMs }),
      cache: { errorTtlSeconds: config.dns.errorCacheSeconds },
    });

    // Signing keys are read first: a key that cannot sign stops the start with its file named.
    const signingKeys = loadDkimSigningKeys(config.dkimSigning.keys, (keyFile, message) => logger.log('warn', 'dkim-key-permissions', { keyFile, message }));
    for (const key of signingKeys) logger.log('info', 'dkim-signing-key', { domain: key.domain, selector: key.selector, algorithm: key.algorithm });

    const store = SqliteQueueStore.openInDataDir(dataDir);
    undo.push(() => store.close());
    // We hold the data directory's lock, so no other worker is alive: whatever a killed gateway had
    // claimed comes back now instead of after its lease.
    const recovered = await store.recover(systemClock.now(), { allLeases: true });
    if (recovered > 0) logger.log('info', 'queue-recovered', { messages: recovered, message: 'messages claimed by a previous run are queued again' });
    const stopPruning = startTracePruning(
      store, systemClock, config.trace.retentionDays,
      (pruned) => logger.log('info', 'trace-pruned', { messages: pruned, retentionDays: config.trace.retentionDays }),
      (error) => logger.log('warn', 'trace-prune-failed', { error }),
    );
    undo.push(stopPruning);

    const outboundTls = outboundTlsFor(settings, dataDir, resolver, logger);
    if (outboundTls.collector) {
      const collector = outboundTls.collector;
      undo.push(() => collector.close());
    }
    // Cached MTA-STS policies are refreshed daily, before they lapse (RFC 8461 §3.3).
    const refresher = startMtaStsRefresher(
      { resolver, fetcher: outboundTls.fetcher, cache: outboundTls.mtaStsCache, clock: systemClock },
      { onResults: (results) => logMtaStsRefresh(logger, results), onError: (error) => logger.log('warn', 'mta-sts-refresh-failed', { error }) },
    );
    undo.push(() => refresher.stop());

    const local = new Set(settings.gateway.acceptedDomains.map((d) => d.domain));
    // MX loop check (RFC 5321 §5.1): our listeners as configured, then as bound (port 0 is known only then).
    let isSelf = selfAddressCheck(settings.gateway.listeners.filter((l) => l.port !== 0).map((l) => ({ host: l.host, port: l.port })));
    const engine = new DeliveryEngine({
      store, resolver, clock: systemClock, hostname: config.hostname,
      isLocalDomain: (domain) => local.has(domain.toLowerCase()),
      inbound: settings.inbound,
      outbound: { port: config.delivery.outboundPort, tls: outboundTls, isSelf: (address, port) => isSelf(address, port), ...(settings.smartHost ? { smartHost: settings.smartHost } : {}) },
      schedule: { ...DEFAULT_RETRY_SCHEDULE, maxAgeMs: config.delivery.maxQueueAge },
      maxInFlight: config.delivery.maxInFlight,
      onError: (error) => logger.log('error', 'delivery-error', { error }),
    });
    if (!config.delivery.paused) {
      await engine.start();
      undo.push(() => engine.stop());
    } else {
      logger.log('warn', 'delivery-paused', { message: 'delivery.paused is set: mail is queued, not delivered' });
    }

    // Events below the configured level (several per message at the default) are dropped before any work.
    const minLevel = LOG_LEVELS.indexOf(config.log.level);
    const onEvent = (message: unknown) => {
      const event = message as SmtpEvent;
      const level = EVENT_LEVEL[event.type] ?? 'info';
      if (LOG_LEVELS.indexOf(level) < minLevel) return;
      const { type, ...fields } = event;
      logger.log(level, `smtp-${type}`, fields);
    };
    subscribe(SMTP_CHANNEL_NAME, onEvent);
    undo.push(() => void unsubscribe(SMTP_CHANNEL_NAME, onEvent));

    // Listener → (DKIM signing of our outgoing mail) → Received → (inbound authentication: A-R above Received,
    // RFC 8601 §5) → queue.
    const dmarcStore = settings.inboundAuth && config.inboundAuth.reports.enabled
      ? new SqliteDmarcRecordStore({ path: join(dataDir, QUEUE_DB_FILE), onError: (error) => logger.log('warn', 'dmarc-report-store', { error }) })
      : undefined;
    if (dmarcStore) undo.push(() => dmarcStore.close());
    // Each verdict is counted in memory (flushed every few seconds): the SMTP reply does not wait for a write.
    const onVerified = dmarcStore && ((outcome: Parameters<typeof dmarcRowFor>[0], ip: string, mailFrom: string) => {
      try {
        const row = dmarcRowFor(outcome, ip, mailFrom);
        if (row) dmarcStore.record(row, systemClock.now());
      } catch (error) {
        logger.log('warn', 'dmarc-report-store', { error });
      }
    });
    const auth = settings.inboundAuth ? inboundAuthParts(settings.inboundAuth, settings.gateway.listeners, resolver, systemClock, onVerified) : undefined;
    if (auth === undefined && settings.gateway.listeners.some((l) => l.role === 'inbound')) {
      logger.log('info', 'inbound-auth-off', { message: 'inbound mail is queued without SPF/DKIM/DMARC checks; set inboundAuth.enabled: true on an MX (docs/gateway.md)' });
    }
    const queueSink: MessageSink = new QueueSink(store, () => engine.wake());
    if (outboundTls.collector && settings.tlsRpt) {
      const stopReports = startTlsRptReports({ config, settings, collector: outboundTls.collector, resolver, store, signingKeys, extraCa: settings.outboundTls.extraCa, isLocalDomain: (domain) => local.has(domain.toLowerCase()), wake: () => engine.wake(), logger, queueSink });
      undo.push(stopReports);
    }
    let dmarcReports: RunningGateway['dmarcReports'];
    if (dmarcStore && settings.inboundAuth) {
      const started = startDmarcReports({ config, store: dmarcStore, dir: join(dataDir, 'dmarc-reports'), mode: settings.inboundAuth.dmarcMode, resolver, queue: store, signingKeys, isLocalDomain: (domain) => local.has(domain.toLowerCase()), wake: () => engine.wake(), logger, queueSink });
      undo.push(started.stop);
      dmarcReports = started.handle;
    }
    const received = new ReceivedHeaderSink(auth ? auth.wrapSink(queueSink) : queueSink, config.hostname);
    // Our own outgoing mail is DKIM-signed before the Received field goes on top, as at an originating MTA.
    const sink: MessageSink = signingKeys.length > 0 ? new DkimSigningSink(received, signingKeys, { onError: (error) => logger.log('warn', 'dkim-sign', { error }) }) : received;
    let mtaSts: RunningGateway['mtaStsHosting'];
    if (config.mtaStsHosting.enabled) {
      const hosting = await startMtaStsHostingFor(config, settings.gateway);
      undo.push(() => hosting.close());
      mtaSts = { ...hosting.address, record: hosting.record, policy: hosting.policy };
      const domains = settings.gateway.acceptedDomains.map((d) => d.domain);
      logger.log('info', 'mta-sts-hosting', {
        ...hosting.address, record: hosting.record, domains,
        message: `serving the MTA-STS policy on ${hosting.address.host}:${hosting.address.port}; publish TXT "${hosting.record}" at ${domains.map((d) => `_mta-sts.${d}`).join(', ')}`,
      });
    }

    const smtp: SmtpGateway = await startSmtpGateway(settings.gateway, { sink, ...(auth ? { extendPolicy: (policy) => withInboundAuth(policy, auth.stage) } : {}) });
    undo.push(() => smtp.close(0));

    const listeners: BoundListener[] = smtp.listeners.map((l) => ({ name: l.listener.name, role: l.listener.role, ...l.address, tls: l.listener.tls }));
    isSelf = selfAddressCheck(listeners.map((l) => ({ host: l.host, port: l.port })));
    for (const l of listeners) logger.log('info', 'listening', { ...l, message: `${l.role} on ${l.host}:${l.port}` });

    // Connector SPF coverage is advice, not a reason to refuse to start: run it without delaying the listeners.
    const spfCheck = checkAllConnectorsSpf(settings.gateway.connectors, resolver).then(
      (warnings) => {
        for (const w of warnings) logger.log('warn', 'connector-spf', { ...w, message: `connector ${w.connector}: ${w.ip} is not covered by the SPF of ${w.domain} (${w.code})` });
      },
      (error: unknown) => logger.log('warn', 'connector-spf', { error }),
    );

    const running: RunningGateway = {
      ...(mtaSts === undefined ? {} : { mtaStsHosting: mtaSts }),
      ...(dmarcReports === undefined ? {} : { dmarcReports }),
      dataDir,
      listeners,
      generatedPasswords: settings.generatedPasswords,
      store,
      stop: async (graceMs = SHUTDOWN_GRACE_MS) => {
        logger.log('info', 'stopping', { message: 'no new connections; finishing sessions and deliveries; the queue is kept' });
        await smtp.close(graceMs);
        await spfCheck;
        undo.pop(); // smtp, closed above
        await rollback();
        logger.log('info', 'stopped', {});
      },
    };
    const command = firstMessageCommand(config, listeners, settings.generatedPasswords);
    if (command !== undefined) running.firstMessageCommand = command;
    return running;
  } catch (error) {
    await rollback();
    throw error;
  }
}

interface TlsRptParts {
  config: MailflowConfig;
  settings: Awaited<ReturnType<typeof resolveSettings>>;
  collector: SqliteTlsRptCollector;
  resolver: DnsResolver;
  store: SqliteQueueStore;
  signingKeys: DkimSigningKey[];
  extraCa: readonly (string | Buffer)[];
  isLocalDomain: (domain: string) => boolean;
  wake: () => void;
  logger: GatewayLogger;
  queueSink: MessageSink;
}

/**
 * The daily TLS-RPT job (files under DATA_DIR/tlsrpt/) and, with tlsRpt.send, their sending (RFC 8460 §5):
 * at start for what is unsent, after each day's files are written, and when a retry is due. Returns the stop.
 */
function startTlsRptReports(parts: TlsRptParts): () => Promise<void> {
  const { config, collector, resolver, logger } = parts;
  const tlsRpt = parts.settings.tlsRpt;
  if (tlsRpt === undefined) return () => Promise.resolve();
  const { dir, ...report } = tlsRpt;
  let sending: ReturnType<typeof scheduleTlsRptSending> | undefined;
  if (config.tlsRpt.send) {
    const from = config.tlsRpt.from ?? `tlsrpt-noreply@${report.submitter}`;
    const fromDomain = from.slice(from.lastIndexOf('@') + 1).toLowerCase();
    if (keysForDomain(parts.signingKeys, fromDomain).length === 0) {
      logger.log('warn', 'tlsrpt-unsigned', { from, message: `no dkimSigning key for ${fromDomain}: report mail goes unsigned, and RFC 8460 §5.3 lets receivers ignore it` });
    }
    // DkimSigningSink.sign only signs; the sink it would pass mail to is not used here.
    const signer = new DkimSigningSink(parts.queueSink, parts.signingKeys, { onError: (error) => logger.log('warn', 'dkim-sign', { error }) });
    const poster = createHttpsPoster({ extraCa: parts.extraCa, lookup: hostLookupVia(resolver) });
    const deps = {
      dir, resolver, poster, queue: parts.store, clock: systemClock, from, submitter: report.submitter, hostname: config.hostname,
      isLocalDomain: parts.isLocalDomain, sign: (data: Buffer) => signer.sign(data), onQueued: parts.wake,
      log: (level: LogLevel, event: string, fields: Record<string, unknown>) => logger.log(level, event, fields),
    };
    sending = scheduleTlsRptSending(() => systemClock.now(), () => sendPendingTlsRptReports(deps), (error) => logger.log('warn', 'tlsrpt-send-failed', { error }));
  }
  const stopDaily = scheduleDailyTlsRpt(
    () => systemClock.now(),
    async (day) => {
      const written = await writeDailyTlsRptReports(day, dir, collector, resolver, report);
      if (written.length > 0) logger.log('info', 'tlsrpt-reports', { day: new Date(day).toISOString().slice(0, 10), dir, files: written.map((r) => r.filename) });
      sending?.kick();
      const pruned = pruneFinishedReports(dir, systemClock.now(), config.tlsRpt.keepDays);
      if (pruned > 0) logger.log('info', 'tlsrpt-pruned', { dir, reports: pruned, keepDays: config.tlsRpt.keepDays });
    },
    (error) => logger.log('warn', 'tlsrpt-reports', { error }),
  );
  return async () => {
    stopDaily();
    await sending?.stop();
  };
}

interface DmarcReportParts {
  config: MailflowConfig;
  store: SqliteDmarcRecordStore;
  dir: string;
  mode: DmarcReportSettings['mode'];
  resolver: DnsResolver;
  queue: SqliteQueueStore;
  signingKeys: DkimSigningKey[];
  isLocalDomain: (domain: string) => boolean;
  wake: () => void;
  logger: GatewayLogger;
  queueSink: MessageSink;
}

/**
 * DMARC aggregate reports (RFC 9990): the daily job (files under DATA_DIR/dmarc-reports/) and their sending to
 * the mailto: rua URIs, at start for what is unsent, after each day's files and when a retry is due.
 */
function startDmarcReports(parts: DmarcReportParts): { stop: () => Promise<void>; handle: NonNullable<RunningGateway['dmarcReports']> } {
  const { config, logger } = parts;
  const r = config.inboundAuth.reports;
  const settings: DmarcReportSettings = { orgName: r.orgName ?? config.hostname, email: r.email ?? `dmarc-noreply@${config.hostname}`, receiver: config.hostname, mode: parts.mode };
  const fromDomain = settings.email.slice(settings.email.lastIndexOf('@') + 1).toLowerCase();
  if (keysForDomain(parts.signingKeys, fromDomain).length === 0) {
    logger.log('warn', 'dmarc-report-unsigned', { from: settings.email, message: `no dkimSigning key for ${fromDomain}: DMARC report mail goes unsigned` });
  }
  const log = (level: LogLevel, event: string, fields: Record<string, unknown>) => logger.log(level, event, fields);
  // DkimSigningSink.sign only signs; the sink it would pass mail to is not used here.
  const signer = new DkimSigningSink(parts.queueSink, parts.signingKeys, { onError: (error) => logger.log('warn', 'dkim-sign', { error }) });
  const senderDeps = {
    dir: parts.dir, resolver: parts.resolver, clock: systemClock, settings, log, queue: parts.queue, hostname: config.hostname,
    isLocalDomain: parts.isLocalDomain, sign: (data: Buffer) => signer.sign(data), onQueued: parts.wake,
  };
  const send = () => sendPendingDmarcReports(senderDeps);
  const sending = scheduleReportSending(() => systemClock.now(), send, (error) => logger.log('warn', 'dmarc-report-send-failed', { error }));
  const runDay = async (day: number) => {
    const written = await writeDailyDmarcReports(day, { dir: parts.dir, store: parts.store, resolver: parts.resolver, settings, log }, systemClock.now());
    if (written.length > 0) logger.log('info', 'dmarc-reports', { day: new Date(day).toISOString().slice(0, 10), dir: parts.dir, files: written });
    const pruned = pruneFinishedDmarcReports(parts.dir, systemClock.now(), r.keepDays);
    if (pruned > 0) logger.log('info', 'dmarc-reports-pruned', { dir: parts.dir, reports: pruned, keepDays: r.keepDays });
    return written;
  };
  const stopDaily = scheduleDailyTlsRpt(() => systemClock.now(), async (day) => {
    await runDay(day);
    sending.kick();
  }, (error) => logger.log('warn', 'dmarc-reports', { error }));
  return {
    stop: async () => {
      stopDaily();
      await sending.stop();
    },
    handle: { runDay, send },
  };
}

/** One log line per refreshed or failed policy (unchanged ones only at debug). */
function logMtaStsRefresh(logger: GatewayLogger, results: MtaStsRefreshOutcome[]): void {
  for (const r of results) {
    if (r.outcome === 'refreshed') {
      logger.log('info', 'mta-sts-refreshed', { domain: r.domain, why: r.why, id: r.id, previousId: r.previousId, mode: r.mode, expiresAt: new Date(r.expiresAt).toISOString() });
    } else if (r.outcome === 'failed') {
      logger.log('warn', 'mta-sts-refresh-failed', { domain: r.domain, reason: r.reason, message: r.detail, keptId: r.keptId, keptUntil: new Date(r.keptUntil).toISOString() });
    } else {
      logger.log('debug', 'mta-sts-unchanged', { domain: r.domain, id: r.id });
    }
  }
}

/**
 * The outbound TLS policy engine over the real ports: DNS from our resolver, MTA-STS policies fetched over
 * HTTPS (extra CAs from outboundTls.extraCaFile) and cached in a JSON file, and, when tlsRpt.enabled, the
 * session outcomes recorded in the queue database.
 */
type OutboundTlsParts = DeliveryTlsOptions & { collector?: SqliteTlsRptCollector; fetcher: HttpsFetcher; mtaStsCache: JsonFileMtaStsCache };

function outboundTlsFor(settings: Awaited<ReturnType<typeof resolveSettings>>, dataDir: string, resolver: DnsResolver, logger: GatewayLogger): OutboundTlsParts {
  const { policy, extraCa, mtaStsCacheFile } = settings.outboundTls;
  const fetcher = createHttpsFetcher({ extraCa, lookup: hostLookupVia(resolver) });
  const mtaStsCache = new JsonFileMtaStsCache(mtaStsCacheFile, { onLoadProblem: (detail) => logger.log('warn', 'mta-sts-cache', { file: mtaStsCacheFile, message: detail }) });
  const options: OutboundTlsParts = {
    decide: policyEngineTls(policy, { resolver, fetcher, mtaStsCache, clock: systemClock }),
    extraCa,
    fetcher,
    mtaStsCache,
  };
  if (settings.tlsRpt) {
    options.collector = new SqliteTlsRptCollector({ path: join(dataDir, QUEUE_DB_FILE), onError: (error) => logger.log('warn', 'tlsrpt-collector', { error }) });
  }
  return options;
}

/** The swaks line that sends a first message with the first generated account, or undefined when none fits. */
export function firstMessageCommand(config: MailflowConfig, listeners: BoundListener[], secrets: GeneratedSecret[]): string | undefined {
  const submission = listeners.find((l) => l.role === 'submission' && l.tls !== 'none');
  const secret = secrets[0];
  const domain = config.acceptedDomains[0];
  if (submission === undefined || secret === undefined || domain === undefined) return undefined;
  const account = config.accounts.find((a) => a.username === secret.username);
  const from = account?.fromAddresses.find((a) => !a.startsWith('*@')) ?? secret.username;
  const to = `${domain.mailboxes?.[0] ?? 'postmaster'}@${domain.domain}`;
  const host = submission.host === '0.0.0.0' ? '127.0.0.1' : submission.host === '::' ? '::1' : submission.host;
  const server = host.includes(':') ? `[${host}]:${submission.port}` : `${host}:${submission.port}`;
  return `swaks --server ${server} ${submission.tls === 'implicit' ? '--tlsc' : '--tls'} --auth-user ${secret.username} --auth-password '${secret.password}' --from ${from} --to ${to}`;
}

/** Starts the MTA-STS policy listener with the gateway's certificates (SNI picks the mta-sts.DOMAIN one). */
async function startMtaStsHostingFor(config: MailflowConfig, gateway: GatewayConfig): Promise<MtaStsHosting> {
  const tls = gateway.tls;
  if (tls === undefined) throw new TypeError('mtaStsHosting: needs a server certificate (tls)');
  const { contextFor } = serverTls(tls, false);
  const h = config.mtaStsHosting;
  return startMtaStsHosting(
    { host: h.host, port: h.port, mode: h.mode, mx: h.mx ?? [config.hostname], maxAgeSeconds: h.maxAgeSeconds },
    gateway.acceptedDomains.map((d) => d.domain),
    { key: tls.key, cert: tls.cert, ...(contextFor === undefined ? {} : { contextFor }) },
  );
}
