// The SMTP TLSA lookup (RFC 7672 §2.2): DANE applies to an MX host only when the MX RRset, the host's
// address records and the TLSA RRset are all DNSSEC-validated (the resolver's AD bit). This is the one
// place where DNS answers become DANE decisions.

import type { DnsAnswer, DnsResolver, RRType } from '../../core/dns/types.js';
import { normalizeName } from '../../core/dns/types.js';
import { classifyTlsa } from './tlsa.js';
import type { DaneLookupResult, DaneNone, DaneNoneReason, DaneTempError, TlsaRecord } from './types.js';

/** SMTP's port: TLSA records live at `_25._tcp.<host>` (RFC 7672 §2.2.3). */
export const SMTP_PORT = 25;
/** RFC 1035 §2.3.4. */
const MAX_NAME_LENGTH = 253;
const MAX_LABEL_LENGTH = 63;

export interface DaneLookupInput {
  /** The MX host name (the MX record's exchange), or the domain itself when it has no MX records. */
  host: string;
  /**
   * The MX RRset was validated (AD bit). For a domain without MX records ("implicit MX"), whether the
   * MX denial was validated. False means DANE cannot apply (RFC 7672 §2.2.1).
   */
  mxSecure: boolean;
  /** Default 25. */
  port?: number;
}

export interface DaneLookupOptions {
  resolver: DnsResolver;
  signal?: AbortSignal;
}

/**
 * Looks up the DANE policy for one MX host (RFC 7672 §2.2):
 * - `dane`: secure, usable TLSA records: TLS is mandatory and must authenticate against them;
 * - `tlsa-unusable`: secure TLSA records, none usable: TLS is mandatory, unauthenticated (RFC 7672 §2.2);
 * - `no-dane`: an insecure MX, address or TLSA answer, or a validated denial of TLSA: DANE does not apply;
 * - `temperror`: the address or TLSA lookup failed: the host is unusable for now (try another MX or defer).
 * The address lookup follows RFC 7672 §2.2.2: when the host is a CNAME, the expanded name's TLSA records are
 * tried first, then the original name's. Never throws.
 */
export async function lookupDane(input: DaneLookupInput, options: DaneLookupOptions): Promise<DaneLookupResult> {
  const host = normalizeName(input.host);
  const port = input.port ?? SMTP_PORT;
  if (!isUsableHostName(host)) return none(host, 'invalid-host', `"${input.host}" is not a usable host name`);
  if (!input.mxSecure) return none(host, 'mx-insecure', 'the MX records were not DNSSEC-validated (RFC 7672 §2.2.1)');
  const { resolver, signal } = options;
  const query = <T extends RRType>(name: string, type: T): Promise<DnsAnswer<T>> => resolver.resolve(name, type, { signal });

  // Address records: the A answer, or AAAA when the host has no A (RFC 7672 §2.2.2).
  let address: DnsAnswer<'A' | 'AAAA'> = await query(host, 'A');
  if (address.kind === 'nodata' || address.kind === 'nxdomain') {
    const aaaa = await query(host, 'AAAA');
    if (aaaa.kind !== 'nodata' && aaaa.kind !== 'nxdomain') address = aaaa;
  }
  if (address.kind === 'error') return temp(host, 'address-lookup-failed', `${host} address lookup: ${address.error} (${address.detail})`);
  if (address.kind !== 'records') return none(host, 'address-none', `${host} has no address records`);
  if (!address.secure) return none(host, 'address-insecure', `${host} address records are not DNSSEC-validated (RFC 7672 §2.2.2)`);

  // TLSA base domains: the CNAME-expanded name first, then the name as the MX record gave it.
  const expanded = address.records[0]?.name ?? host;
  const bases = expanded !== host ? [expanded, host] : [host];
  let ttl = Math.min(...address.records.map((r) => r.ttl));
  let lastNone: DaneNone | undefined;
  for (const base of bases) {
    const tlsaName = `_${port}._tcp.${base}`;
    const answer = await query(tlsaName, 'TLSA');
    if (answer.kind === 'error') return temp(host, 'tlsa-lookup-failed', `${tlsaName} TLSA lookup: ${answer.error} (${answer.detail})`);
    if (answer.kind !== 'records') {
      lastNone = answer.secure
        ? none(host, 'tlsa-none', `${tlsaName}: validated ${answer.kind}: no TLSA records`)
        : none(host, 'tlsa-insecure', `${tlsaName}: ${answer.kind} without DNSSEC validation`);
      continue;
    }
    if (!answer.secure) {
      lastNone = none(host, 'tlsa-insecure', `${tlsaName}: TLSA records are not DNSSEC-validated (RFC 7672 §2.1.1)`);
      continue;
    }
    ttl = Math.min(ttl, ...answer.records.map((r) => r.ttl));
    const records: TlsaRecord[] = answer.records.map((r) => r.data);
    const { usable, unusable } = classifyTlsa(records, 'smtp');
    if (usable.length === 0) {
      return { kind: 'tlsa-unusable', host, tlsaName, baseDomain: base, unusable, requireTls: true, authenticate: false, failure: 'tlsa-invalid', ttl };
    }
    const referenceNames = base === host ? [base] : [base, host];
    return { kind: 'dane', host, tlsaName, baseDomain: base, referenceNames, tlsa: usable, unusable, requireTls: true, authenticate: true, ttl };
  }
  return lastNone ?? none(host, 'tlsa-none', 'no TLSA records');
}

/** A name DNS can carry: 1–253 octets, labels 1–63, no empty label. Underscores are allowed (TLSA owners). */
function isUsableHostName(name: string): boolean {
  if (name.length === 0 || name.length > MAX_NAME_LENGTH) return false;
  return name.split('.').every((label) => label.length > 0 && label.length <= MAX_LABEL_LENGTH && /^[a-z0-9_-]+$/.test(label));
}

function none(host: string, reason: DaneNoneReason, detail: string): DaneNone {
  return { kind: 'no-dane', host, reason, detail, requireTls: false };
}

function temp(host: string, reason: DaneTempError['reason'], detail: string): DaneTempError {
  return { kind: 'temperror', host, reason, failure: 'dnssec-invalid', detail };
}

/**
 * RFC 8460 failure type for a lookup result when the sender's own configuration requires DANE for the
 * destination (e.g. a `dane-only` policy): `dane-required` when there is no DANE, else the result's own.
 * Returns undefined when nothing failed.
 */
export function daneLookupFailureType(result: DaneLookupResult, daneRequired: boolean): 'tlsa-invalid' | 'dnssec-invalid' | 'dane-required' | undefined {
  switch (result.kind) {
    case 'dane':
      return undefined;
    case 'tlsa-unusable':
      return 'tlsa-invalid';
    case 'temperror':
      return 'dnssec-invalid';
    case 'no-dane':
      return daneRequired ? 'dane-required' : undefined;
  }
}
