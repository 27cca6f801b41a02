// Shared parts of the gateway SMTP tests: an in-memory MessageSink, certificates made with the openssl CLI in a
// temporary directory, a config builder, and a raw SMTP client over real TCP/TLS on 127.0.0.1 that reads replies
// exactly as they arrive (so tests can check pipelining, early talkers and smuggling byte by byte).

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GatewayConfig } from '../../src/gateway/config-types.js';
import type { IncomingMessage, MessageSink } from '../../src/gateway/message-sink.js';
import { hashPassword } from '../../src/gateway/policy/accounts.js';
import { startSmtpGateway, type SmtpGateway } from '../../src/gateway/smtp/server.js';

export class MemorySink implements MessageSink {
  readonly messages: IncomingMessage[] = [];
  /** Set to make enqueue fail (a broken disk). */
  failWith: Error | undefined;
  private next = 1;

  enqueue(message: IncomingMessage): Promise<{ id: string }> {
    if (this.failWith) return Promise.reject(this.failWith);
    this.messages.push(message);
    return Promise.resolve({ id: `M${this.next++}` });
  }
}

export interface TestCerts {
  dir: string;
  caPem: string;
  serverKey: string;
  serverCert: string;
  /** A client certificate for `relay.example.net`, signed by the CA. */
  clientKey: string;
  clientCert: string;
  /** A client certificate with another name. */
  otherClientKey: string;
  otherClientCert: string;
  /** A client certificate from a CA we do not trust, with the right name. */
  rogueClientKey: string;
  rogueClientCert: string;
  dispose(): void;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** A CA, a server certificate for mx.example.com and client certificates, all P-256, made with openssl. */
export function makeCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'mailflow-smtp-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  const makeCa = (name: string) => openssl(dir, ['req', '-x509', ...ec, '-keyout', `${name}.key`, '-out', `${name}.pem`, '-subj', `/CN=${name}`, '-days', '2', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign']);
  makeCa('ca');
  makeCa('rogue');
  let serial = 1;
  const leaf = (name: string, cn: string, ca: string, eku: string) => {
    writeFileSync(join(dir, `${name}.ext`), `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=${eku}\nsubjectAltName=DNS:${cn}\n`);
    openssl(dir, ['req', '-new', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
    openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-set_serial', String(serial++), '-days', '2', '-out', `${name}.pem`, '-extfile', `${name}.ext`]);
  };
  leaf('server', 'mx.example.com', 'ca', 'serverAuth');
  leaf('client', 'relay.example.net', 'ca', 'clientAuth');
  leaf('other', 'other.example.net', 'ca', 'clientAuth');
  leaf('roguec', 'relay.example.net', 'rogue', 'clientAuth');
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  return {
    dir,
    caPem: read('ca.pem'),
    serverKey: read('server.key'),
    serverCert: read('server.pem'),
    clientKey: read('client.key'),
    clientCert: read('client.pem'),
    otherClientKey: read('other.key'),
    otherClientCert: read('other.pem'),
    rogueClientKey: read('roguec.key'),
    rogueClientCert: read('roguec.pem'),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** scrypt at a low cost so tests stay fast; production hashes use SCRYPT_N. */
export const TEST_SCRYPT = { n: 1024 };

export const PASSWORDS = { alice: 'correct horse battery', relayapp: 'app-secret-123' };

/** A config with an inbound and a submission listener on 127.0.0.1:0, ours = example.com + example.org. */
export async function testConfig(certs: TestCerts | undefined, overrides: Partial<GatewayConfig> = {}): Promise<GatewayConfig> {
  return {
    hostname: 'mx.example.com',
    listeners: [
      { role: 'inbound', host: '127.0.0.1', port: 0 },
      ...(certs ? [{ role: 'submission' as const, host: '127.0.0.1', port: 0 }, { name: 'submissions', role: 'submission' as const, host: '127.0.0.1', port: 0, tls: 'implicit' as const }] : []),
    ],
    acceptedDomains: [{ domain: 'example.com' }, { domain: 'example.org', mailboxes: ['postmaster', 'info'] }],
    accounts: [
      {
        username: 'alice@example.com',
        passwordHash: await hashPassword(PASSWORDS.alice, TEST_SCRYPT),
        fromAddresses: ['alice@example.com', 'sales@example.com', '*@news.example.com'],
      },
      { username: 'limited', passwordHash: await hashPassword('limited-pw', TEST_SCRYPT), fromAddresses: ['limited@example.com'], messagesPerHour: 2 },
    ],
    connectors: [
      { name: 'crm', ips: ['127.0.0.2', '10.0.0.0/8'] },
      { name: 'v6app', ips: ['2001:db8::/32'] },
    ],
    directSend: { enabled: true, rejectOwnDomainFrom: true },
    limits: { idleTimeoutMs: 5_000 },
    ...(certs ? { tls: { key: certs.serverKey, cert: certs.serverCert, clientCa: certs.caPem } } : {}),
    ...overrides,
  };
}

export async function startTestGateway(config: GatewayConfig, sink = new MemorySink()): Promise<{ gateway: SmtpGateway; sink: MemorySink; port: (name: string) => number }> {
  const gateway = await startSmtpGateway(config, { sink });
  return { gateway, sink, port: (name) => gateway.listener(name).address.port };
}

export interface Reply {
  code: number;
  lines: string[];
  /** The whole reply text as received. */
  text: string;
}

/**
 * A raw SMTP client. `read()` returns the next complete reply; `send()` writes bytes as they are.
 * Use it for what real clients never do on purpose.
 */
export class RawClient {
  private buffer = '';
  private waiters: Array<() => void> = [];
  closed = false;
  private socket: Socket | TLSSocket;

  private constructor(socket: Socket | TLSSocket) {
    this.socket = socket;
    this.listen(socket);
  }

  private listen(socket: Socket | TLSSocket): void {
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      this.buffer += d;
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('end', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {
      this.closed = true;
      this.wake();
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  static connect(port: number, options: { tls?: boolean; host?: string; localAddress?: string; cert?: string; key?: string } = {}): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const host = options.host ?? '127.0.0.1';
      const socket = options.tls
        ? tlsConnect({
            socket: netConnect({ port, host, localAddress: options.localAddress }),
            rejectUnauthorized: false,
            servername: 'mx.example.com',
            cert: options.cert,
            key: options.key,
          })
        : netConnect({ port, host, localAddress: options.localAddress });
      socket.once(options.tls ? 'secureConnect' : 'connect', () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  send(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Closes our sending side only (half-close). */
  halfClose(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** The next complete reply; rejects on timeout or when the connection closes first. */
  async read(timeoutMs = 3000): Promise<Reply> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const reply = this.take();
      if (reply) return reply;
      if (this.closed) throw new Error(`connection closed; pending: ${JSON.stringify(this.buffer)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no reply within ${timeoutMs} ms; pending: ${JSON.stringify(this.buffer)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Reads `n` replies. */
  async readMany(n: number, timeoutMs = 3000): Promise<Reply[]> {
    const out: Reply[] = [];
    for (let i = 0; i < n; i++) out.push(await this.read(timeoutMs));
    return out;
  }

  /** Sends a command and reads its reply. */
  async command(line: string): Promise<Reply> {
    this.send(`${line}\r\n`);
    return this.read();
  }

  /** Resolves once the server has closed the connection (or rejects after the timeout). */
  async waitClosed(timeoutMs = 3000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('connection still open');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Everything received and not yet parsed as replies. */
  get pending(): string {
    return this.buffer;
  }

  /** Upgrades to TLS after a 220 to STARTTLS. */
  async startTls(options: { cert?: string; key?: string } = {}): Promise<void> {
    const raw = this.socket as Socket;
    raw.removeAllListeners('data');
    raw.removeAllListeners('end');
    raw.removeAllListeners('close');
    const secure = tlsConnect({ socket: raw, rejectUnauthorized: false, servername: 'mx.example.com', cert: options.cert, key: options.key });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', () => resolve());
      secure.once('error', reject);
    });
    this.socket = secure;
    this.listen(secure);
  }

  private take(): Reply | undefined {
    const lines: string[] = [];
    let pos = 0;
    for (;;) {
      const end = this.buffer.indexOf('\r\n', pos);
      if (end < 0) return undefined;
      const line = this.buffer.slice(pos, end);
      pos = end + 2;
      lines.push(line.slice(4));
      if (line[3] !== '-') {
        const text = this.buffer.slice(0, pos);
        this.buffer = this.buffer.slice(pos);
        return { code: Number(line.slice(0, 3)), lines, text };
      }
    }
  }
}

/** Connects, reads the greeting and sends EHLO; returns the client and the EHLO reply. */
export async function ehloClient(port: number, options: { tls?: boolean; localAddress?: string } = {}): Promise<{ client: RawClient; ehlo: Reply }> {
  const client = await RawClient.connect(port, options);
  const greeting = await client.read();
  if (greeting.code !== 220) throw new Error(`greeting ${greeting.text}`);
  const ehlo = await client.command('EHLO client.example.net');
  return { client, ehlo };
}

/** A small valid message with the given From. */
export function message(from: string, to = 'someone@example.com', body = 'Hello.'): string {
  return `From: ${from}\r\nTo: ${to}\r\nSubject: test\r\nMessage-ID: <${Math.random().toString(36).slice(2)}@client.example.net>\r\n\r\n${body}\r\n`;
}
