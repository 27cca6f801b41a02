// A real DNS server for tests: UDP and TCP on 127.0.0.1 (same port, chosen by the OS), answering from
// ZoneData by the same rules as ZoneResolver (see dns-server-response.ts), recording every query, with a
// hook for hostile tests to send arbitrary bytes. Its sockets are unref'd, and stop() closes them all.

import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import dnsPacket from 'dns-packet';
import type { DecodedPacket } from 'dns-packet';
import { Zone, type ZoneData } from './zone.js';
import { zoneResponse } from './dns-server-response.js';

export interface ReceivedQuery {
  id: number;
  /** The question name exactly as received (0x20 case kept), without the trailing dot. */
  name: string;
  type: string;
  transport: 'udp' | 'tcp';
  /** Where the query came from. */
  from: { address: string; port: number };
  /** The EDNS0 DO bit was set. */
  dnssecOk: boolean;
  /** The whole query as received. */
  raw: Buffer;
  packet: DecodedPacket;
}

/**
 * What a hook may answer: undefined for the normal zone answer, 'drop' for no answer, a message (framed with
 * a length prefix over TCP), several messages sent in order, or `{ raw }` bytes sent exactly as given
 * (no TCP framing: for bad length prefixes).
 */
export type QueryHookResult = Buffer | Buffer[] | { raw: Buffer } | 'drop' | undefined;

/** Ports tried before giving up on finding one free for both UDP and TCP. */
const BIND_ATTEMPTS = 20;

export class TestDnsServer {
  /** Every decodable query received, in order. */
  readonly queries: ReceivedQuery[] = [];
  /** Hostile-test hook, asked first for every query. */
  onQuery: ((query: ReceivedQuery) => QueryHookResult) | undefined;
  private zone: Zone;
  private readonly connections = new Set<Socket>();

  private constructor(
    zone: Zone,
    private readonly udp: UdpSocket,
    private readonly tcp: Server,
    /** The port both UDP and TCP listen on. */
    readonly port: number,
  ) {
    this.zone = zone;
    udp.on('message', (message, remote) => {
      this.handle(message, 'udp', remote, (bytes) => udp.send(bytes, remote.port, remote.address));
    });
    tcp.on('connection', (socket) => this.serveTcp(socket));
  }

  /** Starts a server on 127.0.0.1 with an OS-chosen port free for both UDP and TCP; rejects if none is found. */
  static async start(zone: ZoneData | Zone): Promise<TestDnsServer> {
    const data = zone instanceof Zone ? zone : new Zone(zone);
    for (let attempt = 0; attempt < BIND_ATTEMPTS; attempt++) {
      const udp = createSocket('udp4');
      udp.on('error', () => undefined); // Late errors (e.g. ICMP) must not crash a test run.
      await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
      const port = udp.address().port;
      const tcp = createServer();
      const listening = await new Promise<boolean>((resolve) => {
        tcp.once('error', () => resolve(false));
        tcp.listen(port, '127.0.0.1', () => resolve(true));
      });
      if (listening) {
        udp.unref();
        tcp.unref();
        return new TestDnsServer(data, udp, tcp, port);
      }
      udp.close();
    }
    throw new Error(`TestDnsServer: no port free for both UDP and TCP after ${BIND_ATTEMPTS} tries`);
  }

  /** `127.0.0.1:PORT`, the form `--dns` and createResolver take. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Serves another zone from now on. */
  setZone(zone: ZoneData | Zone): void {
    this.zone = zone instanceof Zone ? zone : new Zone(zone);
  }

  /** The message the server would send for this query from its zone, or undefined for silence (TIMEOUT). */
  respond(query: ReceivedQuery): Buffer | undefined {
    try {
      const response = zoneResponse(this.zone, query.packet, query.raw, query.transport);
      return response.kind === 'message' ? response.message : undefined;
    } catch {
      // Zone data the encoder rejects (a bad address, say): answer as a broken server would.
      const header = Buffer.from(query.raw.subarray(0, 12));
      header.writeUInt16BE(0x8182, 2);
      header.writeUInt16BE(0, 4);
      header.fill(0, 6, 12);
      return header;
    }
  }

  /** Closes both sockets and every open TCP connection. */
  async stop(): Promise<void> {
    for (const socket of this.connections) socket.destroy();
    this.connections.clear();
    await Promise.all([
      new Promise<void>((resolve) => this.udp.close(() => resolve())),
      new Promise<void>((resolve) => this.tcp.close(() => resolve())),
    ]);
  }

  private handle(
    raw: Buffer,
    transport: 'udp' | 'tcp',
    from: { address: string; port: number },
    send: (bytes: Buffer) => void,
  ): void {
    let packet: DecodedPacket;
    try {
      packet = dnsPacket.decode(raw);
    } catch {
      return; // Not a DNS query: a real server drops it too.
    }
    if (packet.type !== 'query') return;
    const question = packet.questions?.[0];
    const opt = packet.additionals?.find((rr) => rr.type === 'OPT');
    const query: ReceivedQuery = {
      id: packet.id ?? 0,
      name: question === undefined || question.name === '.' ? '' : question.name,
      type: question?.type ?? '',
      transport,
      from: { address: from.address, port: from.port },
      dnssecOk: opt !== undefined && (opt.flags & dnsPacket.DNSSEC_OK) !== 0,
      raw,
      packet,
    };
    this.queries.push(query);
    const hooked = this.onQuery?.(query);
    if (hooked === 'drop') return;
    if (hooked === undefined) {
      const response = this.respond(query);
      if (response !== undefined) send(frame(response, transport));
    } else if (Buffer.isBuffer(hooked)) send(frame(hooked, transport));
    else if (Array.isArray(hooked)) for (const message of hooked) send(frame(message, transport));
    else send(hooked.raw);
  }

  private serveTcp(socket: Socket): void {
    socket.unref();
    this.connections.add(socket);
    socket.on('close', () => this.connections.delete(socket));
    socket.on('error', () => socket.destroy());
    let buffered: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2) {
        const length = buffered.readUInt16BE(0);
        if (buffered.length < 2 + length) break;
        const message = Buffer.from(buffered.subarray(2, 2 + length));
        buffered = buffered.subarray(2 + length);
        const from = { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
        this.handle(message, 'tcp', from, (bytes) => {
          if (!socket.destroyed) socket.write(bytes);
        });
      }
    });
  }
}

/** Over TCP a message goes out with its two-byte length (RFC 1035 §4.2.2); callers keep it ≤ 65535 bytes. */
function frame(message: Buffer, transport: 'udp' | 'tcp'): Buffer {
  if (transport === 'udp') return message;
  const prefix = Buffer.alloc(2);
  prefix.writeUInt16BE(message.length & 0xffff);
  return Buffer.concat([prefix, message]);
}
