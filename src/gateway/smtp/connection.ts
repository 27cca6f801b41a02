// One client connection: wires the socket to the framing (command lines, DATA, BDAT) and the framing to the
// session, sends the session's replies, runs STARTTLS / implicit TLS, and enforces the idle and session timeouts.
// Commands are handled one at a time in order; replies to pipelined commands are sent together when the client's
// input is used up (RFC 2920 §3.2). Reading pauses when a client floods us faster than we answer.

import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import { LineReader } from './framing/line-reader.js';
import { DotDataReader, type LineEndingGuard } from './framing/data-reader.js';
import { MessageCollector } from './framing/collector.js';
import { formatReply, Replies, type SmtpReply } from './reply.js';
import { SmtpSession } from './session.js';
import type { GatewayRuntime, ResolvedListener } from './runtime.js';
import type { Next, VerbResult } from './verb.js';
import { endOfMessage } from './verbs/message-end.js';
import type { ClientCertificate } from '../policy/connectors.js';
import { publish } from './events.js';

/** Buffered unprocessed input beyond which we stop reading until the session catches up. */
export const INPUT_HIGH_WATER_BYTES = 256 * 1024;
/** Unsent output beyond which we stop processing commands until the client reads (it pipelines but never reads). */
export const OUTPUT_HIGH_WATER_BYTES = 1024 * 1024;
/** After our final reply, how long the client has to close before we destroy the socket. */
export const CLOSE_GRACE_MS = 5_000;

type Mode =
  | { kind: 'command' }
  | { kind: 'data'; reader: DotDataReader; collector: MessageCollector }
  | { kind: 'bdat'; remaining: number; into: LineEndingGuard | undefined; done: () => Promise<SmtpReply> }
  | { kind: 'tls' }
  | { kind: 'closed' };

export class SmtpConnection {
  readonly session: SmtpSession;
  /** Resolves once the socket is closed. */
  readonly closed: Promise<void>;

  private socket: Socket;
  private readonly lines: LineReader;
  private mode: Mode = { kind: 'tls' };
  private lineHandler: ((line: string) => Promise<VerbResult>) | undefined;
  private pendingTask: (() => Promise<SmtpReply>) | undefined;
  private busy = false;
  private out = '';
  private inputEnded = false;
  private paused = false;
  private shuttingDown = false;
  private sessionTimer: NodeJS.Timeout | undefined;
  private resolveClosed!: () => void;
  private readonly onData = (chunk: Buffer) => this.receive(chunk);
  private readonly onEnd = () => this.inputEnd();
  private readonly onError = () => this.destroy();

  constructor(
    private readonly raw: Socket,
    runtime: GatewayRuntime,
    private readonly listener: ResolvedListener,
    /** The client as a trusted proxy named it (PROXY protocol); default the socket's peer. */
    clientAddress?: { ip: string; port: number },
  ) {
    this.socket = raw;
    this.lines = new LineReader(runtime.limits.maxLineBytes);
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    const client = clientAddress ?? { ip: normalizeIp(raw.remoteAddress ?? ''), port: raw.remotePort ?? 0 };
    this.session = new SmtpSession(runtime, listener, client, { hasPipelinedInput: () => this.lines.hasBuffered() });
    raw.setNoDelay(true);
    raw.setTimeout(runtime.limits.idleTimeoutMs);
    raw.on('timeout', () => this.idle());
    raw.on('error', this.onError);
    raw.once('close', () => this.cleanup());
    this.sessionTimer = setTimeout(() => this.abort(Replies.sessionTimeout()), runtime.limits.sessionTimeoutMs);
    this.sessionTimer.unref();
  }

  /** Greets the client at once (no greeting delay), or first runs the TLS handshake on an implicit-TLS listener. */
  start(): void {
    if (this.listener.tls === 'implicit') {
      this.startTls(true);
      return;
    }
    this.attach(this.raw);
    this.mode = { kind: 'command' };
    this.send(this.session.greeting());
    this.flush();
  }

  /** Ends the session politely (graceful shutdown): 421 now if idle, else after the current command. */
  shutdown(): void {
    this.shuttingDown = true;
    if (!this.busy && this.mode.kind === 'command') this.abort(Replies.shuttingDown());
  }

  /** Drops the connection without a reply. */
  destroy(): void {
    this.mode = { kind: 'closed' };
    this.raw.destroy();
  }

  private attach(socket: Socket): void {
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    if (socket !== this.raw) socket.on('error', this.onError);
  }

