// Converting between dns-packet's decoded packets and the DnsResolver port's types: records into DnsRecord,
// and a whole response into a DnsAnswer (or "follow this CNAME target"), per RFC 1035 and RFC 2308.

import { SocketAddress } from 'node:net';
import type { Answer, DecodedPacket } from 'dns-packet';
import type { DnsAnswer, DnsRecord, RRType, SoaData } from '../../core/dns/types.js';
import { normalizeName } from '../../core/dns/types.js';
import { MAX_CNAME_CHAIN } from '../../core/dns/limits.js';

/**
 * Converts one decoded resource record of a type mailflow knows into a DnsRecord (names lower-case without
 * the trailing dot, AAAA compressed, TXT as UTF-8 character-strings, TLSA data as a fresh Uint8Array).
 * Returns undefined for other types, other classes, or data of an unexpected shape.
 */
export function recordFromAnswer(rr: Answer): DnsRecord | undefined {
  if (rr.type === 'OPT' || (rr.class !== undefined && rr.class !== 'IN')) return undefined;
  const name = normalizeName(rr.name);
  const ttl = rr.ttl ?? 0;
  switch (rr.type) {
    case 'A':
      return typeof rr.data === 'string' ? { name, type: 'A', ttl, data: rr.data } : undefined;
    case 'AAAA':
      return typeof rr.data === 'string' ? { name, type: 'AAAA', ttl, data: canonicalIPv6(rr.data) } : undefined;
    case 'PTR':
    case 'CNAME':
    case 'NS':
      return typeof rr.data === 'string' ? { name, type: rr.type, ttl, data: normalizeName(rr.data) } : undefined;
    case 'MX':
      return {
        name,
        type: 'MX',
        ttl,
        data: { preference: rr.data.preference ?? 0, exchange: normalizeName(rr.data.exchange) },
      };
    case 'TXT': {
      const pieces = Array.isArray(rr.data) ? rr.data : [rr.data];
      const data = pieces.map((piece) => (typeof piece === 'string' ? piece : piece.toString('utf8')));
      return { name, type: 'TXT', ttl, data };
    }
    case 'SOA':
      return { name, type: 'SOA', ttl, data: soaData(rr.data) };
    case 'TLSA': {
      const { usage, selector, matchingType, certificate } = rr.data;
      return { name, type: 'TLSA', ttl, data: { usage, selector, matchingType, data: Uint8Array.from(certificate) } };
    }
    default:
      return undefined;
  }
}

/** What one response tells the resolver: a final answer, or a CNAME target it must query next. */
export type Interpretation =
  | { kind: 'answer'; answer: DnsAnswer }
  | { kind: 'follow'; target: string; cnames: string[]; secure: boolean };

/**
 * Reads a response to a query for `qname`/`type`, continuing a chain already followed (`priorCnames`).
 * RCODE: SERVFAIL → servfail, REFUSED → refused, FORMERR → malformed, other non-NOERROR/NXDOMAIN → servfail.
 * The CNAME chain is taken from the answer section; a chain that ends without records of the type and
 * without a negative-answer SOA is returned as `follow` (RFC 2308 §2: an SOA or NXDOMAIN makes it final).
 * A loop or a chain longer than MAX_CNAME_CHAIN is `servfail`. Negative TTL = min(SOA TTL, SOA minimum).
 */
export function interpretResponse(
  packet: DecodedPacket,
  qname: string,
  type: RRType,
  priorCnames: readonly string[] = [],
): Interpretation {
  const rcode = (packet as DecodedPacket & { rcode?: string }).rcode ?? 'NOERROR';
  if (rcode !== 'NOERROR' && rcode !== 'NXDOMAIN') return { kind: 'answer', answer: rcodeError(rcode, qname, type) };
  const secure = packet.flag_ad === true;
  const answers = (packet.answers ?? []).map(recordFromAnswer).filter((rr): rr is DnsRecord => rr !== undefined);
  const cnames = [...priorCnames];
  const seen = new Set(cnames);
  let current = normalizeName(qname);
  if (type !== 'CNAME') {
    for (;;) {
      const alias = answers.find((rr) => rr.type === 'CNAME' && rr.name === current);
      if (alias === undefined) break;
      seen.add(current);
      cnames.push(current);
      const target = alias.data as string;
      if (seen.has(target)) return chainError(cnames, `CNAME loop at ${target}`);
      if (cnames.length > MAX_CNAME_CHAIN) return chainError(cnames, `CNAME chain longer than ${MAX_CNAME_CHAIN}`);
      current = target;
    }
  }
  const records = answers.filter((rr) => rr.type === type && rr.name === current);
  if (records.length > 0) return { kind: 'answer', answer: { kind: 'records', records, secure, cnames } };
  const ttl = negativeTtl(packet);
  if (rcode === 'NXDOMAIN') return { kind: 'answer', answer: withTtl({ kind: 'nxdomain', secure, cnames }, ttl) };
  if (cnames.length > priorCnames.length && ttl === undefined) {
    return { kind: 'follow', target: current, cnames, secure };
  }
  return { kind: 'answer', answer: withTtl({ kind: 'nodata', secure, cnames }, ttl) };
}

/** min(SOA TTL, SOA minimum) of the first SOA in the authority section (RFC 2308 §5), if there is one. */
export function negativeTtl(packet: DecodedPacket): number | undefined {
  for (const rr of packet.authorities ?? []) {
    if (rr.type === 'SOA') return Math.min(rr.ttl ?? 0, rr.data.minimum ?? 0);
  }
  return undefined;
}

/** Canonical text of an IPv6 address: lower-case, zeros compressed (RFC 5952). */
export function canonicalIPv6(text: string): string {
  try {
    return new SocketAddress({ address: text, family: 'ipv6' }).address;
  } catch {
    return text.toLowerCase();
  }
}

function withTtl<A extends { kind: 'nxdomain' | 'nodata'; secure: boolean; cnames: string[] }>(
  answer: A,
  ttl: number | undefined,
): A & { ttl?: number } {
  return ttl === undefined ? answer : { ...answer, ttl };
}

function soaData(data: { mname: string; rname: string } & Partial<SoaData>): SoaData {
  return {
    mname: normalizeName(data.mname),
    rname: normalizeName(data.rname),
    serial: data.serial ?? 0,
    refresh: data.refresh ?? 0,
    retry: data.retry ?? 0,
    expire: data.expire ?? 0,
    minimum: data.minimum ?? 0,
  };
}

function rcodeError(rcode: string, qname: string, type: RRType): DnsAnswer {
  const detail = `${qname} ${type}: server answered ${rcode}`;
  if (rcode === 'SERVFAIL') return { kind: 'error', error: 'servfail', detail };
  if (rcode === 'REFUSED') return { kind: 'error', error: 'refused', detail };
  if (rcode === 'FORMERR') return { kind: 'error', error: 'malformed', detail };
  return { kind: 'error', error: 'servfail', detail };
}

function chainError(cnames: string[], why: string): Interpretation {
  return { kind: 'answer', answer: { kind: 'error', error: 'servfail', detail: `${cnames[0] ?? ''}: ${why}` } };
}
