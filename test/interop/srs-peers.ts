// The two independent SRS implementations the interop test talks to:
// - PostSRSd (Debian postsrsd, 1.x): a daemon answering Postfix tcp_table lookups (`get ADDR` → `200 X` | `500 msg`)
//   on two ports of 127.0.0.1, one for forward and one for reverse.
// - Mail::SRS::Guarded (Debian libmail-srs-perl), driven in batch by srs-mailsrs-driver.pl.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

export const POSTSRSD = '/usr/sbin/postsrsd';
const PERL_DRIVER = fileURLToPath(new URL('./srs-mailsrs-driver.pl', import.meta.url));
const START_DEADLINE_MS = 5_000;
const REPLY_DEADLINE_MS = 5_000;

/** Null when PostSRSd can run, else what is missing and how to install it. */
export function postsrsdMissing(): string | null {
  const probe = spawnSync(POSTSRSD, ['-v'], { encoding: 'utf8' });
  if (probe.error) return `cannot run ${POSTSRSD} (apt-get install postsrsd): ${probe.error.message}`;
  return null;
}

/** Null when Mail::SRS can be loaded by the system perl, else what is missing. */
export function mailSrsMissing(): string | null {
  const probe = spawnSync('/usr/bin/perl', ['-MMail::SRS', '-e', 'print $Mail::SRS::VERSION'], { encoding: 'utf8' });
  if (probe.error) return `cannot run /usr/bin/perl: ${probe.error.message}`;
  if (probe.status !== 0) return `Mail::SRS is not installed (apt-get install libmail-srs-perl): ${probe.stderr.trim()}`;
  return null;
}

export function postsrsdVersion(): string {
  return spawnSync(POSTSRSD, ['-v'], { encoding: 'utf8' }).stdout.trim();
}

/** A free TCP port on 127.0.0.1 (the OS picks; closed again before use, a tiny race we accept in tests). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Postfix tcp_table encoding: %XX for '%', space, controls and non-ASCII. */
function tcpEncode(text: string): string {
  return Array.from(Buffer.from(text, 'utf8'))
    .map((b) => (b <= 0x20 || b === 0x25 || b >= 0x7f ? `%${b.toString(16).padStart(2, '0').toUpperCase()}` : String.fromCharCode(b)))
    .join('');
}

function tcpDecode(text: string): string {
  return Buffer.from(text.replace(/%([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1').toString('utf8');
}

export type PeerReply = { ok: true; address: string } | { ok: false; message: string };

/** One persistent tcp_table connection: requests go one at a time, replies are single lines. */
class TcpTableClient {
  private buffer = '';
  private waiting: ((line: string) => void) | null = null;
  constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      const nl = this.buffer.indexOf('\n');
      if (nl >= 0 && this.waiting) {
        const line = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 1);
        const done = this.waiting;
        this.waiting = null;
        done(line);
      }
    });
  }
  static open(port: number): Promise<TcpTableClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(new TcpTableClient(socket)));
      socket.once('error', reject);
    });
  }
  get(key: string): Promise<PeerReply> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`postsrsd: no reply to 'get ${key}'`)), REPLY_DEADLINE_MS);
      this.waiting = (line) => {
        clearTimeout(timer);
        const code = line.slice(0, 3);
        const rest = tcpDecode(line.slice(4));
        resolve(code === '200' ? { ok: true, address: rest } : { ok: false, message: `${code} ${rest}` });
      };
      this.socket.write(`get ${tcpEncode(key)}\n`);
    });
  }
  close(): void {
    this.socket.destroy();
  }
}

/** A running PostSRSd daemon on two loopback ports; stop() ends it. */
export class PostsrsdPeer {
  private constructor(
    private readonly child: ChildProcess,
    private readonly fwd: TcpTableClient,
    private readonly rev: TcpTableClient,
    readonly log: () => string,
  ) {}

  static async start(secretFile: string, domain: string): Promise<PostsrsdPeer> {
    const forwardPort = await freePort();
    const reversePort = await freePort();
    const args = ['-s', secretFile, '-d', domain, '-l', '127.0.0.1', '-f', String(forwardPort), '-r', String(reversePort), '-4'];
    const child = spawn(POSTSRSD, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
    const deadline = Date.now() + START_DEADLINE_MS;
    for (;;) {
      try {
        const fwd = await TcpTableClient.open(forwardPort);
        const rev = await TcpTableClient.open(reversePort);
        return new PostsrsdPeer(child, fwd, rev, () => output);
      } catch (error) {
        if (child.exitCode !== null || Date.now() > deadline) {
          child.kill('SIGKILL');
          throw new Error(`postsrsd did not start (${(error as Error).message}): ${output}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  forward(address: string): Promise<PeerReply> {
    return this.fwd.get(address);
  }
  reverse(address: string): Promise<PeerReply> {
    return this.rev.get(address);
  }

  async stop(): Promise<void> {
    this.fwd.close();
    this.rev.close();
    if (this.child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    await exited;
  }
}

export interface MailSrsRequest {
  op: 'forward' | 'reverse';
  address: string;
}

/** Runs a batch through Mail::SRS::Guarded with the given secrets and alias domain (real clock, MaxAge 21). */
export function runMailSrs(secrets: string[], domain: string, requests: MailSrsRequest[]): PeerReply[] {
  const input = JSON.stringify({ secrets, domain, requests });
  const out = spawnSync('/usr/bin/perl', [PERL_DRIVER], { input, encoding: 'utf8', timeout: 60_000 });
  if (out.error || out.status !== 0) throw new Error(`Mail::SRS driver failed: ${out.error?.message ?? out.stderr}`);
  const replies = JSON.parse(out.stdout) as PeerReply[];
  if (replies.length !== requests.length) throw new Error(`Mail::SRS driver answered ${replies.length} of ${requests.length}`);
  return replies;
}
