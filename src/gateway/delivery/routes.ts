// Where a domain's mail goes: MX records in preference order (equal preferences shuffled, RFC 5321 §5.1),
// the implicit MX (no MX records → the domain's own A/AAAA), null MX (RFC 7505 → permanent failure), or a
// smart host that takes everything. DNS "not found", "no data" and "try later" stay distinct answers here
// and become permanent or temporary failures in this one place.

import type { DnsAnswer, DnsResolver } from '../../core/dns/types.js';
import type { DeliveryReply } from '../queue/types.js';

/** Most MX hosts tried per delivery (Postfix smtp_mx_address_limit is 5 addresses; hosts are cheaper). */
export const MAX_MX_HOSTS = 10;
/** Most addresses tried for one delivery across all hosts (Postfix smtp_mx_address_limit = 5). */
export const MAX_ROUTE_ADDRESSES = 5;

export interface RouteHost {
  /** Host name (MX exchange, the domain itself for an implicit MX, or the smart host). */
  name: string;
  preference: number;
  addresses: string[];
}

export type Route =
  | {
      kind: 'hosts';
      hosts: RouteHost[];
      implicit: boolean;
      smartHost: boolean;
      /** The MX answer (or, for an implicit MX, its denial) was DNSSEC-validated: the TLS policy's DANE input (RFC 7672 §2.2.1). */
      mxSecure: boolean;
    }
  | { kind: 'fail'; permanent: boolean; reply: DeliveryReply };

