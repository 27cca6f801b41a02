// Reading TLS-RPT reports others send us (RFC 8460 §4, §5): JSON, gzip'd JSON, or the multipart/report mail,
// into the same model we generate. Decompression is capped (gzip bombs); every problem is a result, never a throw.

import { gunzipSync } from 'node:zlib';
import { contentType, leafParts } from './mime.js';
import type { TlsRptFailureDetail, TlsRptPolicyRef, TlsRptPolicyResult, TlsRptReport } from './types.js';
import { TLSRPT_RESULT_TYPES } from '../../transport/tls-policy/types.js';

/** Decompressed JSON larger than this is refused: the largest real daily reports are a few MB. */
export const MAX_REPORT_JSON_BYTES = 16 * 1024 * 1024;
/** Input (mail or gzip) larger than this is refused before any work. */
export const MAX_REPORT_INPUT_BYTES = 32 * 1024 * 1024;
/** Policies and failure details per report. */
export const MAX_REPORT_POLICIES = 10_000;
export const MAX_FAILURE_DETAILS_PER_POLICY = 10_000;

export type TlsRptParseCode = 'too-large' | 'bad-gzip' | 'bad-json' | 'bad-report' | 'no-report-part';

export type TlsRptParseResult =
  | { ok: true; value: TlsRptReport; format: 'json' | 'gzip' | 'mail'; warnings: string[] }
  | { ok: false; error: { code: TlsRptParseCode; message: string } };

export interface TlsRptParseOptions {
  maxJsonBytes?: number;
}

/** Parses a received report in any of its forms. Never throws. */
export function parseTlsRptInput(input: Buffer | string, options: TlsRptParseOptions = {}): TlsRptParseResult {
  const bytes = typeof input === 'string' ? Buffer.from(input) : input;
  if (bytes.length > MAX_REPORT_INPUT_BYTES) return fail('too-large', `input over ${MAX_REPORT_INPUT_BYTES} bytes`);
  const max = options.maxJsonBytes ?? MAX_REPORT_JSON_BYTES;
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return withFormat(fromGzip(bytes, max), 'gzip');
  const first = bytes.toString('latin1', 0, Math.min(bytes.length, 64)).trimStart();
  if (first.startsWith('{')) return withFormat(fromJsonBytes(bytes, max), 'json');
  for (const part of leafParts(bytes)) {
    const ct = contentType(part.headers.get('content-type'));
    const disposition = part.headers.get('content-disposition') ?? '';
    const name = ct.params.get('name') ?? /filename="?([^";]+)/i.exec(disposition)?.[1] ?? '';
    const gz = ct.type === 'application/tlsrpt+gzip' || ct.type === 'application/gzip' || /\.json\.gz$/i.test(name);
    const json = ct.type === 'application/tlsrpt+json' || ct.type === 'application/json' || /\.json$/i.test(name);
    if (gz || json) return withFormat(gz && part.body[0] === 0x1f ? fromGzip(part.body, max) : fromJsonBytes(part.body, max), 'mail');
  }
  return fail('no-report-part', 'neither JSON, gzip, nor a mail with an application/tlsrpt+gzip or +json part');
}

type Inner = { ok: true; value: TlsRptReport; warnings: string[] } | { ok: false; error: { code: TlsRptParseCode; message: string } };

function withFormat(result: Inner, format: 'json' | 'gzip' | 'mail'): TlsRptParseResult {
  return result.ok ? { ...result, format } : result;
}

function fromGzip(bytes: Buffer, max: number): Inner {
  let json: Buffer;
  try {
    json = gunzipSync(bytes, { maxOutputLength: max });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) return fail('too-large', `decompressed report over ${max} bytes`);
    return fail('bad-gzip', `not valid gzip: ${(error as Error).message}`);
  }
  return fromJsonBytes(json, max);
}

function fromJsonBytes(bytes: Buffer, max: number): Inner {
  if (bytes.length > max) return fail('too-large', `report JSON over ${max} bytes`);
  let data: unknown;
  try {
    data = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    return fail('bad-json', (error as Error).message);
  }
  return reportFromJson(data);
}

