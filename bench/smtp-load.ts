// A small SMTP load generator over raw TCP: each connection pipelines MAIL/RCPT/DATA (RFC 2920), sends the
// message, and times end-of-data → final reply. Used by the gateway bench (three servers, same load) and the
// whole-gateway crash test (which needs to know exactly which messages got a 250). setNoDelay on the socket:
// without it Nagle + delayed ACK add ~40 ms per reply under pipelining.

import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface SmtpReply {
  code: number;
  text: string;
}

/** One client connection that reads replies exactly as they arrive. */
export class SmtpLoadConnection {
  private buffer = '';
  private readonly replies: SmtpReply[] = [];
  private readonly waiters: { resolve: (r: SmtpReply) => void; reject: (e: Error) => void }[] = [];
  private closedError: Error | undefined;

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => this.onData(chunk));
    const fail = (error: Error) => {
      this.closedError ??= error;
      for (const w of this.waiters.splice(0)) w.reject(this.closedError);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed')));
  }

  /** Connects, reads the greeting and says EHLO; rejects unless both are 2xx. */
  static async open(host: string, port: number, ehlo = 'load.client.test'): Promise<SmtpLoadConnection> {
    const socket = connect({ host, port });
    const conn = new SmtpLoadConnection(socket);
    const greeting = await conn.next();
    if (greeting.code !== 220) throw new Error(`greeting ${greeting.code} ${greeting.text}`);
    socket.write(`EHLO ${ehlo}\r\n`);
    const ehloReply = await conn.next();
    if (ehloReply.code !== 250) throw new Error(`EHLO ${ehloReply.code} ${ehloReply.text}`);
    return conn;
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let lines: string[] = [];
    for (;;) {
      const end = this.buffer.indexOf('\r\n');
      if (end < 0) break;
      const line = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      lines.push(line);
      if (line[3] !== '-') {
        const reply = { code: Number(line.slice(0, 3)), text: lines.map((l) => l.slice(4)).join(' ') };
        lines = [];
        const waiter = this.waiters.shift();
        if (waiter) waiter.resolve(reply);
        else this.replies.push(reply);
      }
    }
    if (lines.length > 0) this.buffer = `${lines.join('\r\n')}\r\n${this.buffer}`;
  }

  /** The next reply. */
  next(): Promise<SmtpReply> {
    const ready = this.replies.shift();
    if (ready) return Promise.resolve(ready);
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /**
   * Sends one message (`data` with CRLF line ends, not yet dot-stuffed). Resolves with the final reply and the
   * time from writing the end-of-data dot to reading that reply; RSETs after a refused envelope.
   */
  async send(from: string, to: string, data: Buffer): Promise<SmtpReply & { latencyMs: number }> {
    this.socket.write(`MAIL FROM:<${from}>\r\nRCPT TO:<${to}>\r\nDATA\r\n`);
    const mail = await this.next();
    const rcpt = await this.next();
    const dataReply = await this.next();
    if (dataReply.code !== 354) {
      this.socket.write('RSET\r\n');
      await this.next();
      const refused = mail.code !== 250 ? mail : rcpt.code !== 250 ? rcpt : dataReply;
      return { ...refused, latencyMs: 0 };
    }
    const stuffed = data.includes('\n.') ? Buffer.from(data.toString('latin1').replace(/\r\n\./g, '\r\n..'), 'latin1') : data;
    this.socket.write(stuffed[0] === 0x2e ? Buffer.concat([Buffer.from('.'), stuffed]) : stuffed);
    const start = performance.now();
    this.socket.write('\r\n.\r\n');
    const final = await this.next();
    return { ...final, latencyMs: performance.now() - start };
  }

  async quit(): Promise<void> {
    if (this.closedError) return;
    this.socket.write('QUIT\r\n');
    await this.next().catch(() => undefined);
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export interface LoadOptions {
  host: string;
  port: number;
  connections: number;
  /** Stop after this many messages in total (each gets a sequence number from 0), or … */
  messages?: number;
  /** … after this long (ms). */
  durationMs?: number;
  from: string;
  to: string;
  /** The message for sequence number `seq` (CRLF line ends, ending in CRLF). */
  message: (seq: number) => Buffer;
  /** Told about every reply as it arrives (the crash test records 250s). */
  onReply?: (seq: number, reply: SmtpReply) => void;
}

export interface LoadResult {
  accepted: number;
  refused: number;
  /** Connection errors (a killed server). */
  errors: number;
  elapsedMs: number;
  /** End-of-data → 250, per accepted message, in ms. */
  latencies: number[];
}

/** Runs `connections` clients until `messages` are sent or `durationMs` passed; never rejects for server errors. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const result: LoadResult = { accepted: 0, refused: 0, errors: 0, elapsedMs: 0, latencies: [] };
  let nextSeq = 0;
  const start = performance.now();
  const more = () => (options.messages === undefined || nextSeq < options.messages) && (options.durationMs === undefined || performance.now() - start < options.durationMs);
  const client = async () => {
    let conn: SmtpLoadConnection;
    try {
      conn = await SmtpLoadConnection.open(options.host, options.port);
    } catch {
      result.errors++;
      return;
    }
    try {
      while (more()) {
        const seq = nextSeq++;
        const reply = await conn.send(options.from, options.to, options.message(seq));
        options.onReply?.(seq, reply);
        if (reply.code === 250) {
          result.accepted++;
          result.latencies.push(reply.latencyMs);
        } else {
          result.refused++;
        }
      }
      await conn.quit();
    } catch {
      result.errors++;
      conn.destroy();
    }
  };
  await Promise.all(Array.from({ length: options.connections }, client));
  result.elapsedMs = performance.now() - start;
  return result;
}

/** The p-th percentile (0–100) of `values` (nearest rank). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

/** A ~`bytes`-byte message carrying its sequence number in X-Seq, lines of 76 characters. */
export function loadMessage(seq: number, bytes = 10_240, from = 'load@client.test', to = 'postmaster@mailflow.test'): Buffer {
  const head = `From: <${from}>\r\nTo: <${to}>\r\nSubject: load ${seq}\r\nX-Seq: ${seq}\r\nMessage-ID: <${seq}.${Date.now()}@client.test>\r\n\r\n`;
  const line = `${'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(3).slice(0, 76)}\r\n`;
  return Buffer.from(head + line.repeat(Math.max(1, Math.ceil((bytes - head.length) / line.length))), 'latin1');
}
