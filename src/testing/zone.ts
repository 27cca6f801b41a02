// Zone data given as a plain object: the one format both test doubles (the in-memory zone resolver and
// the real test DNS server) serve, so a contract suite can run the same assertions through both.
//
//   const zone: ZoneData = {
//     'example.com': [{ TXT: 'v=spf1 mx -all' }, { MX: [10, 'mx.example.com'] }, { ttl: 60 }],
//     'mx.example.com': [{ A: '192.0.2.1' }, 'SECURE'],
//     'slow.example.com': ['TIMEOUT'],
//   };
//
// Names are matched case-insensitively, with or without the trailing dot. A name not in the zone is
// NXDOMAIN; a name present without records of the asked type is NODATA. Markers, walked in order:
//   'TIMEOUT' | 'SERVFAIL' | 'REFUSED' | 'MALFORMED' — the query for any type not answered by an entry
//      seen before the marker fails that way (the openspf suite's TIMEOUT rule);
//   'SECURE'   — answers for this name carry the AD bit (DNSSEC-validated);
//   'TRUNCATE' — the wire server sets TC over UDP so the client must retry over TCP (no effect in memory);
//   { ttl: N } — TTL for this name's records and negative answers (default 300).
//
// Like a zone-file compiler, TXT strings longer than 255 bytes are split into several character-strings
// (at character boundaries), AAAA text is put in canonical compressed form, and negative answers take
// their TTL from the closest enclosing SOA in the zone, or from a synthesised one (RFC 2308 §5).

import type { MxData, RRType, SoaData, TlsaData } from '../core/dns/types.js';
import { normalizeName } from '../core/dns/types.js';
import { MAX_CNAME_CHAIN } from '../core/dns/limits.js';
import { SocketAddress } from 'node:net';

export type ZoneMarker = 'TIMEOUT' | 'SERVFAIL' | 'REFUSED' | 'MALFORMED' | 'SECURE' | 'TRUNCATE';

export type ZoneEntry =
  | ZoneMarker
  | { A: string }
  | { AAAA: string }
  | { MX: [number, string] | MxData }
  | { TXT: string | string[] }
  | { PTR: string }
  | { CNAME: string }
  | { NS: string }
  | { SOA: Partial<SoaData> & { mname: string; rname: string } }
  | { TLSA: { usage: number; selector: number; matchingType: number; data: string | Uint8Array } }
  | { ttl: number };

export type ZoneData = Record<string, ZoneEntry[]>;

export const DEFAULT_ZONE_TTL = 300;

/** One name's entries, resolved for a query type: what the double should answer. */
export type ZoneLookup =
  | { kind: 'records'; type: RRType; values: ZoneValue[]; ttl: number; secure: boolean }
  | { kind: 'cname'; target: string; ttl: number; secure: boolean }
  | { kind: 'nxdomain' }
  | { kind: 'nodata'; ttl: number; secure: boolean }
  | { kind: 'fail'; marker: 'TIMEOUT' | 'SERVFAIL' | 'REFUSED' | 'MALFORMED' };

export type ZoneValue = string | string[] | MxData | SoaData | TlsaData;

/** One CNAME followed while walking the zone. */
export interface ZoneCnameStep {
  owner: string;
  target: string;
  ttl: number;
  secure: boolean;
}

/**
 * A query walked through the zone: the CNAMEs followed and how the walk ended at `owner`. `loop` means the
 * chain came back to a name already in it; `too-long` means it passed MAX_CNAME_CHAIN.
 */
export interface ZoneWalk {
  chain: ZoneCnameStep[];
  owner: string;
  end: ZoneLookup | { kind: 'loop' } | { kind: 'too-long' };
}

/** The SOA a server puts in the authority section of a negative answer. */
export interface NegativeSoa {
  owner: string;
  ttl: number;
  soa: SoaData;
}

/** A character-string holds at most 255 bytes (RFC 1035 §3.3). */
const MAX_CHARACTER_STRING = 255;

const FAIL_MARKERS = new Set(['TIMEOUT', 'SERVFAIL', 'REFUSED', 'MALFORMED']);

/** A zone indexed by normalised owner name. */
export class Zone {
  private readonly names = new Map<string, ZoneEntry[]>();

  constructor(data: ZoneData) {
    for (const [owner, entries] of Object.entries(data)) {
      const name = normalizeName(owner);
      const existing = this.names.get(name);
      this.names.set(name, existing ? [...existing, ...entries] : [...entries]);
    }
  }

  has(name: string): boolean {
    return this.names.has(normalizeName(name));
  }

  /** True when the wire server should truncate UDP answers for this name. */
  truncates(name: string): boolean {
    return this.names.get(normalizeName(name))?.includes('TRUNCATE') ?? false;
  }

  /** Walks a query through the zone, following CNAMEs until records, a negative answer, a failure or a loop. */
  walk(name: string, type: RRType): ZoneWalk {
    const chain: ZoneCnameStep[] = [];
    const seen = new Set<string>();
    let current = normalizeName(name);
    for (;;) {
      const found = this.lookup(current, type);
      if (found.kind !== 'cname') return { chain, owner: current, end: found };
      seen.add(current);
      chain.push({ owner: current, target: found.target, ttl: found.ttl, secure: found.secure });
      if (seen.has(found.target)) return { chain, owner: found.target, end: { kind: 'loop' } };
      if (chain.length > MAX_CNAME_CHAIN) return { chain, owner: found.target, end: { kind: 'too-long' } };
      current = found.target;
    }
  }

