// An in-memory DnsResolver over ZoneData that records every query, for unit and conformance tests.
// It answers exactly as the test DNS server does over the wire (the contract suite checks that).

import type { DnsAnswer, DnsRecord, DnsResolver, RecordDataMap, RRType } from '../core/dns/types.js';
import { normalizeName } from '../core/dns/types.js';
import { MAX_CNAME_CHAIN } from '../core/dns/limits.js';
import { Zone, type ZoneData } from './zone.js';

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
  const cnames: string[] = [];
  let current = normalizeName(name);
  let secure = true;
  for (let hop = 0; hop <= MAX_CNAME_CHAIN; hop++) {
    const found = zone.lookup(current, type);
    switch (found.kind) {
      case 'fail':
        return { kind: 'error', error: markerError(found.marker), detail: `${current} ${type}: ${found.marker}` };
      case 'nxdomain':
        return { kind: 'nxdomain', secure: false, cnames };
      case 'nodata':
        return { kind: 'nodata', secure: secure && found.secure, cnames };
      case 'records': {
        const ttl = found.ttl;
        const records = found.values.map(
          (data): DnsRecord<T> => ({ name: current, type, ttl, data: data as RecordDataMap[T] }),
        );
        return { kind: 'records', records, secure: secure && found.secure, cnames };
      }
      case 'cname':
        secure = secure && found.secure;
        cnames.push(current);
        current = found.target;
        break;
    }
  }
  return { kind: 'error', error: 'servfail', detail: `${normalizeName(name)}: CNAME chain longer than ${MAX_CNAME_CHAIN}` };
}

function markerError(marker: 'TIMEOUT' | 'SERVFAIL' | 'REFUSED' | 'MALFORMED') {
  return marker === 'TIMEOUT' ? 'timeout' : marker === 'SERVFAIL' ? 'servfail' : marker === 'REFUSED' ? 'refused' : 'malformed';
}
