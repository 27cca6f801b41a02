// Opening one delivery session under a TLS policy decision. connectSmtpTls (src/transport/tls-policy) does
// the banner, EHLO, STARTTLS, handshake and the decision's certificate checks (DANE, pinned, WebPKI with the
// policy's names, minimum version) with RFC 8460 result types; the delivery SmtpClient adopts the session and
// runs the transactions. Plaintext is used only where the decision allows it (plaintextFallback). Every new
// session's TLS outcome is recorded for TLS-RPT. A failure is a reply for the whole group: 4.4.x for network
// trouble (next address), 4.7.x for TLS (the RFC 8460 result type in the text, the trace and the DSN).

import type { Clock } from '../../core/clock.js';
import { connectSmtpTls, type SmtpTlsOutcome, type TlsSessionFailure } from '../../transport/tls-policy/connect.js';
import type { TlsPolicyDecision, TlsRptResultType } from '../../transport/tls-policy/types.js';
import { sessionOutcome } from '../../transport/tlsrpt/outcome.js';
import type { DeliveryReply } from '../queue/types.js';
import type { TraceEventInput } from '../trace/types.js';
import type { ConnectionPool } from './pool.js';
import { SmtpClient, SmtpConnectionError, type SmtpConnectOptions } from './smtp-client.js';
import { decisionKey, type DeliveryTlsOptions } from './tls-policy.js';

export interface SessionContext {
  port: number;
  lmtp: boolean;
  heloName: string;
  pool: ConnectionPool;
  clock: Clock;
  tls: DeliveryTlsOptions;
  connectTimeoutMs?: number;
  commandTimeoutMs?: number;
  /** Told about failures that must not fail the delivery (a TLS-RPT collector that cannot write). */
  onError?: (error: unknown) => void;
}

/** What the trace's attempt event says about TLS. */
export interface SessionTlsTrace {
  mechanism: TlsPolicyDecision['mechanism'];
  /** `TLSv1.3 TLS_AES_256_GCM_SHA384[ verified]`, or `none`. */
  tls: string;
  tlsVersion?: string;
  tlsCipher?: string;
  tlsAuthentication?: string;
  /** A failure reported through TLS-RPT although the session went on (MTA-STS testing, opportunistic without STARTTLS). */
  tlsReported?: string;
}

export type Session =
  | { ok: true; client: SmtpClient; key: string; reused: boolean; trace: SessionTlsTrace }
  | { ok: false; reply: DeliveryReply; /** Set when TLS, not the network, ended it. */ tlsFailure?: TlsRptResultType };

/** A reusable connection opened under the same decision, or a new session as the decision requires. */
export async function openSession(
  host: string,
  address: string,
  decision: TlsPolicyDecision,
  ctx: SessionContext,
  events: TraceEventInput[],
  domain: string,
): Promise<Session> {
  const key = `${address}:${ctx.port}|${host}|${decisionKey(decision)}`;
  const cached = ctx.pool.take(key);
  if (cached) return { ok: true, client: cached, key, reused: true, trace: describeTls(decision, cached) };
  const remote = `${host}[${address}]`;
  const where = { domain, mx: host, ip: address, port: ctx.port, mechanism: decision.mechanism };
  const failed = (code: number, enhanced: string, text: string, tlsFailure?: TlsRptResultType): Session => {
    events.push({ kind: 'attempt', data: { ...where, ...(tlsFailure ? { tlsFailure } : {}), error: text } });
    return { ok: false, reply: { code, enhanced, text, remote }, ...(tlsFailure ? { tlsFailure } : {}) };
  };

  const timeout = ctx.connectTimeoutMs;
  const outcome = await connectSmtpTls(decision, {
    host: address, port: ctx.port, heloName: ctx.heloName, clock: ctx.tls.clock ?? ctx.clock, lmtp: ctx.lmtp,
    ...(ctx.tls.extraCa ? { extraCa: ctx.tls.extraCa } : {}),
    ...(timeout ? { connectTimeoutMs: timeout, replyTimeoutMs: timeout, handshakeTimeoutMs: timeout } : {}),
  });
  await record(decision, outcome, address, ctx);

  if (!outcome.ok) {
    const { failure } = outcome;
    if (failure.resultType === undefined) {
      // Not about TLS (refused, silent, a 4xx/5xx banner): this host, not the message. Try the next one.
      return failed(451, failure.stage === 'connect' ? '4.4.1' : '4.4.2', `${failure.stage}: ${failure.detail}`);
    }
    if (!failure.plaintextFallback) {
      return failed(451, tlsEnhancedCode(failure.resultType), tlsFailureText(decision, failure), failure.resultType);
    }
    // Opportunistic or MTA-STS testing: a failed STARTTLS/handshake may be retried without TLS (RFC 3207 §4.1).
    events.push({ kind: 'attempt', data: { ...where, tls: 'failed', tlsFailure: failure.resultType, error: failure.detail } });
    return plaintext(host, address, decision, ctx, key, failed);
  }
  const client = SmtpClient.adopt(outcome.connection, clientOptions(host, address, ctx));
  if (client === undefined) return failed(451, '4.4.2', `${remote} sent data nobody asked for after ${ctx.lmtp ? 'LHLO' : 'EHLO'}`);
  const trace = describeTls(decision, client);
  if (outcome.reportFailure?.resultType) trace.tlsReported = outcome.reportFailure.resultType;
  return { ok: true, client, key, reused: false, trace };
}

