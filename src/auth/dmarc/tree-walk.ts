// The DNS side of one DMARC evaluation: `_dmarc` lookups and existence checks, each asked at most once
// (cached for the evaluation) and counted; and the RFC 9989 §4.10 DNS Tree Walk over them (at most 8
// queries per walk, however many labels the name has).

import type { DnsAnswer, DnsErrorCode, DnsResolver, RRType } from '../../core/dns/types.js';
import { labelsOf } from './domain.js';
import { isDmarcRecordText, parseDmarcRecord } from './record.js';
import type { DmarcQueryLogEntry, DmarcRecord } from './types.js';

/** Queries in one DNS Tree Walk (RFC 9989 §4.10: "no more than eight DNS queries"). */
export const MAX_TREE_WALK_QUERIES = 8;
/** Labels kept when shortening a long name (RFC 9989 §4.10 step 4: "until 7 labels remain"). */
export const TREE_WALK_KEEP_LABELS = 7;
/**
 * DNS queries per evaluation, all kinds: the Author Domain's walk (8), its existence check (3), and walks
 * for the SPF domain and up to MAX_DKIM_DOMAINS signing domains, most of them shared through the cache.
 */
export const MAX_QUERIES_PER_EVALUATION = 100;

/** The outcome of one `_dmarc.<name>` TXT query after §4.10 step 2. */
export type DmarcLookup =
  | { kind: 'record'; name: string; text: string; record: DmarcRecord }
  | { kind: 'none'; name: string }
  | { kind: 'multiple'; name: string; texts: string[] }
  | { kind: 'error'; name: string; error: DnsErrorCode | 'query-limit'; detail: string };

export type ExistenceAnswer = { kind: 'exists' } | { kind: 'nxdomain' } | { kind: 'error'; error: DnsErrorCode | 'query-limit'; detail: string };

/** Per-evaluation DNS access: cached, counted, never throwing. */
export class DmarcDnsSession {
  /** Every DNS query sent (all types). */
  queries = 0;
  /** `_dmarc` TXT queries, in order. */
  readonly log: DmarcQueryLogEntry[] = [];
  private readonly lookups = new Map<string, Promise<DmarcLookup>>();
  private readonly existence = new Map<string, Promise<ExistenceAnswer>>();

  constructor(
    readonly resolver: DnsResolver,
    readonly maxQueries: number = MAX_QUERIES_PER_EVALUATION,
  ) {}

  /** The DMARC record set at `_dmarc.<domain>` (RFC 9989 §4.10 steps 1–2), asked once per evaluation. */
  lookup(domain: string): Promise<DmarcLookup> {
    let pending = this.lookups.get(domain);
    if (pending === undefined) {
      pending = this.lookupUncached(domain);
      this.lookups.set(domain, pending);
    }
    return pending;
  }

  /**
   * Whether a domain exists (RFC 9989 §3.2.13, §A.4): NXDOMAIN means it does not; any answer or NODATA
   * means it does. A, AAAA and MX are asked in turn until one shows the name exists; the name is
   * non-existent only when all three say NXDOMAIN.
   */
  exists(domain: string): Promise<ExistenceAnswer> {
    let pending = this.existence.get(domain);
    if (pending === undefined) {
      pending = this.existsUncached(domain);
      this.existence.set(domain, pending);
    }
    return pending;
  }

  private async existsUncached(domain: string): Promise<ExistenceAnswer> {
    let failure: ExistenceAnswer | undefined;
    for (const type of ['A', 'AAAA', 'MX'] as const) {
      const answer = await this.resolve(domain, type);
      if (answer.kind === 'records' || answer.kind === 'nodata') return { kind: 'exists' };
      if (answer.kind === 'error') failure ??= { kind: 'error', error: answer.error, detail: `${domain} ${type}: ${answer.detail}` };
    }
    return failure ?? { kind: 'nxdomain' };
  }

  private async lookupUncached(domain: string): Promise<DmarcLookup> {
    const name = `_dmarc.${domain}`;
    const answer = await this.resolve(name, 'TXT');
    let lookup: DmarcLookup;
    if (answer.kind === 'error') {
      lookup = { kind: 'error', name: domain, error: answer.error, detail: `${name} TXT: ${answer.detail}` };
    } else if (answer.kind !== 'records') {
      lookup = { kind: 'none', name: domain };
    } else {
      const texts = answer.records.map((r) => (r.data as string[]).join('')).filter(isDmarcRecordText);
      if (texts.length === 0) lookup = { kind: 'none', name: domain };
      else if (texts.length > 1) lookup = { kind: 'multiple', name: domain, texts };
      else {
        const parsed = parseDmarcRecord(texts[0]!);
        lookup = parsed.ok ? { kind: 'record', name: domain, text: texts[0]!, record: parsed.value } : { kind: 'none', name: domain };
      }
    }
    this.log.push({ name, outcome: lookup.kind === 'record' ? 'record' : lookup.kind });
    return lookup;
  }

