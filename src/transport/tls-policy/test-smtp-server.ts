// A scripted SMTP server on 127.0.0.1 for the outbound TLS client's tests: STARTTLS offered or not, a
// certificate chosen by the test, and hostile behaviours (garbage or silence after STARTTLS, huge banners,
// bytes injected after the 220). Records the commands it saw. stop() closes every socket.

import { createServer, type Server, type Socket } from 'node:net';
import { TLSSocket, createSecureContext, type SecureContext } from 'node:tls';

export interface TestSmtpServerOptions {
  /** PEM certificate (leaf first, then the chain) and key; needed when STARTTLS is offered. */
  certPem?: string;
  keyPem?: string;
  /** Advertise STARTTLS (default true). */
  starttls?: boolean;
  /** What happens after STARTTLS: a TLS handshake (default), a refusal, garbage bytes, silence, or bytes injected after the 220. */
  afterStarttls?: 'tls' | 'refuse' | 'garbage' | 'stall' | 'inject';
  /** The banner line (default `220 mx.test ESMTP`); 'stall' sends nothing. */
  banner?: string | 'stall';
  /** Highest TLS version the server speaks. */
  maxVersion?: 'TLSv1.2' | 'TLSv1.3';
}

export class TestSmtpServer {
  /** Every command line received (plaintext and TLS), in order. */
  readonly commands: string[] = [];
  /** The SNI names clients sent. */
  readonly servernames: string[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly context: SecureContext | undefined;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly options: TestSmtpServerOptions,
  ) {
    this.context = options.certPem && options.keyPem ? createSecureContext({ cert: options.certPem, key: options.keyPem, ...(options.maxVersion ? { maxVersion: options.maxVersion } : {}) }) : undefined;
    server.on('connection', (socket) => this.serve(socket));
  }

  static async start(options: TestSmtpServerOptions = {}): Promise<TestSmtpServer> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    return new TestSmtpServer(server, port, options);
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
  }

  private serve(socket: Socket): void {
    this.track(socket);
    const banner = this.options.banner ?? '220 mx.test ESMTP';
    if (banner !== 'stall') socket.write(`${banner}\r\n`);
    this.lines(socket, false);
  }

  private lines(socket: Socket, secure: boolean): void {
    let buffer = '';
    const onData = (chunk: Buffer): void => {
      buffer += chunk.toString('latin1');
      let at: number;
      while ((at = buffer.indexOf('\r\n')) !== -1) {
        const line = buffer.slice(0, at);
        buffer = buffer.slice(at + 2);
        this.commands.push(line);
        if (this.command(socket, line, secure, onData)) return;
      }
    };
    socket.on('data', onData);
  }

  /** Answers one command; returns true when the socket was handed over (STARTTLS). */
  private command(socket: Socket, line: string, secure: boolean, onData: (chunk: Buffer) => void): boolean {
    const verb = line.split(' ')[0]?.toUpperCase() ?? '';
    if (verb === 'EHLO') {
      const offer = !secure && this.options.starttls !== false;
      socket.write(`250-mx.test greets you\r\n250-PIPELINING\r\n${offer ? '250-STARTTLS\r\n' : ''}250 8BITMIME\r\n`);
    } else if (verb === 'HELO') {
      socket.write('250 mx.test\r\n');
    } else if (verb === 'STARTTLS' && !secure) {
      const mode = this.options.afterStarttls ?? 'tls';
      if (mode === 'refuse') {
        socket.write('454 4.7.0 TLS not available\r\n');
        return false;
      }
      socket.off('data', onData);
      if (mode === 'garbage') socket.write('220 go ahead\r\nthis is not a TLS server hello at all\r\n'.repeat(4));
      else if (mode === 'inject') socket.write('220 go ahead\r\n250 injected\r\n');
      else socket.write('220 2.0.0 go ahead\r\n');
      if (mode === 'tls' && this.context) {
        const tls = new TLSSocket(socket, {
          isServer: true,
          secureContext: this.context,
          SNICallback: (name, cb) => {
            this.servernames.push(name);
            cb(null, this.context);
          },
        });
        this.track(tls);
        this.lines(tls, true);
      }
      return true;
    } else if (verb === 'QUIT') {
      socket.end('221 2.0.0 bye\r\n');
    } else {
      socket.write('250 2.0.0 ok\r\n');
    }
    return false;
  }
}