  private receive(chunk: Buffer): void {
    switch (this.mode.kind) {
      case 'command':
        this.lines.push(chunk);
        if (this.lines.bufferedBytes() > INPUT_HIGH_WATER_BYTES && !this.paused) {
          this.paused = true;
          this.socket.pause();
        }
        break;
      case 'data':
        this.feedData(chunk);
        break;
      case 'bdat':
        this.feedBdat(chunk);
        break;
      case 'tls':
      case 'closed':
        return;
    }
    this.kick();
  }

  private feedData(chunk: Buffer): void {
    if (this.mode.kind !== 'data') return;
    const rest = this.mode.reader.push(chunk);
    if (rest === undefined) return;
    const result = this.mode.collector.finish();
    this.mode = { kind: 'command' };
    this.pendingTask = () => endOfMessage(this.session, result);
    if (rest.length) this.lines.push(rest);
  }

  private feedBdat(chunk: Buffer): void {
    if (this.mode.kind !== 'bdat') return;
    const take = Math.min(this.mode.remaining, chunk.length);
    if (take > 0) this.mode.into?.push(take === chunk.length ? chunk : chunk.subarray(0, take));
    this.mode.remaining -= take;
    if (this.mode.remaining > 0) return;
    this.pendingTask = this.mode.done;
    this.mode = { kind: 'command' };
    if (take < chunk.length) this.lines.push(chunk.subarray(take));
  }

  private kick(): void {
    this.pump().catch(() => this.abort(Replies.localError()));
  }

  /** Handles buffered input, one command (or message end) at a time, until more input is needed. */
  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      while (this.mode.kind !== 'closed' && this.mode.kind !== 'tls') {
        if (this.pendingTask) {
          const task = this.pendingTask;
          this.pendingTask = undefined;
          this.send(await task());
          continue;
        }
        if (this.mode.kind !== 'command') break;
        if (this.shuttingDown) {
          this.send(Replies.shuttingDown());
          break;
        }
        if (this.socket.writableLength + this.out.length > OUTPUT_HIGH_WATER_BYTES) {
          this.flush();
          this.socket.once('drain', () => this.kick());
          break;
        }
        const event = this.lines.next();
        if (!event) break;
        let result: VerbResult;
        if (event.kind === 'too-long') {
          this.lineHandler = undefined;
          result = { reply: this.session.lineTooLong() };
        } else if (this.lineHandler) {
          const handler = this.lineHandler;
          this.lineHandler = undefined;
          result = await handler(event.line.toString('latin1'));
        } else {
          result = await this.session.command(event.line);
        }
        if (result.reply) this.send(result.reply);
        if (result.next && this.mode.kind === 'command') this.apply(result.next);
      }
    } finally {
      this.busy = false;
    }
    if (this.mode.kind === 'closed' || this.mode.kind === 'tls') return;
    this.flush();
    if (this.paused && !this.lines.hasBuffered()) {
      this.paused = false;
      this.socket.resume();
    }
    if (this.inputEnded && this.mode.kind === 'command' && !this.pendingTask) this.close();
  }

  private apply(next: Next): void {
    switch (next.kind) {
      case 'data': {
        const collector = new MessageCollector(this.session.limits);
        this.mode = { kind: 'data', reader: new DotDataReader(collector, this.session.runtime.normalizeBareLineEndings), collector };
        const rest = this.lines.takeBuffered();
        if (rest.length) this.feedData(rest);
        break;
      }
      case 'bdat': {
        this.mode = { kind: 'bdat', remaining: next.size, into: next.into, done: next.done };
        const rest = this.lines.takeBuffered();
        if (next.size === 0) {
          this.pendingTask = next.done;
          this.mode = { kind: 'command' };
          if (rest.length) this.lines.push(rest);
        } else if (rest.length) {
          this.feedBdat(rest);
        }
        break;
      }
      case 'line':
        this.lineHandler = next.handler;
        break;
      case 'starttls':
        this.startTls(false);
        break;
    }
  }

  /** Queues a reply (through the session's accounting); a closing reply ends the connection. */
  private send(reply: SmtpReply): void {
    if (this.mode.kind === 'closed') return;
    for (const r of this.session.settle(reply)) {
      this.out += formatReply(r);
      if (r.close) {
        this.close();
        return;
      }
    }
  }

  private flush(): void {
    if (this.out === '' || this.socket.destroyed) return;
    this.socket.write(this.out);
    this.out = '';
  }

  private startTls(greet: boolean): void {
    const tls = this.session.runtime.tls;
    if (!tls) return this.destroy();
    this.flush();
    this.mode = { kind: 'tls' };
    this.socket.removeListener('data', this.onData);
    this.socket.removeListener('end', this.onEnd);
    const secure = new TLSSocket(this.raw, {
      isServer: true,
      secureContext: tls.context,
      requestCert: tls.requestCert,
      rejectUnauthorized: false,
      ...(tls.contextFor === undefined ? {} : { SNICallback: sniCallback(tls.contextFor) }),
    });
    this.socket = secure;
    secure.on('error', (error: Error) => {
      publish({ type: 'tls-error', listener: this.listener.name, ip: this.session.client.ip, message: error.message });
      this.destroy();
    });
    secure.once('secure', () => {
      const cipher = secure.getCipher();
      const info = { version: secure.getProtocol() ?? 'unknown', cipher: cipher?.name ?? 'unknown' };
      publish({ type: 'tls', listener: this.listener.name, ip: this.session.client.ip, ...info });
      this.session.tlsEstablished(info, tls.requestCert ? clientCertificate(secure) : undefined);
      secure.on('data', this.onData);
      secure.on('end', this.onEnd);
      this.mode = { kind: 'command' };
      if (greet) this.send(this.session.greeting());
      this.flush();
      this.kick();
    });
  }

  private inputEnd(): void {
    this.inputEnded = true;
    if (this.mode.kind === 'data' || this.mode.kind === 'bdat') {
      // The client closed in the middle of a message: nothing was accepted, nothing is queued.
      this.session.resetTransaction();
      this.close();
      return;
    }
    if (this.mode.kind === 'command') this.kick();
  }

  private idle(): void {
    // The client is waiting for us (a slow sink or policy stage): that is not the client being idle.
    if (this.busy || this.mode.kind === 'closed') return;
    this.abort(Replies.idleTimeout());
  }

  private abort(reply: SmtpReply): void {
    if (this.mode.kind === 'closed') return;
    if (this.mode.kind === 'tls') return this.destroy();
    this.send(this.session.abort(reply));
  }

  private close(): void {
    if (this.mode.kind === 'closed') return;
    this.flush();
    this.mode = { kind: 'closed' };
    this.socket.end();
    setTimeout(() => this.raw.destroy(), CLOSE_GRACE_MS).unref();
  }

  private cleanup(): void {
    this.mode = { kind: 'closed' };
    clearTimeout(this.sessionTimer);
    const durationMs = this.session.runtime.clock.now() - this.session.startedAt;
    publish({ type: 'close', listener: this.listener.name, ip: this.session.client.ip, durationMs, messages: this.session.messages });
    this.resolveClosed();
  }
}

