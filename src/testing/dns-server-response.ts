// Building the test DNS server's answers from a zone, by the same walk the in-memory ZoneResolver uses
// (Zone.walk + answerFromWalk), so both give identical DnsAnswers. Shaped like a validating recursive
// resolver's answers: CNAME chain in the answer section, SOA in the authority section of negative answers.

import dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket } from 'dns-packet';
import type { MxData, RRType, SoaData, TlsaData } from '../core/dns/types.js';
import { RR_TYPES } from '../core/dns/types.js';
import { DEFAULT_ZONE_TTL, type Zone, type ZoneValue } from './zone.js';
import { answerFromWalk } from './zone-resolver.js';

/** Classic DNS UDP limit when the query has no EDNS0 OPT (RFC 1035 §4.2.1). */
const CLASSIC_UDP_LIMIT = 512;

/** The two-byte TCP length prefix bounds every message (RFC 1035 §4.2.2). */
const MAX_TCP_MESSAGE = 65_535;

/** What the server decided to send for one query. */
export type ZoneResponse = { kind: 'message'; message: Buffer } | { kind: 'silence' };

const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

/**
 * The server's answer to a decoded query (raw bytes kept for MALFORMED): TIMEOUT is silence, MALFORMED is a
 * header and the echoed question followed by an undecodable record, TRUNCATE (UDP only) and over-size UDP
 * answers set TC with empty sections, AD is set when the answer is secure and the query had DO or AD.
 */
export function zoneResponse(zone: Zone, query: DecodedPacket, raw: Buffer, transport: 'udp' | 'tcp'): ZoneResponse {
  const question = query.questions?.[0];
  const opt = query.additionals?.find((rr) => rr.type === 'OPT');
  const udpLimit = opt !== undefined ? Math.max(CLASSIC_UDP_LIMIT, opt.udpPayloadSize) : CLASSIC_UDP_LIMIT;
  const wantsAd = (opt !== undefined && (opt.flags & dnsPacket.DNSSEC_OK) !== 0) || query.flag_ad === true;
  const head = {
    type: 'response' as const,
    id: query.id ?? 0,
    questions: question === undefined ? [] : [question],
    additionals: opt === undefined ? [] : [ednsOpt(opt.flags & dnsPacket.DNSSEC_OK)],
  };
  const baseFlags = (query.flag_rd ? dnsPacket.RECURSION_DESIRED : 0) | dnsPacket.RECURSION_AVAILABLE;
  const message = (rcode: number, more: { answers?: Answer[]; authorities?: Answer[]; flags?: number } = {}): ZoneResponse => ({
    kind: 'message',
    message: dnsPacket.encode({
      ...head,
      flags: baseFlags | (more.flags ?? 0) | rcode,
      answers: more.answers ?? [],
      authorities: more.authorities ?? [],
    }),
  });
  if (question === undefined || query.questions?.length !== 1) return message(RCODE.FORMERR);
  const type = question.type as RRType;
  if (!RR_TYPES.includes(type)) return message(RCODE.NOTIMP);

  const walk = zone.walk(question.name, type);
  const answer = answerFromWalk(zone, walk, type);
  if (answer.kind === 'error' && walk.end.kind !== 'loop' && walk.end.kind !== 'too-long') {
    if (answer.error === 'timeout') return { kind: 'silence' };
    if (answer.error === 'malformed') return { kind: 'message', message: malformed(raw) };
    return message(answer.error === 'refused' ? RCODE.REFUSED : RCODE.SERVFAIL);
  }
  if (transport === 'udp' && zone.truncates(question.name)) return message(RCODE.NOERROR, { flags: dnsPacket.TRUNCATED_RESPONSE });

  const answers: Answer[] = walk.chain.map((step) => ({ type: 'CNAME', name: step.owner, ttl: step.ttl, data: step.target }));
  const authorities: Answer[] = [];
  let rcode: number = RCODE.NOERROR;
  const secure = answer.kind !== 'error' && answer.secure && wantsAd;
  if (walk.end.kind === 'records') {
    for (const value of walk.end.values) answers.push(encodeRecord(walk.owner, type, walk.end.ttl, value));
  } else if (walk.end.kind === 'nxdomain' || walk.end.kind === 'nodata') {
    // Same SOA as answerFromWalk used for the negative TTL.
    const negative = zone.negativeSoa(walk.owner, walk.end.kind === 'nodata' ? walk.end.ttl : DEFAULT_ZONE_TTL);
    authorities.push(encodeRecord(negative.owner, 'SOA', negative.ttl, negative.soa));
    if (walk.end.kind === 'nxdomain') rcode = RCODE.NXDOMAIN;
  }
  const full = message(rcode, { answers, authorities, flags: secure ? dnsPacket.AUTHENTIC_DATA : 0 });
  if (transport === 'udp' && full.kind === 'message' && full.message.length > udpLimit) {
    return message(RCODE.NOERROR, { flags: dnsPacket.TRUNCATED_RESPONSE });
  }
  if (full.kind === 'message' && full.message.length > MAX_TCP_MESSAGE) return message(RCODE.SERVFAIL);
  return full;
}

/** A response with the query's ID and question but an answer record whose owner name has a reserved label
 * type (0x40), which no decoder accepts. */
export function malformed(rawQuery: Buffer): Buffer {
  let end = 12;
  while (end < rawQuery.length && rawQuery[end] !== 0) end += (rawQuery[end] as number) + 1;
  end = Math.min(rawQuery.length, end + 1 + 4);
  const header = Buffer.alloc(12);
  rawQuery.copy(header, 0, 0, 2);
  header.writeUInt16BE(0x8180, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(1, 6);
  return Buffer.concat([header, rawQuery.subarray(12, end), Buffer.from([0x40, 0xde, 0xad, 0xbe, 0xef])]);
}

function ednsOpt(flags: number): Answer {
  return { type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags, flag_do: flags !== 0, options: [] };
}

/** One zone value as a dns-packet record (names '' become the root '.'). */
export function encodeRecord(owner: string, type: RRType, ttl: number, value: ZoneValue): Answer {
  const name = owner === '' ? '.' : owner;
  switch (type) {
    case 'A':
    case 'AAAA':
    case 'PTR':
    case 'CNAME':
    case 'NS':
      return { type, name, ttl, data: rootDot(value as string) };
    case 'MX': {
      const mx = value as MxData;
      return { type, name, ttl, data: { preference: mx.preference, exchange: rootDot(mx.exchange) } };
    }
    case 'TXT':
      return { type, name, ttl, data: (value as string[]).map((piece) => Buffer.from(piece, 'utf8')) };
    case 'SOA': {
      const soa = value as SoaData;
      return { type, name, ttl, data: { ...soa, mname: rootDot(soa.mname), rname: rootDot(soa.rname) } };
    }
    case 'TLSA': {
      const tlsa = value as TlsaData;
      const data = { usage: tlsa.usage, selector: tlsa.selector, matchingType: tlsa.matchingType, certificate: Buffer.from(tlsa.data) };
      return { type, name, ttl, data };
    }
  }
}

function rootDot(name: string): string {
  return name === '' ? '.' : name;
}
