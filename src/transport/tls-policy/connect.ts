// The outbound SMTP connection that applies a TLS policy decision (RFC 3207 STARTTLS): connect, banner,
// EHLO, STARTTLS, handshake, our own certificate checks per mechanism, EHLO again. It hands back an open
// connection to continue the SMTP transaction, or a structured failure with its RFC 8460 result type and
// whether plaintext is still allowed (never where the mechanism forbids it).

import { readFile } from 'node:fs/promises';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, rootCertificates, type TLSSocket } from 'node:tls';
import type { Clock } from '../../core/clock.js';
import { systemClock } from '../../core/clock.js';
import { presentedChain, safeSummary, verifyPeer, type CertificateSummary } from './peer-verify.js';
import { ReplyError, ReplyReader, type SmtpReply } from './smtp-reply.js';
import type { TlsPolicyDecision, TlsRptResultType } from './types.js';

/** Postfix smtp_connect_timeout is 30 s. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
/** Per reply. RFC 5321 §4.5.3.2 allows 5 minutes for the banner; a probe or a busy queue waits less. */
export const DEFAULT_REPLY_TIMEOUT_MS = 60_000;
/** Postfix smtp_starttls_timeout is 300 s; a handshake that takes 30 s is a stalled server. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 30_000;

export interface SmtpTlsConnectOptions {
  /** Address (or name) to connect to. */
  host: string;
  /** Default 25. */
  port?: number;
  /** Our EHLO name. */
  heloName: string;
  connectTimeoutMs?: number;
  replyTimeoutMs?: number;
  handshakeTimeoutMs?: number;
  /** Certificate dates are judged on this clock (default the system clock). */
  clock?: Clock;
  /** Extra PEM CAs trusted for WebPKI alongside the system roots (private PKI, tests). */
  extraCa?: readonly string[];
  /** The PEM of `requirements.caFile`, when the caller has read it already (otherwise it is read here). */
  caPem?: string;
  /** Speak LMTP (RFC 2033): LHLO instead of EHLO, and no HELO fallback. */
  lmtp?: boolean;
}

/** Where the session stopped. */
export type SmtpTlsStage = 'connect' | 'banner' | 'ehlo' | 'starttls' | 'handshake' | 'verify' | 'ehlo-tls';

export interface TlsSessionFailure {
  stage: SmtpTlsStage;
  /** The RFC 8460 result type; absent when the failure is not about TLS (connection refused, 5xx banner). */
  resultType?: TlsRptResultType;
  detail: string;
  /** The mechanism allows retrying this host without TLS (opportunistic, MTA-STS testing). */
  plaintextFallback: boolean;
  /** The server's reply, when a reply ended the session. */
  reply?: SmtpReply;
}

export interface TlsDetails {
  version: string;
  cipher: string;
  /** The server met `requirements.authenticate` (always true for 'none'). */
  authenticated: boolean;
  /** How it was authenticated, or why not (testing mode). */
  authentication: string;
  peer?: CertificateSummary;
  chainLength: number;
}

/** An open SMTP session after EHLO (over TLS when `tls` is set), ready for MAIL FROM. */
export interface SmtpTlsConnection {
  socket: Socket | TLSSocket;
  tls?: TlsDetails;
  banner: SmtpReply;
  /** The last EHLO (or HELO) reply. */
  ehlo: SmtpReply;
  /** EHLO keywords, upper-case (`PIPELINING`, `SIZE`, …). */
  extensions: string[];
  /** Sends one command line (without CRLF) and reads its reply. */
  command(line: string): Promise<SmtpReply>;
  /** QUIT and close. */
  close(): Promise<void>;
  destroy(): void;
  /**
   * Hands the socket over to another SMTP client (the delivery engine's, which pipelines): stops reading
   * replies and returns the socket. Undefined when the server sent bytes nobody asked for (the caller then
   * destroys the connection: unsolicited data is a protocol violation).
   */
  release(): Socket | TLSSocket | undefined;
}

export type SmtpTlsOutcome =
  | { ok: true; connection: SmtpTlsConnection; /** A failure to report although the session goes on (testing, no STARTTLS when optional). */ reportFailure?: TlsSessionFailure }
  | { ok: false; failure: TlsSessionFailure };

type Decision = Pick<TlsPolicyDecision, 'mechanism' | 'requirements'>;

/**
 * Opens an SMTP session to `options.host` and secures it as `decision` requires. Never throws for
 * network, protocol or certificate outcomes. The caller owns the returned connection and must close it.
 */
