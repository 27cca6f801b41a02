// A small SMTP/LMTP client for delivery: one connection, one transaction at a time, every reply kept
// (per RCPT, and per recipient after DATA for LMTP, RFC 2033 §4.2). STARTTLS and certificate checks are not
// here: connectSmtpTls applies the TLS policy decision and this client adopts the session. It speaks EHLO/LHLO
// (plaintext sessions), PIPELINING (MAIL and RCPTs sent together), SIZE, SMTPUTF8, 8BITMIME and DSN parameters, and RSET for
// connection reuse. Sockets get setNoDelay(true): a pipelined client must not wait for Nagle.

import { connect as netConnect, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { SmtpTlsConnection } from '../../transport/tls-policy/connect.js';
import type { DsnEnvelope, DsnRecipient } from '../message-sink.js';
import { dotStuff } from './dot-stuff.js';

/** Longest reply line we accept (RFC 5321 §4.5.3.1.5 says 512; servers exceed it, so allow more). */
export const MAX_REPLY_LINE_BYTES = 4_096;
/** Most lines in one multi-line reply (EHLO lists ~20). */
export const MAX_REPLY_LINES = 100;
/** Connect + greeting timeout (RFC 5321 §4.5.3.2.1 suggests 5 min for the greeting; we give up sooner). */
export const CONNECT_TIMEOUT_MS = 30_000;
/** Timeout for each command's reply (RFC 5321 §4.5.3.2: MAIL 5 min, RCPT 5 min, DATA end 10 min). */
export const COMMAND_TIMEOUT_MS = 300_000;

export interface SmtpReply {
  code: number;
  /** RFC 3463 code from the reply text when the server gave one, else ''. */
  enhanced: string;
  /** Text of all lines, joined with a space, enhanced code removed. */
  text: string;
}

export interface SmtpConnectOptions {
  /** IP address to connect to. */
  address: string;
  port: number;
  /** The host name we meant (MX name), for TLS SNI and the trace. */
  hostname: string;
  /** Our name for EHLO/LHLO. */
  heloName: string;
  lmtp?: boolean;
  connectTimeoutMs?: number;
  commandTimeoutMs?: number;
}

export interface SmtpTransaction {
  mailFrom: string;
  recipients: { address: string; dsn?: DsnRecipient }[];
  data: Buffer;
  smtputf8: boolean;
  body: '7BIT' | '8BITMIME' | 'BINARYMIME';
  dsn?: DsnEnvelope;
}

export interface SmtpTransactionResult {
  /** The reply to MAIL FROM. */
  mail: SmtpReply;
  /** Per recipient: the RCPT reply if it was refused, else the reply to the end of data (LMTP: its own). */
  recipients: SmtpReply[];
}

/** The connection failed (network, timeout, protocol). Code 'smtp-connection'. */
export class SmtpConnectionError extends Error {
  readonly code = 'smtp-connection';
  constructor(message: string, readonly stage: string) {
    super(message);
    this.name = 'SmtpConnectionError';
  }
}

/** Parses "250-…" / "250 …" lines into one reply; enhanced codes are taken from the first line. */
export function parseReply(lines: string[]): SmtpReply {
  const code = Number(lines[0]?.slice(0, 3));
  const texts = lines.map((line) => line.slice(4));
  const match = /^([245]\.\d{1,3}\.\d{1,3})\s+/.exec(texts[0] ?? '');
  const enhanced = match?.[1] ?? '';
  const text = texts.map((t) => t.replace(/^[245]\.\d{1,3}\.\d{1,3}\s+/, '')).join(' ');
  return { code, enhanced, text };
}

export class SmtpClient {
  /** EHLO keywords, upper-case, with their parameters. */
  readonly extensions = new Map<string, string>();
  greeting: SmtpReply | undefined;
  /** Set when the session runs over TLS: version, cipher, and whether the policy's authentication passed. */
  tls: { version: string; cipher: string; authenticated: boolean; authentication: string } | undefined;
  /** Transactions run on this connection (for the reuse limit). */
  transactions = 0;
  private socket: Socket | TLSSocket;
  private buffer = '';
  private lines: string[] = [];
  private waiting: ((lines: string[] | Error) => void)[] = [];
  private replies: (string[] | Error)[] = [];
  private closedError: Error | undefined;

  private constructor(socket: Socket, readonly options: SmtpConnectOptions) {
    this.socket = socket;
    this.attach(socket);
  }

  /** Connects, reads the greeting and says EHLO/LHLO (HELO if EHLO is refused). Rejects with SmtpConnectionError. */
  static async connect(options: SmtpConnectOptions): Promise<SmtpClient> {
    const timeout = options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = netConnect({ host: options.address, port: options.port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new SmtpConnectionError(`connect to ${options.address}:${options.port} timed out`, 'connect'));
      }, timeout);
      s.once('connect', () => {
        clearTimeout(timer);
        resolve(s);
      });
      s.once('error', (error) => {
        clearTimeout(timer);
        reject(new SmtpConnectionError(`connect to ${options.address}:${options.port}: ${error.message}`, 'connect'));
      });
    });
    socket.setNoDelay(true);
    const client = new SmtpClient(socket, options);
    try {
      client.greeting = await client.reply(timeout, 'greeting');
      if (client.greeting.code === 220) await client.hello();
    } catch (error) {
      client.destroy();
      throw error;
    }
    return client;
  }

  /**
   * Takes over a session that connectSmtpTls (src/transport/tls-policy) opened: banner, EHLO/LHLO, STARTTLS
   * and the certificate checks of the TLS policy decision are done there, in one place; this client runs the
   * transactions. Undefined (and the connection destroyed) when the server sent unsolicited bytes.
   */
  static adopt(connection: SmtpTlsConnection, options: SmtpConnectOptions): SmtpClient | undefined {
    const socket = connection.release();
    if (socket === undefined) {
      connection.destroy();
      return undefined;
    }
    const client = new SmtpClient(socket, options);
    client.greeting = { code: connection.banner.code, enhanced: '', text: connection.banner.lines.join(' ') };
    client.setExtensions(connection.ehlo.lines.slice(1));
    if (connection.tls !== undefined) {
      const { version, cipher, authenticated, authentication } = connection.tls;
      client.tls = { version, cipher, authenticated, authentication };
    }
    return client;
  }

  /**
   * Runs one mail transaction. MAIL and RCPTs are pipelined when the server offers PIPELINING. If no
   * recipient is accepted the transaction is reset and DATA never sent. Throws SmtpConnectionError when
   * the connection breaks: the caller then treats the outcome of every unanswered recipient as unknown (4xx).
   */
  async send(transaction: SmtpTransaction): Promise<SmtpTransactionResult> {
    this.transactions++;
    const mailCommand = this.mailCommand(transaction);
    const rcptCommands = transaction.recipients.map((r) => this.rcptCommand(r.address, r.dsn));
    let mail: SmtpReply;
    const rcptReplies: SmtpReply[] = [];
    if (this.extensions.has('PIPELINING')) {
      this.write([mailCommand, ...rcptCommands].map((c) => c + '\r\n').join(''));
      mail = await this.reply(this.commandTimeout(), 'MAIL');
      for (let i = 0; i < rcptCommands.length; i++) rcptReplies.push(await this.reply(this.commandTimeout(), 'RCPT'));
    } else {
      mail = await this.command(mailCommand);
      if (mail.code === 250) for (const c of rcptCommands) rcptReplies.push(await this.command(c));
    }
    if (mail.code !== 250) {
      await this.reset();
      return { mail, recipients: transaction.recipients.map(() => mail) };
    }
    const accepted = rcptReplies.map((r, i) => (r.code >= 200 && r.code < 300 ? i : -1)).filter((i) => i >= 0);
    if (accepted.length === 0) {
      await this.reset();
      return { mail, recipients: rcptReplies };
    }
    const go = await this.command('DATA');
    if (go.code !== 354) {
      return { mail, recipients: rcptReplies.map((r, i) => (accepted.includes(i) ? go : r)) };
    }
    this.write(Buffer.concat([dotStuff(transaction.data), Buffer.from('.\r\n')]));
    const results = [...rcptReplies];
    if (this.options.lmtp === true) {
      for (const i of accepted) results[i] = await this.reply(this.commandTimeout(), 'DATA');
    } else {
      const final = await this.reply(this.commandTimeout(), 'DATA');
      for (const i of accepted) results[i] = final;
    }
    return { mail, recipients: results };
  }

  /** RSET, for reusing the connection; resolves false when the server did not answer 250. */
  async reset(): Promise<boolean> {
    return (await this.command('RSET')).code === 250;
  }

  /** QUIT politely (errors ignored) and closes. */
  async quit(): Promise<void> {
    try {
      if (this.closedError === undefined) await this.command('QUIT', 5_000);
    } catch {
      // The server hung up first: fine.
    }
    this.destroy();
  }

  get closed(): boolean {
    return this.closedError !== undefined;
  }

  destroy(): void {
    this.closedError ??= new SmtpConnectionError('connection closed', 'close');
    this.socket.destroy();
  }

  private async hello(): Promise<void> {
    const verb = this.options.lmtp === true ? 'LHLO' : 'EHLO';
    let reply = await this.command(`${verb} ${this.options.heloName}`, undefined, true);
    if (reply.code !== 250 && this.options.lmtp !== true) reply = await this.command(`HELO ${this.options.heloName}`);
    if (reply.code !== 250) throw new SmtpConnectionError(`${verb} refused: ${reply.code} ${reply.text}`, 'helo');
  }

  /** EHLO reply lines after the first (text without the code) → keywords and parameters. */
  private setExtensions(texts: string[]): void {
    this.extensions.clear();
    for (const text of texts) {
      const [keyword, ...params] = text.trim().split(/\s+/);
      if (keyword) this.extensions.set(keyword.toUpperCase(), params.join(' '));
    }
  }

  private mailCommand(t: SmtpTransaction): string {
    let command = `MAIL FROM:<${t.mailFrom}>`;
    if (this.extensions.has('SIZE')) command += ` SIZE=${t.data.length}`;
    if (t.body !== '7BIT' && this.extensions.has('8BITMIME')) command += ` BODY=${t.body === 'BINARYMIME' ? '8BITMIME' : t.body}`;
    if (t.smtputf8 && this.extensions.has('SMTPUTF8')) command += ' SMTPUTF8';
    if (t.dsn !== undefined && this.extensions.has('DSN')) {
      if (t.dsn.ret !== undefined) command += ` RET=${t.dsn.ret}`;
      if (t.dsn.envid !== undefined) command += ` ENVID=${t.dsn.envid}`;
    }
    return command;
  }

  private rcptCommand(address: string, dsn: DsnRecipient | undefined): string {
    let command = `RCPT TO:<${address}>`;
    if (dsn !== undefined && this.extensions.has('DSN')) {
      if (dsn.notify !== undefined) command += ` NOTIFY=${dsn.notify.join(',')}`;
      if (dsn.orcpt !== undefined) command += ` ORCPT=${dsn.orcpt}`;
    }
    return command;
  }

  private commandTimeout(): number {
    return this.options.commandTimeoutMs ?? COMMAND_TIMEOUT_MS;
  }

  private async command(line: string, timeoutMs?: number, isHello = false): Promise<SmtpReply> {
    this.write(line + '\r\n');
    const lines = await this.rawReply(timeoutMs ?? this.commandTimeout(), line.split(' ')[0] ?? line);
    if (isHello) this.setExtensions(lines.slice(1).map((l) => l.slice(4)));
    return parseReply(lines);
  }

  private async reply(timeoutMs: number, stage: string): Promise<SmtpReply> {
    return parseReply(await this.rawReply(timeoutMs, stage));
  }

  private rawReply(timeoutMs: number, stage: string): Promise<string[]> {
    const ready = this.replies.shift();
    if (ready !== undefined) return ready instanceof Error ? Promise.reject(ready) : Promise.resolve(ready);
    if (this.closedError !== undefined) return Promise.reject(this.closedError);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.closedError ??= new SmtpConnectionError(`timeout waiting for the ${stage} reply`, stage);
        this.destroy();
        const index = this.waiting.indexOf(settle);
        if (index >= 0) this.waiting.splice(index, 1);
        reject(this.closedError);
      }, timeoutMs);
      const settle = (lines: string[] | Error): void => {
        clearTimeout(timer);
        if (lines instanceof Error) reject(lines);
        else resolve(lines);
      };
      this.waiting.push(settle);
    });
  }

  private write(data: string | Buffer): void {
    if (this.closedError === undefined) this.socket.write(data);
  }

  private attach(socket: Socket): void {
    socket.on('data', (chunk: Buffer) => this.onData(chunk.toString('latin1')));
    socket.on('error', (error) => this.fail(new SmtpConnectionError(error.message, 'io')));
    socket.on('close', () => this.fail(new SmtpConnectionError('connection closed by the server', 'io')));
  }

  private onData(text: string): void {
    this.buffer += text;
    let end: number;
    while ((end = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, end).replace(/\r$/, '');
      this.buffer = this.buffer.slice(end + 1);
      if (line.length > MAX_REPLY_LINE_BYTES || !/^\d{3}([ -]|$)/.test(line) || this.lines.length >= MAX_REPLY_LINES) {
        this.fail(new SmtpConnectionError(`malformed reply line: ${line.slice(0, 80)}`, 'protocol'));
        this.destroy();
        return;
      }
      this.lines.push(line);
      if (line[3] !== '-') {
        const lines = this.lines;
        this.lines = [];
        const waiter = this.waiting.shift();
        if (waiter) waiter(lines);
        else this.replies.push(lines);
      }
    }
    if (this.buffer.length > MAX_REPLY_LINE_BYTES) {
      this.fail(new SmtpConnectionError('reply line too long', 'protocol'));
      this.destroy();
    }
  }

  private fail(error: Error): void {
    this.closedError ??= error;
    for (const waiter of this.waiting.splice(0)) waiter(this.closedError);
  }
}