export interface SmartHost {
  host: string;
  port?: number;
  /** opportunistic (default): STARTTLS when offered; mandatory: TLS with the certificate verified for `host` (WebPKI). */
  tls?: 'opportunistic' | 'mandatory';
  /** For mandatory: CAs (PEM file) to trust instead of the system roots. */
  caFile?: string;
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

function fail(permanent: boolean, code: number, enhanced: string, text: string): Route {
  return { kind: 'fail', permanent, reply: { code, enhanced, text, remote: 'dns' } };
}

function dnsTrouble(answer: Extract<DnsAnswer, { kind: 'error' }>, name: string, type: string): Route {
  return fail(false, 451, '4.4.3', `DNS ${type} lookup for ${name} failed: ${answer.error} (${answer.detail})`);
}

/** Mail for `domain` would come back to us (Postfix says "mail for X loops back to myself"). */
function loopsBack(domain: string, host: string): Route {
  return fail(true, 554, '5.4.6', `mail for ${domain} loops back to myself: ${host} is this gateway and no more preferred MX host is left`);
}

/** Shuffles runs of equal preference in place (Fisher-Yates within each run). */
function shuffleEqualPreferences<T extends { preference: number }>(sorted: T[], random: () => number): T[] {
  let start = 0;
  while (start < sorted.length) {
    let end = start;
    while (end < sorted.length && sorted[end]?.preference === sorted[start]?.preference) end++;
    for (let i = end - 1; i > start; i--) {
      const j = start + Math.floor(random() * (i - start + 1));
      [sorted[i], sorted[j]] = [sorted[j] as T, sorted[i] as T];
    }
    start = end;
  }
  return sorted;
}

/**
 * The addresses of `host` (A, then AAAA): a list, possibly empty when the name does not exist or has no
 * address, or 'error' when DNS said "try later".
 */
async function addressesOf(resolver: DnsResolver, host: string): Promise<string[] | 'error'> {
  if (IPV4.test(host)) return [host];
  const [a, aaaa] = await Promise.all([resolver.resolve(host, 'A'), resolver.resolve(host, 'AAAA')]);
  if (a.kind === 'error' && aaaa.kind === 'error') return 'error';
  const list: string[] = [];
  if (a.kind === 'records') list.push(...a.records.map((r) => r.data));
  if (aaaa.kind === 'records') list.push(...aaaa.records.map((r) => r.data));
  if (list.length === 0 && (a.kind === 'error' || aaaa.kind === 'error')) return 'error';
  return list;
}

/**
 * Resolves the route for `domain`: a smart host if given, else MX → hosts with addresses in preference order.
 * Fails permanently for NXDOMAIN (5.1.2), a null MX (556 5.1.10) or MX hosts that all do not exist (5.4.4),
 * temporarily for DNS errors (4.4.3).
 */
export async function resolveRoute(
  domain: string,
  resolver: DnsResolver,
  options: { smartHost?: SmartHost; random?: () => number; isSelf?: (address: string) => boolean } = {},
): Promise<Route> {
  if (options.smartHost !== undefined) {
    const addresses = await addressesOf(resolver, options.smartHost.host);
    if (addresses === 'error') return fail(false, 451, '4.4.3', `cannot resolve smart host ${options.smartHost.host}`);
    if (addresses.length === 0) return fail(false, 451, '4.4.4', `smart host ${options.smartHost.host} has no address`);
    return { kind: 'hosts', hosts: [{ name: options.smartHost.host, preference: 0, addresses }], implicit: false, smartHost: true, mxSecure: false };
  }
  const mx = await resolver.resolve(domain, 'MX');
  if (mx.kind === 'error') return dnsTrouble(mx, domain, 'MX');
  if (mx.kind === 'nxdomain') return fail(true, 550, '5.1.2', `domain ${domain} does not exist`);
  if (mx.kind === 'nodata') {
    // RFC 5321 §5.1: no MX records → the domain itself is the implicit MX, with preference 0.
    const addresses = await addressesOf(resolver, domain);
    if (addresses === 'error') return fail(false, 451, '4.4.3', `DNS address lookup for ${domain} failed`);
    if (addresses.length === 0) return fail(true, 550, '5.1.2', `domain ${domain} has no MX and no address records`);
    if (options.isSelf !== undefined && addresses.some(options.isSelf)) return loopsBack(domain, domain);
    return { kind: 'hosts', hosts: [{ name: domain, preference: 0, addresses }], implicit: true, smartHost: false, mxSecure: mx.secure };
  }
  // RFC 7505 §3: a null MX ("0 .") says the domain accepts no mail; treat it so even beside other records.
  if (mx.records.some((r) => r.data.exchange === '')) {
    return fail(true, 556, '5.1.10', `domain ${domain} accepts no mail (null MX, RFC 7505)`);
  }
  const sorted = shuffleEqualPreferences(
    [...mx.records].sort((x, y) => x.data.preference - y.data.preference).map((r) => r.data),
    options.random ?? Math.random,
  ).slice(0, MAX_MX_HOSTS);
  const hosts: RouteHost[] = [];
  let dnsError = false;
  let budget = MAX_ROUTE_ADDRESSES;
  let self: string | undefined;
  for (const record of sorted) {
    if (budget <= 0) break;
    const addresses = await addressesOf(resolver, record.exchange);
    if (addresses === 'error') {
      dnsError = true;
      continue;
    }
    if (addresses.length === 0) continue;
    if (options.isSelf !== undefined && addresses.some(options.isSelf)) {
      // RFC 5321 §5.1: we are this MX, so this entry and every one of the same or a higher preference value
      // go (equal preferences were shuffled: those already taken are dropped too).
      self = record.exchange;
      while (hosts.length > 0 && (hosts[hosts.length - 1] as RouteHost).preference >= record.preference) hosts.pop();
      break;
    }
    const taken = addresses.slice(0, budget);
    budget -= taken.length;
    hosts.push({ name: record.exchange, preference: record.preference, addresses: taken });
  }
  if (hosts.length === 0) {
    if (self !== undefined) return loopsBack(domain, self);
    return dnsError
      ? fail(false, 451, '4.4.3', `cannot resolve the MX hosts of ${domain}`)
      : fail(true, 554, '5.4.4', `no MX host of ${domain} has an address`);
  }
  return { kind: 'hosts', hosts, implicit: false, smartHost: false, mxSecure: mx.secure };
}