/** Validates parsed JSON against RFC 8460 §4.4 and converts it to the model. */
export function reportFromJson(data: unknown): Inner {
  const warnings: string[] = [];
  if (!isObject(data)) return fail('bad-report', 'the report must be a JSON object');
  const org = data['organization-name'];
  const range = data['date-range'];
  const reportId = data['report-id'];
  const policies = data.policies;
  if (typeof org !== 'string') return fail('bad-report', 'organization-name is required');
  if (!isObject(range) || typeof range['start-datetime'] !== 'string' || typeof range['end-datetime'] !== 'string') return fail('bad-report', 'date-range needs start-datetime and end-datetime');
  if (Number.isNaN(Date.parse(range['start-datetime'])) || Number.isNaN(Date.parse(range['end-datetime']))) return fail('bad-report', 'date-range times are not RFC 3339 date-times');
  if (typeof reportId !== 'string') return fail('bad-report', 'report-id is required');
  if (!Array.isArray(policies)) return fail('bad-report', 'policies must be a list');
  if (policies.length > MAX_REPORT_POLICIES) return fail('too-large', `more than ${MAX_REPORT_POLICIES} policies`);
  let contactInfo = '';
  if (typeof data['contact-info'] === 'string') contactInfo = data['contact-info'];
  else warnings.push('contact-info is missing');
  const results: TlsRptPolicyResult[] = [];
  for (const [i, raw] of policies.entries()) {
    const result = policyFromJson(raw, `policies[${i}]`, warnings);
    if (typeof result === 'string') return fail('bad-report', result);
    results.push(result);
  }
  return {
    ok: true,
    value: { organizationName: org, dateRange: { startDatetime: range['start-datetime'], endDatetime: range['end-datetime'] }, contactInfo, reportId, policies: results },
    warnings,
  };
}

function policyFromJson(raw: unknown, path: string, warnings: string[]): TlsRptPolicyResult | string {
  if (!isObject(raw) || !isObject(raw.policy) || !isObject(raw.summary)) return `${path}: needs policy and summary objects`;
  const p = raw.policy;
  const type = p['policy-type'];
  const domain = p['policy-domain'];
  if (typeof type !== 'string') return `${path}.policy.policy-type is required`;
  if (typeof domain !== 'string') return `${path}.policy.policy-domain is required`;
  const policy: TlsRptPolicyRef = { policyType: 'other', policyString: [], policyDomain: domain.toLowerCase(), mxHost: [] };
  if (type === 'tlsa' || type === 'sts' || type === 'no-policy-found') policy.policyType = type;
  else {
    // RFC 8460 §4.4 lists three types; a report with another is kept (it is someone's data) and flagged.
    policy.policyTypeText = type;
    warnings.push(`${path}: unknown policy-type "${type}" kept as other`);
  }
  const strings = p['policy-string'];
  if (strings !== undefined) {
    if (!Array.isArray(strings) || !strings.every((s) => typeof s === 'string')) return `${path}.policy.policy-string must be a list of strings`;
    policy.policyString = strings as string[];
  }
  const mx = p['mx-host'];
  if (typeof mx === 'string') policy.mxHost = [mx];
  else if (Array.isArray(mx) && mx.every((s) => typeof s === 'string')) policy.mxHost = mx as string[];
  else if (mx !== undefined) return `${path}.policy.mx-host must be a string or a list of strings`;
  const success = raw.summary['total-successful-session-count'];
  const failure = raw.summary['total-failure-session-count'];
  if (!isCount(success) || !isCount(failure)) return `${path}.summary counts must be non-negative integers`;
  const details: TlsRptFailureDetail[] = [];
  const rawDetails = raw['failure-details'] ?? [];
  if (!Array.isArray(rawDetails)) return `${path}.failure-details must be a list`;
  if (rawDetails.length > MAX_FAILURE_DETAILS_PER_POLICY) return `${path}: more than ${MAX_FAILURE_DETAILS_PER_POLICY} failure details`;
  for (const [j, d] of rawDetails.entries()) {
    const where = `${path}.failure-details[${j}]`;
    if (!isObject(d) || typeof d['result-type'] !== 'string' || !isCount(d['failed-session-count'])) return `${where}: needs result-type and failed-session-count`;
    const detail: TlsRptFailureDetail = { resultType: d['result-type'], failedSessionCount: d['failed-session-count'] };
    if (!(TLSRPT_RESULT_TYPES as readonly string[]).includes(detail.resultType)) warnings.push(`${where}: result-type "${detail.resultType}" is not in RFC 8460 §4.3`);
    const optional = [
      ['sending-mta-ip', 'sendingMtaIp'],
      ['receiving-mx-hostname', 'receivingMxHostname'],
      ['receiving-mx-helo', 'receivingMxHelo'],
      ['receiving-ip', 'receivingIp'],
      ['additional-information', 'additionalInformation'],
      ['failure-reason-code', 'failureReasonCode'],
    ] as const;
    for (const [json, field] of optional) {
      const value = d[json];
      if (value === undefined) continue;
      if (typeof value !== 'string') return `${where}.${json} must be a string`;
      detail[field] = value;
    }
    details.push(detail);
  }
  return { policy, summary: { totalSuccessfulSessionCount: success, totalFailureSessionCount: failure }, failureDetails: details };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function fail(code: TlsRptParseCode, message: string): { ok: false; error: { code: TlsRptParseCode; message: string } } {
  return { ok: false, error: { code, message } };
}