/** `::ffff:192.0.2.1` → `192.0.2.1`: a dual-stack listener reports IPv4 clients in mapped form. */
export function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

function clientCertificate(socket: TLSSocket): ClientCertificate | undefined {
  const cert = socket.getPeerCertificate();
  if (!cert || Object.keys(cert).length === 0) return undefined;
  const names: string[] = [];
  const cn = cert.subject?.CN;
  if (typeof cn === 'string') names.push(cn.toLowerCase());
  for (const part of (cert.subjectaltname ?? '').split(/,\s*/)) {
    if (part.startsWith('DNS:')) names.push(part.slice(4).toLowerCase());
  }
  return { authorized: peerVerified(socket), names };
}

/**
 * Whether OpenSSL verified the client certificate against `tls.clientCa`. Node sets `authorized` only on
 * sockets a tls.Server made; for a socket we upgrade ourselves (STARTTLS, implicit TLS on a net.Server) we
 * ask the handle what tls.Server's own check asks (`verifyError()`, null when the chain verified). Fails
 * closed when that internal is missing, so a Node change can only turn certificate connectors off, not open.
 */
function peerVerified(socket: TLSSocket): boolean {
  if (socket.authorized) return true;
  const handle = (socket as unknown as { _handle?: { verifyError?: () => unknown } })._handle;
  if (typeof handle?.verifyError !== 'function') return false;
  return handle.verifyError() == null;
}

/** Node's SNICallback shape over a synchronous chooser. */
function sniCallback(contextFor: (servername: string) => SecureContext): (servername: string, done: (error: Error | null, context?: SecureContext) => void) => void {
  return (servername, done) => done(null, contextFor(servername));
}
