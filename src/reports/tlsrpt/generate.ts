// Producing RFC 8460 reports: the JSON (§4), gzip'd with the §5.3 file name, as a multipart/report mail
// (§5.3) or an HTTPS POST body (§5.4).

import { randomBytes } from 'node:crypto';
import { reportMail } from '../report-mail.js';
import { gzipSync } from 'node:zlib';
import type { TlsRptFailureDetail, TlsRptPolicyResult, TlsRptReport } from './types.js';

const DAY_MS = 86_400_000;

export interface BuildReportInput {
  organizationName: string;
  contactInfo: string;
  /** Start of the UTC day the report covers, ms (reports are daily: RFC 8460 §4.1). */
  dayStart: number;
  policies: TlsRptPolicyResult[];
  reportId?: string;
}

/** Builds a daily report. The date range is the whole UTC day, end inclusive to the second (RFC 8460 §4.4 example). */
export function buildTlsRptReport(input: BuildReportInput): TlsRptReport {
  if (input.dayStart % DAY_MS !== 0) throw new RangeError('buildTlsRptReport: dayStart must be 00:00:00 UTC');
  return {
    organizationName: input.organizationName,
    dateRange: { startDatetime: isoSeconds(input.dayStart), endDatetime: isoSeconds(input.dayStart + DAY_MS - 1000) },
    contactInfo: input.contactInfo,
    reportId: input.reportId ?? `${isoSeconds(input.dayStart)}_${randomBytes(8).toString('hex')}`,
    policies: input.policies,
  };
}

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The report as RFC 8460 JSON (member names and order as in §4.4). */
export function tlsRptToJson(report: TlsRptReport): Record<string, unknown> {
  return {
    'organization-name': report.organizationName,
    'date-range': { 'start-datetime': report.dateRange.startDatetime, 'end-datetime': report.dateRange.endDatetime },
    'contact-info': report.contactInfo,
    'report-id': report.reportId,
    policies: report.policies.map((p) => ({
      policy: {
        'policy-type': p.policy.policyType === 'other' ? (p.policy.policyTypeText ?? 'other') : p.policy.policyType,
        ...(p.policy.policyString.length ? { 'policy-string': p.policy.policyString } : {}),
        'policy-domain': p.policy.policyDomain,
        ...(p.policy.mxHost.length === 1 ? { 'mx-host': p.policy.mxHost[0] } : p.policy.mxHost.length > 1 ? { 'mx-host': p.policy.mxHost } : {}),
      },
      summary: { 'total-successful-session-count': p.summary.totalSuccessfulSessionCount, 'total-failure-session-count': p.summary.totalFailureSessionCount },
      ...(p.failureDetails.length ? { 'failure-details': p.failureDetails.map(detailJson) } : {}),
    })),
  };
}

function detailJson(d: TlsRptFailureDetail): Record<string, unknown> {
  return {
    'result-type': d.resultType,
    ...(d.sendingMtaIp ? { 'sending-mta-ip': d.sendingMtaIp } : {}),
    ...(d.receivingMxHostname ? { 'receiving-mx-hostname': d.receivingMxHostname } : {}),
    ...(d.receivingMxHelo ? { 'receiving-mx-helo': d.receivingMxHelo } : {}),
    ...(d.receivingIp ? { 'receiving-ip': d.receivingIp } : {}),
    'failed-session-count': d.failedSessionCount,
    ...(d.additionalInformation ? { 'additional-information': d.additionalInformation } : {}),
    ...(d.failureReasonCode ? { 'failure-reason-code': d.failureReasonCode } : {}),
  };
}

/** The report gzip'd (RFC 8460 §5.3: `application/tlsrpt+gzip`). */
export function gzipTlsRpt(report: TlsRptReport): Buffer {
  return gzipSync(Buffer.from(JSON.stringify(tlsRptToJson(report))));
}

/**
 * RFC 8460 §5.3 file name: `sender!policy-domain!begin!end!unique-id.json.gz`, timestamps in Unix seconds.
 * `!` and `/` in the parts would break the format and are refused (RangeError).
 */
export function tlsRptFilename(input: { submitter: string; policyDomain: string; report: TlsRptReport; uniqueId?: string; gzip?: boolean }): string {
  const begin = Math.floor(Date.parse(input.report.dateRange.startDatetime) / 1000);
  const end = Math.floor(Date.parse(input.report.dateRange.endDatetime) / 1000);
  const parts = [input.submitter, input.policyDomain, String(begin), String(end), ...(input.uniqueId ? [input.uniqueId] : [])];
  for (const part of parts) if (part === '' || /[!/\\\s]/.test(part)) throw new RangeError(`tlsRptFilename: "${part}" cannot be part of a report file name`);
  return `${parts.join('!')}.json${input.gzip === false ? '' : '.gz'}`;
}

export interface TlsRptMailInput {
  report: TlsRptReport;
  /** Our domain (TLS-Report-Submitter). */
  submitter: string;
  policyDomain: string;
  from: string;
  /** The `mailto:` rua address. */
  to: string;
  /** Date header value time, ms. */
  date: number;
  messageId?: string;
  boundary?: string;
  /** The gzip'd report to attach as is (the file a sender keeps); default gzipTlsRpt(report). */
  gzip?: Buffer;
  /** The attachment's file name; default the §5.1 name with a random unique id. */
  filename?: string;
}

/** The report as a mail (RFC 8460 §5.3): multipart/report; report-type="tlsrpt", report part gzip'd in base64. */
export function tlsRptMail(input: TlsRptMailInput): Buffer {
  const gz = input.gzip ?? gzipTlsRpt(input.report);
  const filename = input.filename ?? tlsRptFilename({ submitter: input.submitter, policyDomain: input.policyDomain, report: input.report, uniqueId: randomBytes(4).toString('hex') });
  return reportMail(
    {
      from: input.from, to: input.to, date: input.date, policyDomain: input.policyDomain, submitter: input.submitter, reportId: input.report.reportId,
      ...(input.messageId === undefined ? {} : { messageId: input.messageId }),
      extraHeaders: [`TLS-Report-Domain: ${input.policyDomain}`, `TLS-Report-Submitter: ${input.submitter}`],
      multipart: 'multipart/report; report-type="tlsrpt"',
      boundary: input.boundary ?? `tlsrpt-${randomBytes(12).toString('hex')}`,
      text: `This is an aggregate TLS report from ${input.submitter} for ${input.policyDomain} (RFC 8460).`,
      attachment: { contentType: 'application/tlsrpt+gzip', filename, data: gz },
    },
    'tlsRptMail',
  );
}

/** What to POST to an `https:` rua (RFC 8460 §5.4). */
export function tlsRptHttpsBody(report: TlsRptReport): { method: 'POST'; contentType: 'application/tlsrpt+gzip'; body: Buffer } {
  return { method: 'POST', contentType: 'application/tlsrpt+gzip', body: gzipTlsRpt(report) };
}