export async function connectSmtpTls(decision: Decision, options: SmtpTlsConnectOptions): Promise<SmtpTlsOutcome> {
  const req = decision.requirements;
  const optional = req.tls === 'optional';
  const timeouts = {
    connect: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    reply: options.replyTimeoutMs ?? DEFAULT_REPLY_TIMEOUT_MS,
    handshake: options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
  };
  const fail = (stage: SmtpTlsStage, detail: string, resultType?: TlsRptResultType, reply?: SmtpReply, fallback = false): SmtpTlsOutcome => ({
    ok: false,
    failure: { stage, detail, plaintextFallback: fallback && optional, ...(resultType ? { resultType } : {}), ...(reply ? { reply } : {}) },
  });

  let ca: string[] | undefined;
  if (req.authenticate === 'webpki') {
    try {
      ca = req.caFile !== undefined ? [options.caPem ?? (await readFile(req.caFile, 'utf8'))] : options.extraCa?.length ? [...rootCertificates, ...options.extraCa] : undefined;
    } catch (error) {
      return fail('connect', `cannot read CA file ${req.caFile}: ${(error as Error).message}`, 'validation-failure');
    }
  }

  const socket = await openTcp(options.host, options.port ?? 25, timeouts.connect);
  if (!('socket' in socket)) return fail('connect', socket.error);
  const plain = socket.socket;
  let reader = new ReplyReader(plain);
  let current: Socket = plain;
  const send = async (line: string): Promise<SmtpReply> => {
    current.write(`${line}\r\n`);
    return reader.next(timeouts.reply);
  };
  const abort = (outcome: SmtpTlsOutcome): SmtpTlsOutcome => {
    reader.detach();
    current.destroy();
    plain.destroy();
    return outcome;
  };

  try {
    const banner = await reader.next(timeouts.reply);
    if (banner.code !== 220) return abort(fail('banner', `banner ${banner.code} ${banner.lines.join(' ')}`, undefined, banner));
    const hello = options.lmtp === true ? 'LHLO' : 'EHLO';
    let ehlo = await send(`${hello} ${options.heloName}`);
    const noStarttls = (detail: string, reply?: SmtpReply): TlsSessionFailure => ({ stage: 'starttls', resultType: 'starttls-not-supported', detail, plaintextFallback: optional, ...(reply ? { reply } : {}) });
    if (ehlo.code !== 250) {
      if (!optional) return abort(fail('ehlo', `${hello} refused: ${ehlo.code} ${ehlo.lines.join(' ')}`, 'starttls-not-supported', ehlo));
      if (options.lmtp === true) return abort(fail('ehlo', `LHLO refused: ${ehlo.code} ${ehlo.lines.join(' ')}`, undefined, ehlo));
      const helo = await send(`HELO ${options.heloName}`);
      if (helo.code !== 250) return abort(fail('ehlo', `HELO refused: ${helo.code} ${helo.lines.join(' ')}`, undefined, helo));
      return { ok: true, connection: makeConnection(plain, reader, banner, helo, undefined, timeouts.reply), reportFailure: noStarttls('EHLO refused: no STARTTLS possible') };
    }
    if (!keywords(ehlo).includes('STARTTLS')) {
      if (!optional) return abort({ ok: false, failure: noStarttls('the server does not offer STARTTLS') });
      return { ok: true, connection: makeConnection(plain, reader, banner, ehlo, undefined, timeouts.reply), reportFailure: noStarttls('the server does not offer STARTTLS') };
    }
    const starttls = await send('STARTTLS');
    if (starttls.code !== 220) return abort({ ok: false, failure: noStarttls(`STARTTLS refused: ${starttls.code} ${starttls.lines.join(' ')}`, starttls) });
    if (reader.pendingBytes > 0) {
      // RFC 3207 §5 / CVE-2011-0411: anything after the 220 and before the handshake is an injection.
      return abort(fail('starttls', 'the server sent data after its STARTTLS reply', 'validation-failure', undefined, true));
    }
    reader.detach();

    const handshake = await startTls(plain, {
      servername: req.servername,
      minVersion: req.minVersion,
      ...(ca ? { ca } : {}),
    }, timeouts.handshake);
    if (!('socket' in handshake)) return abort(fail('handshake', handshake.error, 'validation-failure', undefined, true));
    const secure = handshake.socket;
    current = secure;
    const verified = verifyPeer(secure, req, options.clock ?? systemClock);
    const chain = presentedChain(secure);
    const leaf = chain[0];
    const peer = leaf ? safeSummary(leaf) : undefined;
    const cipher = secure.getCipher();
    let reportFailure: TlsSessionFailure | undefined;
    if (!verified.ok) {
      const failure: TlsSessionFailure = { stage: 'verify', resultType: verified.resultType, detail: verified.detail, plaintextFallback: false };
      // MTA-STS testing (RFC 8461 §5): report and deliver anyway, over this TLS session.
      if (!optional) return abort({ ok: false, failure });
      reportFailure = failure;
    }
    const tls: TlsDetails = {
      version: secure.getProtocol() ?? 'unknown',
      cipher: cipher.name,
      authenticated: verified.ok,
      authentication: verified.detail,
      ...(peer ? { peer } : {}),
      chainLength: chain.length,
    };
    reader = new ReplyReader(secure);
    ehlo = await send(`${hello} ${options.heloName}`);
    if (ehlo.code !== 250) return abort(fail('ehlo-tls', `${hello} after STARTTLS refused: ${ehlo.code} ${ehlo.lines.join(' ')}`, undefined, ehlo));
    const connection = makeConnection(secure, reader, banner, ehlo, tls, timeouts.reply);
    return reportFailure ? { ok: true, connection, reportFailure } : { ok: true, connection };
  } catch (error) {
    if (!(error instanceof ReplyError)) throw error;
    const stage: SmtpTlsStage = current === plain ? 'ehlo' : 'ehlo-tls';
    // A session that dies right after STARTTLS went through is a TLS failure; before it, a network one.
    return abort(fail(stage, `${error.code}: ${error.message}`, current === plain ? undefined : 'validation-failure'));
  }
}

