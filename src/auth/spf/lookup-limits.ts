// The SPF processing limits as a counting wrapper around the DNS port (RFC 7208 §4.6.4): one instance per
// check_host() run, shared by every include/redirect level, reporting what it counted.

import type { DnsAnswer, DnsResolver, RRType } from '../../core/dns/types.js';

/** Terms that cause DNS queries (include, a, mx, ptr, exists, redirect) per check (RFC 7208 §4.6.4). */
export const MAX_DNS_TERMS = 10;
/** DNS-querying terms that may get NXDOMAIN or an empty answer per check (RFC 7208 §4.6.4). */
export const MAX_VOID_LOOKUPS = 2;
/** MX records one `mx` term may look at; more is a permerror (RFC 7208 §4.6.4). */
export const MAX_MX_NAMES = 10;
/** PTR names one `ptr` term or `%{p}` looks at; the rest are ignored (RFC 7208 §4.6.4). */
export const MAX_PTR_NAMES = 10;
/** Total queries per check, a backstop above what the limits above allow (10 × (1 + 10) + slack). */
export const MAX_QUERIES = 200;

/** Why a charge was refused. */
export type LimitExceeded = 'lookup-limit' | 'void-lookup-limit' | undefined;

/**
 * Counts what one SPF check asks of DNS. `chargeTerm()` before each DNS-querying term; `resolve()` for
 * each query (void answers counted when asked to). The counts feed SpfResult.lookups / voidLookups.
 */
export class SpfLookupBudget {
  /** DNS-querying terms evaluated so far. */
  terms = 0;
  /** Void answers (NXDOMAIN, NODATA) to counted queries. */
  voids = 0;
  /** All queries sent, counted or not. */
  queries = 0;

  constructor(
    readonly resolver: DnsResolver,
    readonly maxTerms: number = MAX_DNS_TERMS,
    readonly maxVoids: number = MAX_VOID_LOOKUPS,
  ) {}

  /** Counts one DNS-querying term; returns 'lookup-limit' when this term is one too many. */
  chargeTerm(): LimitExceeded {
    this.terms++;
    return this.terms > this.maxTerms ? 'lookup-limit' : undefined;
  }

  /** True once the void-lookup limit has been exceeded. */
  get voidExceeded(): boolean {
    return this.voids > this.maxVoids;
  }

  /** True once the backstop on total queries is reached: further queries are refused. */
  get exhausted(): boolean {
    return this.queries >= MAX_QUERIES;
  }

  /**
   * Sends one query. With `countVoid`, an NXDOMAIN or NODATA answer counts as a void lookup.
   * Past MAX_QUERIES it answers `servfail` without asking (a backstop; the term limits come first).
   */
  async resolve<T extends RRType>(name: string, type: T, countVoid: boolean): Promise<DnsAnswer<T>> {
    if (this.queries >= MAX_QUERIES) {
      return { kind: 'error', error: 'servfail', detail: `SPF query budget of ${MAX_QUERIES} exhausted` };
    }
    this.queries++;
    let answer: DnsAnswer<T>;
    try {
      answer = await this.resolver.resolve(name, type);
    } catch (err) {
      // The port promises never to throw; if one does, fail safe: "try later", never "no record".
      return { kind: 'error', error: 'servfail', detail: `resolver threw: ${String(err)}` };
    }
    if (countVoid && (answer.kind === 'nxdomain' || answer.kind === 'nodata' || (answer.kind === 'records' && answer.records.length === 0))) {
      this.voids++;
    }
    return answer;
  }
}
