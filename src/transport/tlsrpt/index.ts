// TLS-RPT (RFC 8460) on the transport side: the `_smtp._tls` record, and turning a session's outcome into
// what the report collector counts. Reports themselves are in src/reports/tlsrpt. See docs/tlsrpt.md.

export {
  parseTlsRptRecord,
  lookupTlsRpt,
  generateTlsRptRecord,
  MAX_TLSRPT_RECORD_LENGTH,
  MAX_RUA_URIS,
  type TlsRptRecord,
  type TlsRptRecordCode,
  type TlsRptRecordResult,
  type TlsRptDiscovery,
} from './record.js';
export { sessionOutcome, type SessionOutcomeInput } from './outcome.js';
