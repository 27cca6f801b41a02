// The DNS port: what every standard in mailflow asks of DNS, and the closed set of answers it gets.
// NXDOMAIN and NODATA are answers, not exceptions; each standard maps them to its own RFC result in
// one place. See docs/dns.md.

/** Record types mailflow queries. */
export type RRType = 'A' | 'AAAA' | 'MX' | 'TXT' | 'PTR' | 'CNAME' | 'NS' | 'SOA' | 'TLSA';

export const RR_TYPES: readonly RRType[] = ['A', 'AAAA', 'MX', 'TXT', 'PTR', 'CNAME', 'NS', 'SOA', 'TLSA'];

export interface MxData {
  preference: number;
  /** Lower-case host name without the trailing dot; '' for a null MX (RFC 7505: `0 .`). */
  exchange: string;
}

export interface SoaData {
  mname: string;
  rname: string;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  minimum: number;
}

export interface TlsaData {
  usage: number;
  selector: number;
  matchingType: number;
  /** Certificate association data. */
  data: Uint8Array;
}

/**
 * The data of one record, by type. A/AAAA are address text (AAAA in canonical lower-case compressed form),
 * names are lower-case without the trailing dot, and TXT is the list of its character-strings
 * (decoded as UTF-8; callers join them without a separator, RFC 7208 §3.3).
 */
export interface RecordDataMap {
  A: string;
  AAAA: string;
  MX: MxData;
  TXT: string[];
  PTR: string;
  CNAME: string;
  NS: string;
  SOA: SoaData;
  TLSA: TlsaData;
}

export interface DnsRecord<T extends RRType = RRType> {
  /** Owner name, lower-case, no trailing dot. */
  name: string;
  type: T;
  ttl: number;
  data: RecordDataMap[T];
}

/** Why a query produced no usable answer. `timeout` and `servfail` are "try later" for every standard. */
export type DnsErrorCode = 'timeout' | 'servfail' | 'refused' | 'malformed';

export type DnsAnswer<T extends RRType = RRType> =
  | {
      kind: 'records';
      records: DnsRecord<T>[];
      /** The resolver set the AD bit: the whole answer was DNSSEC-validated. */
      secure: boolean;
      /** The CNAME chain followed to reach the records, first alias first (empty when none). */
      cnames: string[];
    }
  | {
      kind: 'nxdomain';
      secure: boolean;
      cnames: string[];
      /** Negative-caching TTL from the authority SOA (RFC 2308 §5), when the server gave one. */
      ttl?: number;
    }
  | { kind: 'nodata'; secure: boolean; cnames: string[]; ttl?: number }
  | { kind: 'error'; error: DnsErrorCode; detail: string };

export interface ResolveOptions {
  signal?: AbortSignal;
}

/**
 * The DNS port. Implementations never throw for DNS outcomes: every outcome is a DnsAnswer.
 * Names are accepted with or without a trailing dot, in any case.
 */
export interface DnsResolver {
  resolve<T extends RRType>(name: string, type: T, options?: ResolveOptions): Promise<DnsAnswer<T>>;
}

/** Normalises a query name: lower-case, no trailing dot. The root is ''. */
export function normalizeName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

export function isRecords<T extends RRType>(
  answer: DnsAnswer<T>,
): answer is Extract<DnsAnswer<T>, { kind: 'records' }> {
  return answer.kind === 'records';
}