  private async resolve<T extends RRType>(name: string, type: T): Promise<DnsAnswer<T> | { kind: 'error'; error: 'query-limit'; detail: string }> {
    if (this.queries >= this.maxQueries) {
      return { kind: 'error', error: 'query-limit', detail: `DMARC query budget of ${this.maxQueries} exhausted` };
    }
    this.queries++;
    try {
      return await this.resolver.resolve(name, type);
    } catch (error) {
      // The port promises never to throw; if one does, fail safe: "try later", never "no record".
      return { kind: 'error', error: 'servfail', detail: `resolver threw: ${String(error)}` };
    }
  }
}

/**
 * The names a DNS Tree Walk queries for `domain`, in order (RFC 9989 §4.10): the name itself, then, for
 * names of 8 or more labels, its last 7 labels, then one label fewer each step, down to the TLD.
 * At most MAX_TREE_WALK_QUERIES names.
 */
export function treeWalkNames(domain: string): string[] {
  const labels = labelsOf(domain);
  const names = [domain];
  const next = labels.length >= MAX_TREE_WALK_QUERIES ? TREE_WALK_KEEP_LABELS : labels.length - 1;
  for (let count = next; count >= 1; count--) names.push(labels.slice(labels.length - count).join('.'));
  return names;
}

/** A completed walk: the valid records met, longest name first, and the record that stopped it (psd=y/n). */
export type TreeWalk =
  | { kind: 'walked'; start: string; records: Array<{ name: string; text: string; record: DmarcRecord }>; first: DmarcLookup }
  | { kind: 'error'; start: string; lookup: Extract<DmarcLookup, { kind: 'error' }> };

/**
 * Walks from `domain` up (RFC 9989 §4.10 steps 1–7), stopping at a record with psd=y or psd=n or at the
 * top. A multi-record set at a name is discarded (step 2) and the walk goes on. A DNS error ends the walk
 * with that error: the caller turns it into temperror.
 */
export async function treeWalk(session: DmarcDnsSession, domain: string): Promise<TreeWalk> {
  const records: Array<{ name: string; text: string; record: DmarcRecord }> = [];
  let first: DmarcLookup | undefined;
  for (const name of treeWalkNames(domain)) {
    const lookup = await session.lookup(name);
    first ??= lookup;
    if (lookup.kind === 'error') return { kind: 'error', start: domain, lookup };
    if (lookup.kind !== 'record') continue;
    records.push({ name, text: lookup.text, record: lookup.record });
    if (lookup.record.psd === 'y' || lookup.record.psd === 'n') break;
  }
  return { kind: 'walked', start: domain, records, first: first! };
}

/** How the Organizational Domain was chosen (RFC 9989 §4.10.2 rules 1–3, or the fallback). */
export type OrgDomainRule = 'psd-n' | 'below-psd-y' | 'fewest-labels' | 'start' | 'psl' | 'psl-self';

/**
 * Selects the Organizational Domain from a walk (RFC 9989 §4.10.2), records taken longest to shortest:
 * 1. a record with psd=n is the Organizational Domain;
 * 2. a record with psd=y, other than at the start, makes the name one label below it the Organizational Domain;
 * 3. otherwise the record at the name with the fewest labels.
 * Without records, the starting domain is its own Organizational Domain.
 */
export function selectOrganizationalDomain(walk: Extract<TreeWalk, { kind: 'walked' }>): { domain: string; rule: OrgDomainRule; psd?: string } {
  for (const found of walk.records) {
    if (found.record.psd === 'n') return { domain: found.name, rule: 'psd-n' };
    if (found.record.psd === 'y' && found.name !== walk.start) {
      const below = labelsOf(found.name).length + 1;
      const labels = labelsOf(walk.start);
      return { domain: labels.slice(labels.length - below).join('.'), rule: 'below-psd-y', psd: found.name };
    }
  }
  const last = walk.records[walk.records.length - 1];
  if (last !== undefined) return { domain: last.name, rule: 'fewest-labels' };
  return { domain: walk.start, rule: 'start' };
}
