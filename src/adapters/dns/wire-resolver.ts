// The real DNS client: asks the configured recursive resolvers over UDP, falls back to TCP when the answer
// is truncated, and reports the AD bit as `secure`. Hardened against off-path spoofing the usual ways
// (RFC 5452): random 16-bit ID from crypto, fresh source port per query, 0x20 case randomisation of the
// name, and an answer is accepted only when ID, source and the exact question bytes match.

import { randomBytes, randomInt } from 'node:crypto';
import dnsPacket from 'dns-packet';
import type { DecodedPacket } from 'dns-packet';
import type { DnsAnswer, DnsResolver, ResolveOptions, RRType } from '../../core/dns/types.js';
import { normalizeName } from '../../core/dns/types.js';
import { MAX_CNAME_CHAIN } from '../../core/dns/limits.js';
import { interpretResponse } from './codec.js';
import { DnsServerListError, formatServer, parseServer, type ServerAddress } from './server-list.js';
import { udpExchange } from './transport-udp.js';
import { tcpExchange } from './transport-tcp.js';
import type { ExchangeRequest, ExchangeResult } from './transport.js';

/** Per-query wait: recursive resolvers answer cached names in milliseconds and cold ones within ~1 s;
 * 2 s leaves room for a slow authority without stalling an SMTP session for long. */
export const DEFAULT_TIMEOUT_MS = 2_000;

/** Tries per server (glibc's `attempts:2` default): one lost UDP datagram should not fail a lookup. */
export const DEFAULT_ATTEMPTS = 2;

/** EDNS0 UDP payload size we advertise: 1232 bytes avoids IP fragmentation (DNS Flag Day 2020). */
export const EDNS_UDP_PAYLOAD = 1_232;

/** Upper bound on timeoutMs, so a typo cannot hang a gateway for minutes. */
export const MAX_TIMEOUT_MS = 60_000;

export interface WireResolverOptions {
  /** Servers as `host[:port]`, `[v6]:port` or parsed addresses; tried in order. */
  servers: readonly (string | ServerAddress)[];
  timeoutMs?: number;
  attempts?: number;
  /** 0x20 case randomisation of the query name (default true); turn off for servers that do not echo case. */
  caseRandomization?: boolean;
}

/** Thrown when WireResolver options are invalid (programmer or configuration error). */
export class WireResolverOptionsError extends Error {
  readonly code = 'DNS_BAD_OPTIONS';
}

type Exchange = { kind: 'packet'; packet: DecodedPacket } | { kind: 'failed'; answer: DnsAnswer } | ExchangeFailure;
type ExchangeFailure = { kind: 'timeout'; detail: string } | { kind: 'aborted' };

const ABORTED: DnsAnswer = { kind: 'error', error: 'timeout', detail: 'aborted' };

export class WireResolver implements DnsResolver {
  readonly servers: readonly ServerAddress[];
  readonly timeoutMs: number;
  readonly attempts: number;
  private readonly caseRandomization: boolean;

  /** Validates the options; throws DnsServerListError or WireResolverOptionsError when they are wrong. */
  constructor(options: WireResolverOptions) {
    this.servers = options.servers.map((entry) => {
      if (typeof entry !== 'string') return entry;
      const parsed = parseServer(entry);
      if (!parsed.ok) throw new DnsServerListError(parsed.error);
      return parsed.value;
    });
    if (this.servers.length === 0) throw new WireResolverOptionsError('at least one DNS server is needed');
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.attempts = options.attempts ?? DEFAULT_ATTEMPTS;
    if (!Number.isInteger(this.timeoutMs) || this.timeoutMs < 1 || this.timeoutMs > MAX_TIMEOUT_MS) {
      throw new WireResolverOptionsError(`timeoutMs must be an integer from 1 to ${MAX_TIMEOUT_MS}`);
    }
    if (!Number.isInteger(this.attempts) || this.attempts < 1 || this.attempts > 5) {
      throw new WireResolverOptionsError('attempts must be an integer from 1 to 5');
    }
    this.caseRandomization = options.caseRandomization ?? true;
  }

  /**
   * Resolves one name and type. Never throws: every outcome, including an abort (`timeout`, detail 'aborted'),
   * is a DnsAnswer. Follows a CNAME chain the server left unfinished by querying its target, bounded by
   * MAX_CNAME_CHAIN. Worst-case duration: servers × attempts × timeoutMs (doubled where TCP is needed).
   */
  async resolve<T extends RRType>(name: string, type: T, options?: ResolveOptions): Promise<DnsAnswer<T>> {
    const qname = normalizeName(name);
    const invalid = nameProblem(qname);
    if (invalid !== undefined) return { kind: 'error', error: 'malformed', detail: `${name}: ${invalid}` };
    let current = qname;
    let cnames: string[] = [];
    let secure = true;
    for (let hop = 0; hop <= MAX_CNAME_CHAIN; hop++) {
      const outcome = await this.ask(current, type, options?.signal);
      if (outcome.kind !== 'packet') return outcome as DnsAnswer<T>;
      const read = interpretResponse(outcome.packet, current, type, cnames);
      if (read.kind === 'answer') {
        const answer = read.answer as DnsAnswer<T>;
        return answer.kind === 'error' || secure ? answer : { ...answer, secure: false };
      }
      secure = secure && read.secure;
      cnames = read.cnames;
      current = read.target;
    }
    return { kind: 'error', error: 'servfail', detail: `${qname}: CNAME chain longer than ${MAX_CNAME_CHAIN}` };
  }