function keywords(ehlo: SmtpReply): string[] {
  return ehlo.lines.slice(1).map((l) => (l.split(' ')[0] ?? '').toUpperCase());
}

function makeConnection(socket: Socket, reader: ReplyReader, banner: SmtpReply, ehlo: SmtpReply, tls: TlsDetails | undefined, replyTimeoutMs: number): SmtpTlsConnection {
  return {
    socket,
    ...(tls ? { tls } : {}),
    banner,
    ehlo,
    extensions: keywords(ehlo),
    command: (line: string) => {
      if (/[\r\n]/.test(line)) return Promise.reject(new RangeError('an SMTP command line cannot contain CR or LF'));
      socket.write(`${line}\r\n`);
      return reader.next(replyTimeoutMs);
    },
    close: async () => {
      try {
        socket.write('QUIT\r\n');
        await reader.next(Math.min(replyTimeoutMs, 5_000));
      } catch {
        // The server may close first; QUIT is a courtesy.
      } finally {
        reader.detach();
        socket.destroy();
      }
    },
    destroy: () => {
      reader.detach();
      socket.destroy();
    },
    release: () => {
      const unsolicited = reader.pendingBytes > 0;
      reader.detach();
      return unsolicited ? undefined : socket;
    },
  };
}

function openTcp(host: string, port: number, timeoutMs: number): Promise<{ socket: Socket } | { error: string }> {
  return new Promise((resolve) => {
    const socket = netConnect({ host, port });
    socket.setNoDelay(true);
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ error: `connect to ${host}:${port}: timeout after ${timeoutMs} ms` });
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve({ socket });
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ error: `connect to ${host}:${port}: ${error.code ?? error.message}` });
    });
  });
}

function startTls(
  socket: Socket,
  options: { servername: string; minVersion: 'TLSv1.2' | 'TLSv1.3'; ca?: string[] },
  timeoutMs: number,
): Promise<{ socket: TLSSocket } | { error: string }> {
  return new Promise((resolve) => {
    const secure = tlsConnect({
      socket,
      servername: options.servername,
      minVersion: options.minVersion,
      ...(options.ca ? { ca: options.ca } : {}),
      // Our own checks follow (peer-verify.ts), with RFC 8460 result types; Node's would only say "error".
      rejectUnauthorized: false,
      checkServerIdentity: () => undefined,
    });
    const timer = setTimeout(() => {
      secure.destroy();
      resolve({ error: `TLS handshake: no answer within ${timeoutMs} ms` });
    }, timeoutMs);
    secure.once('secureConnect', () => {
      clearTimeout(timer);
      secure.removeAllListeners('error');
      secure.on('error', () => undefined); // Later errors surface through the reply reader.
      resolve({ socket: secure });
    });
    secure.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ error: `TLS handshake: ${error.code ?? ''} ${error.message}`.trim() });
    });
  });
}