  /**
   * The SOA for a negative answer about `name`: the closest enclosing name (itself included) with an SOA
   * entry, else one synthesised at the root with TTL and minimum `fallbackTtl`. The negative TTL is
   * min(ttl, soa.minimum) (RFC 2308 §5).
   */
  negativeSoa(name: string, fallbackTtl: number): NegativeSoa {
    const labels = normalizeName(name).split('.');
    for (let i = 0; i < labels.length; i++) {
      const owner = labels.slice(i).join('.');
      const entries = this.names.get(owner);
      if (entries === undefined) continue;
      const soa = this.lookup(owner, 'SOA');
      if (soa.kind === 'records') return { owner, ttl: soa.ttl, soa: soa.values[0] as SoaData };
    }
    const soa: SoaData = {
      mname: 'ns.zone.invalid',
      rname: 'hostmaster.zone.invalid',
      serial: 1,
      refresh: 3600,
      retry: 600,
      expire: 86400,
      minimum: fallbackTtl,
    };
    return { owner: '', ttl: fallbackTtl, soa };
  }

  /** Looks one name up for one type, without following CNAMEs (the caller follows them). */
  lookup(name: string, type: RRType): ZoneLookup {
    const entries = this.names.get(normalizeName(name));
    if (entries === undefined) return { kind: 'nxdomain' };
    let ttl = DEFAULT_ZONE_TTL;
    let secure = false;
    for (const entry of entries) {
      if (entry === 'SECURE') secure = true;
      else if (typeof entry === 'object' && 'ttl' in entry) ttl = entry.ttl;
    }
    const values: ZoneValue[] = [];
    let cname: string | undefined;
    for (const entry of entries) {
      if (typeof entry === 'string') {
        if (FAIL_MARKERS.has(entry) && values.length === 0 && cname === undefined) {
          return { kind: 'fail', marker: entry as 'TIMEOUT' | 'SERVFAIL' | 'REFUSED' | 'MALFORMED' };
        }
        continue;
      }
      if ('ttl' in entry) continue;
      const [entryType, raw] = Object.entries(entry)[0] as [RRType, unknown];
      if (entryType === 'CNAME' && type !== 'CNAME') cname = normalizeName(String(raw));
      if (entryType !== type) continue;
      values.push(toValue(type, raw));
    }
    if (values.length > 0) return { kind: 'records', type, values, ttl, secure };
    if (cname !== undefined) return { kind: 'cname', target: cname, ttl, secure };
    return { kind: 'nodata', ttl, secure };
  }
}

function toValue(type: RRType, raw: unknown): ZoneValue {
  switch (type) {
    case 'A':
      return String(raw);
    case 'AAAA':
      return canonicalIPv6(String(raw));
    case 'PTR':
    case 'CNAME':
    case 'NS':
      return normalizeName(String(raw));
    case 'TXT':
      return (Array.isArray(raw) ? raw.map(String) : [String(raw)]).flatMap(splitCharacterStrings);
    case 'MX': {
      if (Array.isArray(raw)) return { preference: Number(raw[0]), exchange: normalizeName(String(raw[1])) };
      const mx = raw as MxData;
      return { preference: mx.preference, exchange: normalizeName(mx.exchange) };
    }
    case 'SOA': {
      const soa = raw as Partial<SoaData> & { mname: string; rname: string };
      return {
        mname: normalizeName(soa.mname),
        rname: normalizeName(soa.rname),
        serial: soa.serial ?? 1,
        refresh: soa.refresh ?? 3600,
        retry: soa.retry ?? 600,
        expire: soa.expire ?? 86400,
        minimum: soa.minimum ?? DEFAULT_ZONE_TTL,
      };
    }
    case 'TLSA': {
      const tlsa = raw as { usage: number; selector: number; matchingType: number; data: string | Uint8Array };
      const data = typeof tlsa.data === 'string' ? Uint8Array.from(Buffer.from(tlsa.data, 'hex')) : tlsa.data;
      return { usage: tlsa.usage, selector: tlsa.selector, matchingType: tlsa.matchingType, data };
    }
  }
}

function canonicalIPv6(text: string): string {
  try {
    return new SocketAddress({ address: text, family: 'ipv6' }).address;
  } catch {
    return text.toLowerCase();
  }
}

/** Splits a string into pieces of at most 255 UTF-8 bytes without cutting a character. */
function splitCharacterStrings(text: string): string[] {
  if (Buffer.byteLength(text) <= MAX_CHARACTER_STRING) return [text];
  const pieces: string[] = [];
  let piece = '';
  let bytes = 0;
  for (const char of text) {
    const size = Buffer.byteLength(char);
    if (bytes + size > MAX_CHARACTER_STRING) {
      pieces.push(piece);
      piece = '';
      bytes = 0;
    }
    piece += char;
    bytes += size;
  }
  pieces.push(piece);
  return pieces;
}