  /**
   * Asks the servers in turn, `attempts` rounds. SERVFAIL, REFUSED and malformed answers move on to the
   * next server (and that server is not asked again); timeouts and network errors are retried next round.
   */
  private async ask(qname: string, type: RRType, signal?: AbortSignal): Promise<{ kind: 'packet'; packet: DecodedPacket } | DnsAnswer> {
    let lastFailure: DnsAnswer | undefined;
    const timeouts: string[] = [];
    const done = new Set<number>();
    for (let attempt = 0; attempt < this.attempts; attempt++) {
      for (const [index, server] of this.servers.entries()) {
        if (done.has(index)) continue;
        const outcome = await this.exchange(server, qname, type, signal);
        if (outcome.kind === 'aborted') return ABORTED;
        if (outcome.kind === 'timeout') {
          timeouts.push(outcome.detail);
          continue;
        }
        if (outcome.kind === 'packet') {
          const failure = rcodeFailure(outcome.packet, qname, type);
          if (failure === undefined) return outcome;
          lastFailure = failure;
        } else lastFailure = outcome.answer;
        done.add(index);
      }
      if (done.size === this.servers.length) break;
    }
    return lastFailure ?? { kind: 'error', error: 'timeout', detail: `${qname} ${type}: ${timeouts.join('; ')}` };
  }

  /** One query to one server: UDP, then TCP when the UDP answer has TC set. */
  private async exchange(server: ServerAddress, qname: string, type: RRType, signal?: AbortSignal): Promise<Exchange> {
    const udp = await this.send(udpExchange, server, qname, type, signal);
    if (udp.kind !== 'packet' || udp.packet.flag_tc !== true) return udp;
    return this.send(tcpExchange, server, qname, type, signal);
  }

  private async send(
    transport: (request: ExchangeRequest) => Promise<ExchangeResult>,
    server: ServerAddress,
    qname: string,
    type: RRType,
    signal?: AbortSignal,
  ): Promise<Exchange> {
    const query = buildQuery(this.caseRandomization ? randomizeCase(qname) : qname, type);
    const result = await transport({
      server,
      query: query.bytes,
      accept: (message) => answersQuery(message, query.id, query.question),
      timeoutMs: this.timeoutMs,
      ...(signal === undefined ? {} : { signal }),
    });
    if (!result.ok) return result.reason === 'aborted' ? { kind: 'aborted' } : { kind: 'timeout', detail: result.detail };
    try {
      return { kind: 'packet', packet: dnsPacket.decode(result.message) };
    } catch (error) {
      // ID and question matched, so this is the server's answer to us, and it cannot be read.
      const detail = `${qname} ${type}: undecodable answer from ${formatServer(server)}: ${(error as Error).message}`;
      return { kind: 'failed', answer: { kind: 'error', error: 'malformed', detail } };
    }
  }
}

interface BuiltQuery {
  id: number;
  bytes: Buffer;
  /** The question section exactly as sent: name in its randomised case, type, class. */
  question: Buffer;
}

function buildQuery(name: string, type: RRType): BuiltQuery {
  const id = randomInt(0, 0x10000);
  const bytes = dnsPacket.encode({
    type: 'query',
    id,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type, name: name === '' ? '.' : name, class: 'IN' }],
    additionals: [
      {
        type: 'OPT',
        name: '.',
        udpPayloadSize: EDNS_UDP_PAYLOAD,
        extendedRcode: 0,
        ednsVersion: 0,
        flags: dnsPacket.DNSSEC_OK,
        flag_do: true,
        options: [],
      },
    ],
  });
  return { id, bytes, question: bytes.subarray(12, questionEnd(bytes)) };
}

/** End offset of the (uncompressed) question section of a message we encoded ourselves. */
function questionEnd(message: Buffer): number {
  let offset = 12;
  while (offset < message.length && message[offset] !== 0) offset += (message[offset] as number) + 1;
  return offset + 1 + 4;
}

/** A response to our query: same ID, QR set, one question, byte-identical to ours (case included). */
function answersQuery(message: Buffer, id: number, question: Buffer): boolean {
  if (message.length < 12 + question.length) return false;
  if (message.readUInt16BE(0) !== id) return false;
  if (((message[2] as number) & 0x80) === 0) return false;
  if (message.readUInt16BE(4) !== 1) return false;
  return message.subarray(12, 12 + question.length).equals(question);
}

/** The answer for a server-level failure rcode, or undefined when the packet should be interpreted. */
function rcodeFailure(packet: DecodedPacket, qname: string, type: RRType): DnsAnswer | undefined {
  const rcode = (packet as DecodedPacket & { rcode?: string }).rcode ?? 'NOERROR';
  if (rcode === 'NOERROR' || rcode === 'NXDOMAIN') return undefined;
  const read = interpretResponse(packet, qname, type);
  return read.kind === 'answer' ? read.answer : undefined;
}

/** 0x20 encoding (draft-vixie-dnsext-dns0x20): flip letter case at random, one crypto bit per character. */
function randomizeCase(name: string): string {
  const bits = randomBytes(name.length);
  let out = '';
  for (let i = 0; i < name.length; i++) {
    const char = name[i] as string;
    out += (bits[i] as number) & 1 ? char.toUpperCase() : char;
  }
  return out;
}

/** Why a normalised name cannot be sent (RFC 1035 §2.3.4: labels 1-63 bytes, name up to 255 on the wire). */
function nameProblem(name: string): string | undefined {
  if (name === '') return undefined;
  if (Buffer.byteLength(name) + 2 > 255) return 'name longer than 255 bytes';
  for (const label of name.split('.')) {
    const size = Buffer.byteLength(label);
    if (size === 0) return 'empty label';
    if (size > 63) return 'label longer than 63 bytes';
  }
  return undefined;
}
