// DMARC policy discovery and the Organizational Domain: RFC 9989 §4.10.1 and §4.10.2 (DNS Tree Walk, psd),
// or RFC 7489 §6.6.3 and §3.2 (Public Suffix List). One DmarcDnsSession per evaluation shares every lookup.

import { normalizeDomain } from './domain.js';
import { defaultPublicSuffixList } from './psl-file.js';
import type { PublicSuffixList } from './psl.js';
import { DmarcDnsSession, selectOrganizationalDomain, treeWalk, type DmarcLookup, type OrgDomainRule } from './tree-walk.js';
import type { DmarcDiscovery, DmarcDiscoveryOptions, DmarcMode, DmarcPolicySource } from './types.js';
import type { DnsResolver } from '../../core/dns/types.js';

export type OrgDomainResult =
  | { kind: 'found'; domain: string; rule: OrgDomainRule; psd?: string }
  | { kind: 'temperror'; reason: 'dns-timeout' | 'dns-servfail' | 'dns-error' | 'query-limit'; detail: string };

/** Per-evaluation context: mode, list and the shared DNS session. */
export interface DiscoveryContext {
  mode: DmarcMode;
  session: DmarcDnsSession;
  psl: () => PublicSuffixList;
  /** Cached Organizational Domains for this evaluation. */
  orgCache: Map<string, Promise<OrgDomainResult>>;
}

export function makeContext(resolver: DnsResolver, mode: DmarcMode | undefined, psl: PublicSuffixList | undefined): DiscoveryContext {
  return {
    mode: mode ?? 'rfc9989',
    session: new DmarcDnsSession(resolver),
    psl: () => psl ?? defaultPublicSuffixList(),
    orgCache: new Map(),
  };
}

/**
 * Finds the DMARC Policy Record for an Author Domain (RFC 9989 §4.10.1): the Author Domain's own record,
 * else its Organizational Domain's, else its Public Suffix Domain's (psd=y). In RFC 7489 mode, the Author
 * Domain's record else the PSL Organizational Domain's (§6.6.3). A DNS error is `temperror`, never "none".
 * Several DMARC records at the Author Domain end discovery with `none` (§4.10 step 2; RFC 7489 §6.6.3
 * step 5): falling back to a parent would apply a policy the owner did not publish for this name.
 */
export async function discoverDmarcPolicy(domain: string, options: DmarcDiscoveryOptions): Promise<DmarcDiscovery> {
  const normal = normalizeDomain(domain);
  const context = makeContext(options.resolver, options.mode, options.psl);
  if (!normal.ok) {
    return { kind: 'none', authorDomain: domain, reason: 'no-record', detail: `not a domain: ${normal.error.message}`, queries: [] };
  }
  return discoverWith(context, normal.value);
}

/** discoverDmarcPolicy for an already normalised domain, sharing the evaluation's context. */
export async function discoverWith(context: DiscoveryContext, author: string): Promise<DmarcDiscovery> {
  const { session } = context;
  const queries = session.log;
  const first = await session.lookup(author);
  if (first.kind === 'error') return temperror(author, first, queries);
  if (first.kind === 'multiple') {
    return {
      kind: 'none',
      authorDomain: author,
      reason: 'multiple-records',
      detail: `_dmarc.${author} publishes ${first.texts.length} DMARC records; all are discarded and discovery stops (RFC 9989 §4.10)`,
      queries,
    };
  }
  if (first.kind === 'record') {
    const syntax = syntaxError(context.mode, first, queries);
    if (syntax !== undefined) return syntax;
    return { kind: 'found', authorDomain: author, policy: { domain: author, record: first.text, parsed: first.record, source: 'domain' }, queries };
  }
  if (context.mode === 'rfc7489') return discover7489(context, author);
  const org = await organizationalDomainWith(context, author);
  if (org.kind === 'temperror') return { kind: 'temperror', authorDomain: author, reason: org.reason, detail: org.detail, queries };
  // The Organizational Domain's record, else the PSD's; anything but a record falls through to the next.
  const fallbacks: { domain: string; source: DmarcPolicySource }[] = [{ domain: org.domain, source: 'organizational' }];
  if (org.psd !== undefined) fallbacks.push({ domain: org.psd, source: 'psd' });
  for (const { domain, source } of fallbacks) {
    const lookup = await session.lookup(domain);
    if (lookup.kind === 'record') {
      return { kind: 'found', authorDomain: author, organizationalDomain: org.domain, policy: { domain, record: lookup.text, parsed: lookup.record, source }, queries };
    }
  }
  return { kind: 'none', authorDomain: author, reason: 'no-record', detail: `no DMARC record for ${author}, its Organizational Domain or a PSD`, queries };
}

