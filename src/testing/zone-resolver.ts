// An in-memory DnsResolver over ZoneData that records every query, for unit and conformance tests.
// It answers exactly as the test DNS server does over the wire (the contract suite checks that): both
// walk the zone with Zone.walk and turn the walk into an answer with answerFromWalk.

import type { DnsAnswer, DnsErrorCode, DnsRecord, DnsResolver, RecordDataMap, RRType } from '../core/dns/types.js';
import { normalizeName } from '../core/dns/types.js';
import { MAX_CNAME_CHAIN } from '../core/dns/limits.js';
import { DEFAULT_ZONE_TTL, Zone, type ZoneData, type ZoneWalk } from './zone.js';

export interface QueryLogEntry {
  name: string;
  type: RRType;
}

export class ZoneResolver implements DnsResolver {
  readonly zone: Zone;
  /** Every query asked of this resolver, in order. */
  readonly calls: QueryLogEntry[] = [];

  constructor(data: ZoneData | Zone) {
    this.zone = data instanceof Zone ? data : new Zone(data);
  }

  /** Answers from the zone (never throws, never touches the network) and logs the query. */
  resolve<T extends RRType>(name: string, type: T): Promise<DnsAnswer<T>> {
    this.calls.push({ name: normalizeName(name), type });
    return Promise.resolve(resolveInZone(this.zone, name, type));
  }

  /** Forgets the call log. */
  reset(): void {
    this.calls.length = 0;
  }
}

/** Answers one query from a zone, following CNAMEs within the zone (bounded by MAX_CNAME_CHAIN). */
export function resolveInZone<T extends RRType>(zone: Zone, name: string, type: T): DnsAnswer<T> {
  return answerFromWalk(zone, zone.walk(name, type), type);
}

/**
 * Turns a zone walk into the DnsAnswer a resolver gives: records with the chain, nxdomain/nodata with the
 * negative TTL from the SOA the wire server would send (min(SOA TTL, SOA minimum), RFC 2308 §5), the marker's
 * error, or `servfail` for a CNAME loop or an over-long chain. `secure` is true only when every name on the
 * way is marked SECURE; nxdomain is never secure (no name carries the marker).
 */
export function answerFromWalk<T extends RRType>(zone: Zone, walk: ZoneWalk, type: T): DnsAnswer<T> {
  const cnames = walk.chain.map((step) => step.owner);
  const chainSecure = walk.chain.every((step) => step.secure);
  const end = walk.end;
  switch (end.kind) {
    case 'fail':
      return { kind: 'error', error: markerError(end.marker), detail: `${walk.owner} ${type}: ${end.marker}` };
    case 'loop':
      return { kind: 'error', error: 'servfail', detail: `${cnames[0] ?? walk.owner}: CNAME loop at ${walk.owner}` };
    case 'too-long':
      return {
        kind: 'error',
        error: 'servfail',
        detail: `${cnames[0] ?? walk.owner}: CNAME chain longer than ${MAX_CNAME_CHAIN}`,
      };
    case 'nxdomain': {
      const negative = zone.negativeSoa(walk.owner, DEFAULT_ZONE_TTL);
      return { kind: 'nxdomain', secure: false, cnames, ttl: Math.min(negative.ttl, negative.soa.minimum) };
    }
    case 'nodata': {
      const negative = zone.negativeSoa(walk.owner, end.ttl);
      return {
        kind: 'nodata',
        secure: chainSecure && end.secure,
        cnames,
        ttl: Math.min(negative.ttl, negative.soa.minimum),
      };
    }
    case 'records': {
      const records = end.values.map(
        (data): DnsRecord<T> => ({ name: walk.owner, type, ttl: end.ttl, data: data as RecordDataMap[T] }),
      );
      return { kind: 'records', records, secure: chainSecure && end.secure, cnames };
    }
    case 'cname':
      // Zone.walk only stops on a CNAME when it reports a loop or an over-long chain.
      return { kind: 'error', error: 'servfail', detail: `${walk.owner}: unfinished CNAME walk` };
  }
}

function markerError(marker: 'TIMEOUT' | 'SERVFAIL' | 'REFUSED' | 'MALFORMED'): DnsErrorCode {
  return marker === 'TIMEOUT' ? 'timeout' : marker === 'SERVFAIL' ? 'servfail' : marker === 'REFUSED' ? 'refused' : 'malformed';
}