/** 4.7.4 when the server offers no TLS ("security features not supported"), else 4.7.5 (cryptographic failure). RFC 3463 §3.8. */
export function tlsEnhancedCode(resultType: TlsRptResultType): string {
  return resultType === 'starttls-not-supported' ? '4.7.4' : '4.7.5';
}

/** The per-recipient reply text for a TLS failure: mechanism, RFC 8460 result type and the detail. */
export function tlsFailureText(decision: Pick<TlsPolicyDecision, 'mechanism' | 'mxHost'>, failure: Pick<TlsSessionFailure, 'resultType' | 'detail'>): string {
  return `TLS required by the ${decision.mechanism} policy for ${decision.mxHost}: ${failure.resultType ?? 'tls-failure'}: ${failure.detail}`;
}

async function plaintext(
  host: string,
  address: string,
  decision: TlsPolicyDecision,
  ctx: SessionContext,
  key: string,
  failed: (code: number, enhanced: string, text: string) => Session,
): Promise<Session> {
  let client: SmtpClient;
  try {
    client = await SmtpClient.connect(clientOptions(host, address, ctx));
  } catch (error) {
    const stage = error instanceof SmtpConnectionError ? error.stage : 'connect';
    return failed(451, stage === 'connect' ? '4.4.1' : '4.4.2', (error as Error).message);
  }
  if (client.greeting?.code !== 220) {
    void client.quit();
    return failed(451, '4.4.2', `greeting: ${client.greeting?.code} ${client.greeting?.text}`);
  }
  // Parked under a key of its own: a plaintext fallback session is not what the decision asked for first.
  return { ok: true, client, key: `${key}|plaintext`, reused: false, trace: describeTls(decision, client) };
}

function clientOptions(host: string, address: string, ctx: SessionContext): SmtpConnectOptions {
  return {
    address, port: ctx.port, hostname: host, heloName: ctx.heloName, lmtp: ctx.lmtp,
    ...(ctx.connectTimeoutMs ? { connectTimeoutMs: ctx.connectTimeoutMs } : {}),
    ...(ctx.commandTimeoutMs ? { commandTimeoutMs: ctx.commandTimeoutMs } : {}),
  };
}

/** Records the session for TLS-RPT; a collector failure is reported, never a reason to fail the mail. */
async function record(decision: TlsPolicyDecision, outcome: SmtpTlsOutcome | undefined, address: string | undefined, ctx: SessionContext): Promise<void> {
  const collector = ctx.tls.collector;
  if (collector === undefined) return;
  const local = outcome?.ok === true ? outcome.connection.socket.localAddress : undefined;
  const entry = sessionOutcome({
    decision, at: ctx.clock.now(),
    ...(outcome ? { outcome } : {}),
    ...(address ? { receivingIp: address } : {}),
    ...(local ? { sendingMtaIp: local } : {}),
  });
  if (entry === undefined) return;
  try {
    await collector.record(entry);
  } catch (error) {
    ctx.onError?.(error);
  }
}

/** Records a blocked MX (not connected to) for TLS-RPT. */
export function recordBlocked(decision: TlsPolicyDecision, ctx: SessionContext): Promise<void> {
  return record(decision, undefined, undefined, ctx);
}

function describeTls(decision: TlsPolicyDecision, client: SmtpClient): SessionTlsTrace {
  const tls = client.tls;
  if (tls === undefined) return { mechanism: decision.mechanism, tls: 'none' };
  const verified = tls.authenticated && decision.requirements.authenticate !== 'none';
  return {
    mechanism: decision.mechanism,
    tls: `${tls.version} ${tls.cipher}${verified ? ' verified' : ''}`,
    tlsVersion: tls.version,
    tlsCipher: tls.cipher,
    tlsAuthentication: tls.authentication,
  };
}
