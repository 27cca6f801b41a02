// TLS-RPT reports (RFC 8460 §4–§5): the model, the session collector port and its in-memory implementation,
// daily report generation (JSON, gzip, file name, mail, HTTPS body) and parsing received reports.

export type { TlsRptPolicyRef, TlsRptFailureDetail, TlsRptPolicyResult, TlsRptReport, TlsSessionOutcome, TlsRptCollector } from './types.js';
export { MemoryTlsRptCollector, MAX_FAILURE_DETAILS, MAX_BUCKETS } from './collector.js';
export { buildTlsRptReport, tlsRptToJson, gzipTlsRpt, tlsRptFilename, tlsRptMail, tlsRptHttpsBody, type BuildReportInput, type TlsRptMailInput } from './generate.js';
export {
  parseTlsRptInput,
  reportFromJson,
  MAX_REPORT_JSON_BYTES,
  MAX_REPORT_INPUT_BYTES,
  MAX_REPORT_POLICIES,
  MAX_FAILURE_DETAILS_PER_POLICY,
  type TlsRptParseCode,
  type TlsRptParseResult,
  type TlsRptParseOptions,
} from './parse.js';
