// The TLS-RPT policy record (RFC 8460 §3): `_smtp._tls.<domain>` TXT `v=TLSRPTv1; rua=mailto:…,https://…`.
// Parsing, discovery through the DNS port, and generation for our own domains.

import type { DnsResolver } from '../../core/dns/types.js';

export interface TlsRptRecord {
  /** Where reports go, in order: `mailto:` or `https:` URIs (RFC 8460 §3). */
  rua: { scheme: 'mailto' | 'https'; uri: string }[];
  /** Other fields, kept in order and ignored (RFC 8460 §3 `tlsrpt-extension`). */
  extensions: { name: string; value: string }[];
}

export type TlsRptRecordCode = 'not-tlsrpt' | 'missing-rua' | 'bad-field' | 'bad-uri' | 'duplicate-field' | 'too-long';

export type TlsRptRecordResult = { ok: true; value: TlsRptRecord } | { ok: false; error: { code: TlsRptRecordCode; message: string; offset: number } };

/** Longer records are refused: a TXT RRset has no business being larger than one UDP answer. */
export const MAX_TLSRPT_RECORD_LENGTH = 4096;
/** Report URIs kept; RFC 8460 sets no limit, a sender delivering to hundreds of URIs would be an amplifier. */
export const MAX_RUA_URIS = 10;

/** Parses one record's text (the TXT strings joined). Never throws. RFC 8460 §3. */
export function parseTlsRptRecord(text: string): TlsRptRecordResult {
  if (text.length > MAX_TLSRPT_RECORD_LENGTH) return bad('too-long', `over ${MAX_TLSRPT_RECORD_LENGTH} characters`, MAX_TLSRPT_RECORD_LENGTH);
  const version = /^v=TLSRPTv1[ \t]*(;|$)/.exec(text);
  if (version === null) return bad('not-tlsrpt', 'the record must begin with "v=TLSRPTv1"', 0);
  const record: TlsRptRecord = { rua: [], extensions: [] };
  let offset = version[0].length;
  let sawRua = false;
  for (const part of text.slice(offset).split(';')) {
    const start = offset;
    offset += part.length + 1;
    const field = part.trim();
    if (field === '') continue;
    const m = /^([A-Za-z0-9][A-Za-z0-9._-]{0,31})[ \t]*=[ \t]*(.*)$/.exec(field);
    if (m === null) return bad('bad-field', `"${field.slice(0, 40)}" is not name=value`, start);
    const name = (m[1] as string).toLowerCase();
    const value = m[2] as string;
    if (name === 'rua') {
      if (sawRua) return bad('duplicate-field', 'rua appears twice', start);
      sawRua = true;
      for (const raw of value.split(',')) {
        const uri = raw.trim();
        const scheme = /^mailto:/i.test(uri) ? 'mailto' : /^https:\/\//i.test(uri) ? 'https' : undefined;
        if (scheme === undefined || !validUri(uri, scheme)) return bad('bad-uri', `"${uri.slice(0, 60)}" is not a mailto: or https: URI`, start);
        if (record.rua.length < MAX_RUA_URIS) record.rua.push({ scheme, uri });
      }
    } else {
      record.extensions.push({ name, value });
    }
  }
  if (!sawRua) return bad('missing-rua', 'rua= is required', text.length);
  return { ok: true, value: record };
}

function validUri(uri: string, scheme: 'mailto' | 'https'): boolean {
  if (/[\s;,]/.test(uri)) return false;
  if (scheme === 'mailto') return /^mailto:[^@]+@[^@]+\.[^@]+$/i.test(uri);
  try {
    return new URL(uri).protocol === 'https:';
  } catch {
    return false;
  }
}

export type TlsRptDiscovery =
  | { kind: 'record'; domain: string; record: TlsRptRecord; text: string }
  | { kind: 'none'; domain: string; reason: 'no-record' | 'multiple-records' | 'invalid-record' | 'dns-error'; detail: string };

/**
 * Looks up where to send TLS reports for `domain` (RFC 8460 §3): exactly one TXT record at `_smtp._tls.<domain>`
 * beginning with `v=TLSRPTv1`. Several such records, or one that does not parse, mean no reporting.
 */
export async function lookupTlsRpt(domain: string, resolver: DnsResolver): Promise<TlsRptDiscovery> {
  const name = `_smtp._tls.${domain.toLowerCase().replace(/\.$/, '')}`;
  const answer = await resolver.resolve(name, 'TXT');
  if (answer.kind === 'error') return { kind: 'none', domain, reason: 'dns-error', detail: `${name} TXT: ${answer.error} (${answer.detail})` };
  if (answer.kind !== 'records') return { kind: 'none', domain, reason: 'no-record', detail: `${name}: ${answer.kind}` };
  const texts = answer.records.map((r) => r.data.join('')).filter((t) => /^v=TLSRPTv1[ \t]*(;|$)/.test(t));
  if (texts.length === 0) return { kind: 'none', domain, reason: 'no-record', detail: `${name}: no record begins with v=TLSRPTv1` };
  if (texts.length > 1) return { kind: 'none', domain, reason: 'multiple-records', detail: `${name}: ${texts.length} records begin with v=TLSRPTv1` };
  const text = texts[0] as string;
  const parsed = parseTlsRptRecord(text);
  if (!parsed.ok) return { kind: 'none', domain, reason: 'invalid-record', detail: `${name}: ${parsed.error.message}` };
  return { kind: 'record', domain, record: parsed.value, text };
}

/** The record text for our own domain. Throws RangeError on a URI that is not mailto:/https: (a programmer error). */
export function generateTlsRptRecord(rua: readonly string[]): string {
  if (rua.length === 0) throw new RangeError('generateTlsRptRecord: at least one rua URI');
  for (const uri of rua) {
    const scheme = /^mailto:/i.test(uri) ? 'mailto' : /^https:\/\//i.test(uri) ? 'https' : undefined;
    if (scheme === undefined || !validUri(uri, scheme)) throw new RangeError(`generateTlsRptRecord: "${uri}" is not a mailto: or https: URI`);
  }
  return `v=TLSRPTv1; rua=${rua.join(',')}`;
}

function bad(code: TlsRptRecordCode, message: string, offset: number): TlsRptRecordResult {
  return { ok: false, error: { code, message, offset } };
}
