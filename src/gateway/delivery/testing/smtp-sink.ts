// A scripted SMTP/LMTP server for delivery tests: listens on 127.0.0.x, records every transaction it
// accepts, answers RCPT and end-of-data from hooks (so a test can say "550 for this address, 451 for that"),
// optionally offers STARTTLS with a given certificate. Built from data, records its calls; not a real MTA.

import { createServer, type Server, type Socket } from 'node:net';
import { TLSSocket, createSecureContext } from 'node:tls';

export interface SinkTransaction {
  mailFrom: string;
  recipients: string[];
  /** Message data, dot-unstuffed, without the final ".\r\n". */
  data: Buffer;
  /** The MAIL and RCPT commands exactly as received. */
  commands: string[];
  tls: boolean;
  connection: number;
}

export interface SmtpSinkOptions {
  host?: string;
  port?: number;
  lmtp?: boolean;
  /** EHLO keywords offered (default PIPELINING, 8BITMIME, SMTPUTF8, SIZE 10485760, DSN, ENHANCEDSTATUSCODES). */
  extensions?: string[];
  /** Offer STARTTLS with this key and certificate. */
  tls?: { key: string; cert: string };
  greeting?: string;
  /** Reply to RCPT TO for an address (default "250 2.1.5 ok"). */
  rcptReply?: (address: string) => string;
  /** Reply to the end of data (per recipient under LMTP; default "250 2.0.0 queued"). */
  dataReply?: (recipient: string, transaction: SinkTransaction) => string;
}

const DEFAULT_EXTENSIONS = ['PIPELINING', '8BITMIME', 'SMTPUTF8', 'SIZE 10485760', 'DSN', 'ENHANCEDSTATUSCODES'];

export class SmtpSink {
  readonly transactions: SinkTransaction[] = [];
  connections = 0;
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server, private readonly options: SmtpSinkOptions, readonly address: string, readonly port: number) {}

  /** Starts listening (default 127.0.0.1, an OS-chosen port). */
  static async start(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
    const server = createServer();
    const host = options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => resolve());
    });
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const sink = new SmtpSink(server, options, host, port);
    server.on('connection', (socket) => sink.serve(socket));
    return sink;
  }

  /** Accepted transactions' data per recipient address (for "delivered exactly once" checks). */
  receivedBy(address: string): SinkTransaction[] {
    return this.transactions.filter((t) => t.recipients.includes(address));
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private serve(raw: Socket): void {
    const id = ++this.connections;
    raw.setNoDelay(true);
    let socket: Socket = raw;
    this.sockets.add(raw);
    raw.on('close', () => this.sockets.delete(raw));
    raw.on('error', () => undefined);
    let tls = false;
    let buffer = Buffer.alloc(0);
    let inData = false;
    let current: SinkTransaction | undefined;
    const send = (line: string): void => {
      socket.write(line + '\r\n');
    };
    const ext = this.options.extensions ?? DEFAULT_EXTENSIONS;
    const onLine = (line: string): void => {
      const verb = line.slice(0, 4).toUpperCase();
      if (verb === 'EHLO' || verb === 'LHLO') {
        const offered = [...ext, ...(this.options.tls && !tls ? ['STARTTLS'] : [])];
        const all = ['sink.test', ...offered];
        all.forEach((text, i) => send(`250${i === all.length - 1 ? ' ' : '-'}${text}`));
      } else if (verb === 'HELO') send('250 sink.test');
      else if (verb === 'STAR' && this.options.tls) {
        send('220 2.0.0 go ahead');
        raw.removeAllListeners('data');
        const secure = new TLSSocket(raw, { isServer: true, secureContext: createSecureContext(this.options.tls) });
        secure.on('error', () => undefined);
        secure.on('data', onData);
        socket = secure;
        tls = true;
        buffer = Buffer.alloc(0);
      } else if (verb === 'MAIL') {
        current = { mailFrom: /<(.*?)>/.exec(line)?.[1] ?? '', recipients: [], data: Buffer.alloc(0), commands: [line], tls, connection: id };
        send('250 2.1.0 ok');
      } else if (verb === 'RCPT') {
        const address = /<(.*?)>/.exec(line)?.[1] ?? '';
        current?.commands.push(line);
        const reply = this.options.rcptReply?.(address) ?? '250 2.1.5 ok';
        if (reply.startsWith('2')) current?.recipients.push(address);
        send(reply);
      } else if (verb === 'DATA') {
        if (!current || current.recipients.length === 0) send('554 5.5.1 no valid recipients');
        else {
          inData = true;
          send('354 go ahead');
        }
      } else if (verb === 'RSET') {
        current = undefined;
        send('250 2.0.0 ok');
      } else if (verb === 'QUIT') {
        send('221 2.0.0 bye');
        socket.end();
      } else if (verb === 'NOOP') send('250 2.0.0 ok');
      else send('502 5.5.2 unknown command');
    };
    const onData = (chunk: Buffer): void => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          const atStart = buffer.subarray(0, 3).toString() === '.\r\n';
          if (end < 0 && !atStart) return;
          const body = atStart ? Buffer.alloc(0) : buffer.subarray(0, end + 2);
          buffer = buffer.subarray(atStart ? 3 : end + 5);
          inData = false;
          const transaction = current as SinkTransaction;
          transaction.data = Buffer.from(body.toString('latin1').replace(/^\.\./gm, '.'), 'latin1');
          this.transactions.push(transaction);
          current = undefined;
          const replyFor = (r: string): string => this.options.dataReply?.(r, transaction) ?? '250 2.0.0 queued';
          if (this.options.lmtp) for (const r of transaction.recipients) send(replyFor(r));
          else send(replyFor(transaction.recipients[0] ?? ''));
          continue;
        }
        const end = buffer.indexOf('\r\n');
        if (end < 0) return;
        const line = buffer.subarray(0, end).toString('latin1');
        buffer = buffer.subarray(end + 2);
        onLine(line);
      }
    };
    raw.on('data', onData);
    send(this.options.greeting ?? `220 sink.test ${this.options.lmtp ? 'LMTP' : 'ESMTP'} ready`);
  }
}