async function discover7489(context: DiscoveryContext, author: string): Promise<DmarcDiscovery> {
  const queries = context.session.log;
  const org = context.psl().registrableDomain(author) ?? author;
  if (org === author) {
    return { kind: 'none', authorDomain: author, reason: 'no-record', detail: `no DMARC record at _dmarc.${author}`, queries };
  }
  const lookup = await context.session.lookup(org);
  if (lookup.kind === 'error') return temperror(author, lookup, queries);
  if (lookup.kind === 'multiple') {
    return { kind: 'none', authorDomain: author, reason: 'multiple-records', detail: `_dmarc.${org} publishes ${lookup.texts.length} DMARC records (RFC 7489 §6.6.3)`, queries };
  }
  if (lookup.kind === 'none') {
    return { kind: 'none', authorDomain: author, reason: 'no-record', detail: `no DMARC record at _dmarc.${author} or _dmarc.${org}`, queries };
  }
  const syntax = syntaxError(context.mode, lookup, queries);
  if (syntax !== undefined) return syntax;
  return {
    kind: 'found',
    authorDomain: author,
    organizationalDomain: org,
    policy: { domain: org, record: lookup.text, parsed: lookup.record, source: 'organizational' },
    queries,
  };
}

/**
 * The Organizational Domain of a domain (RFC 9989 §4.10.2 by DNS Tree Walk; RFC 7489 §3.2 by the Public
 * Suffix List, which needs no DNS). `found` or `temperror` (a walk query failed); never throws.
 */
export async function organizationalDomain(
  domain: string,
  options: { resolver?: DnsResolver; mode?: DmarcMode; psl?: PublicSuffixList },
): Promise<OrgDomainResult> {
  const normal = normalizeDomain(domain);
  if (!normal.ok) return { kind: 'found', domain, rule: 'start' };
  const mode = options.mode ?? 'rfc9989';
  if (mode === 'rfc9989' && options.resolver === undefined) {
    throw new TypeError('organizationalDomain: RFC 9989 mode walks the DNS tree and needs a resolver');
  }
  const resolver: DnsResolver = options.resolver ?? { resolve: () => Promise.reject(new Error('no resolver')) };
  return organizationalDomainWith(makeContext(resolver, mode, options.psl), normal.value);
}

/** organizationalDomain within an evaluation context (cached per domain). */
export function organizationalDomainWith(context: DiscoveryContext, domain: string): Promise<OrgDomainResult> {
  let pending = context.orgCache.get(domain);
  if (pending === undefined) {
    pending = computeOrg(context, domain);
    context.orgCache.set(domain, pending);
  }
  return pending;
}

async function computeOrg(context: DiscoveryContext, domain: string): Promise<OrgDomainResult> {
  if (context.mode === 'rfc7489') {
    const org = context.psl().registrableDomain(domain);
    return org === null ? { kind: 'found', domain, rule: 'psl-self' } : { kind: 'found', domain: org, rule: 'psl' };
  }
  const walk = await treeWalk(context.session, domain);
  if (walk.kind === 'error') return { kind: 'temperror', reason: dnsReason(walk.lookup.error), detail: walk.lookup.detail };
  return { kind: 'found', ...selectOrganizationalDomain(walk) };
}

function syntaxError(mode: DmarcMode, lookup: Extract<DmarcLookup, { kind: 'record' }>, queries: DmarcDiscovery['queries']): DmarcDiscovery | undefined {
  // RFC 7489 §11.2 lists "a syntactically incorrect DMARC record" as permerror; RFC 9989 §4.8 says syntax
  // errors MUST be discarded, so only RFC 7489 mode turns them into a result.
  if (mode !== 'rfc7489') return undefined;
  const broken = lookup.record.issues.find((i) => i.code === 'syntax');
  if (broken === undefined) return undefined;
  return {
    kind: 'permerror',
    authorDomain: lookup.name,
    reason: 'record-syntax',
    detail: `_dmarc.${lookup.name}: ${broken.message} at offset ${broken.offset}`,
    record: lookup.text,
    queries,
  };
}

function temperror(author: string, lookup: Extract<DmarcLookup, { kind: 'error' }>, queries: DmarcDiscovery['queries']): DmarcDiscovery {
  return { kind: 'temperror', authorDomain: author, reason: dnsReason(lookup.error), detail: lookup.detail, queries };
}

export function dnsReason(error: string): 'dns-timeout' | 'dns-servfail' | 'dns-error' | 'query-limit' {
  return error === 'timeout' ? 'dns-timeout' : error === 'servfail' ? 'dns-servfail' : error === 'query-limit' ? 'query-limit' : 'dns-error';
}
