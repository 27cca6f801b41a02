// Reading SMTP replies (RFC 5321 §4.2) from a socket, with limits: the framing half of the outbound client.
// A reader owns the socket's 'data' events until detached (before STARTTLS hands the socket to TLS).

import type { Socket } from 'node:net';

/** RFC 5321 §4.5.3.1.5 allows 512 octets per reply line; we accept twice that before calling it hostile. */
export const MAX_REPLY_LINE_BYTES = 1024;
/** Lines in one multi-line reply (an EHLO lists a few dozen extensions at most). */
export const MAX_REPLY_LINES = 100;

export interface SmtpReply {
  code: number;
  /** Text of each line, without the code and separator. */
  lines: string[];
}

/** Why reading a reply failed. Stable codes. */
export type ReplyErrorCode = 'timeout' | 'closed' | 'line-too-long' | 'too-many-lines' | 'malformed';

export class ReplyError extends Error {
  constructor(
    readonly code: ReplyErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ReplyError';
  }
}

type Waiter = { resolve: (reply: SmtpReply) => void; reject: (error: ReplyError) => void; timer: NodeJS.Timeout };

/** Reads replies one at a time from a socket. Never buffers more than one line over the limits. */
export class ReplyReader {
  private buffer: Buffer = Buffer.alloc(0);
  private lines: string[] = [];
  private replies: SmtpReply[] = [];
  private failure: ReplyError | undefined;
  private waiter: Waiter | undefined;
  private readonly onData = (chunk: Buffer): void => this.push(chunk);
  private readonly onEnd = (): void => this.fail(new ReplyError('closed', 'the server closed the connection'));
  private readonly onError = (error: Error): void => this.fail(new ReplyError('closed', `connection error: ${error.message}`));

  constructor(private readonly socket: Socket) {
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onEnd);
    socket.on('error', this.onError);
  }

  /** The next reply, or a ReplyError after `timeoutMs` or on hostile framing. */
  next(timeoutMs: number): Promise<SmtpReply> {
    const ready = this.replies.shift();
    if (ready) return Promise.resolve(ready);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<SmtpReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new ReplyError('timeout', `no complete reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = { resolve, reject, timer };
    });
  }

  /** Bytes received and not yet part of a reply (must be none when STARTTLS hands the socket over). */
  get pendingBytes(): number {
    return this.buffer.length + this.lines.reduce((n, l) => n + l.length, 0) + this.replies.length;
  }

  /** Stops listening to the socket. */
  detach(): void {
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    this.socket.off('close', this.onEnd);
    this.socket.off('error', this.onError);
    if (this.waiter) {
      clearTimeout(this.waiter.timer);
      this.waiter = undefined;
    }
  }

  private push(chunk: Buffer): void {
    if (this.failure) return;
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    let newline: number;
    while ((newline = this.buffer.indexOf(0x0a)) !== -1) {
      const line = this.buffer.subarray(0, newline > 0 && this.buffer[newline - 1] === 0x0d ? newline - 1 : newline);
      this.buffer = this.buffer.subarray(newline + 1);
      if (line.length > MAX_REPLY_LINE_BYTES) return this.fail(new ReplyError('line-too-long', `a reply line is over ${MAX_REPLY_LINE_BYTES} bytes`));
      this.line(line.toString('latin1'));
      if (this.failure) return;
    }
    if (this.buffer.length > MAX_REPLY_LINE_BYTES) this.fail(new ReplyError('line-too-long', `a reply line is over ${MAX_REPLY_LINE_BYTES} bytes`));
  }

  private line(text: string): void {
    const m = /^([2-5][0-9][0-9])([ -]|$)(.*)$/.exec(text);
    if (m === null) return this.fail(new ReplyError('malformed', `not an SMTP reply line: ${JSON.stringify(text.slice(0, 80))}`));
    const code = Number(m[1]);
    if (this.lines.length > 0 && this.currentCode !== code) return this.fail(new ReplyError('malformed', 'reply code changed inside a multi-line reply'));
    this.currentCode = code;
    this.lines.push(m[3] ?? '');
    if (this.lines.length > MAX_REPLY_LINES) return this.fail(new ReplyError('too-many-lines', `a reply has more than ${MAX_REPLY_LINES} lines`));
    if (m[2] === '-') return;
    const reply = { code, lines: this.lines };
    this.lines = [];
    if (this.waiter) {
      const { resolve, timer } = this.waiter;
      clearTimeout(timer);
      this.waiter = undefined;
      resolve(reply);
    } else {
      this.replies.push(reply);
    }
  }

  private currentCode = 0;

  private fail(error: ReplyError): void {
    if (this.failure) return;
    this.failure = error;
    if (this.waiter) {
      const { reject, timer } = this.waiter;
      clearTimeout(timer);
      this.waiter = undefined;
      reject(error);
    }
  }
}
