// The TLS-RPT report model (RFC 8460 §4): what we generate and what we parse from others, in one shape.
// JSON member names are the RFC's; the model uses camelCase and is converted at the edge (generate/parse).

import type { TlsRptPolicyType } from '../../transport/tls-policy/types.js';

/** The policy a set of sessions ran under (RFC 8460 §4.4 `policy`). `other` keeps a policy-type outside the RFC. */
export interface TlsRptPolicyRef {
  policyType: TlsRptPolicyType | 'other';
  /** For `other`: the policy-type as received. */
  policyTypeText?: string;
  /** The STS policy lines or the TLSA records (presentation form); empty for no-policy-found. */
  policyString: string[];
  policyDomain: string;
  /** MX patterns (STS) or the MX host (TLSA); RFC 8460 `mx-host`. */
  mxHost: string[];
}

/** RFC 8460 §4.4 `failure-details` entry. `resultType` keeps unknown registry values as received. */
export interface TlsRptFailureDetail {
  resultType: string;
  sendingMtaIp?: string;
  receivingMxHostname?: string;
  receivingMxHelo?: string;
  receivingIp?: string;
  failedSessionCount: number;
  additionalInformation?: string;
  failureReasonCode?: string;
}

export interface TlsRptPolicyResult {
  policy: TlsRptPolicyRef;
  summary: { totalSuccessfulSessionCount: number; totalFailureSessionCount: number };
  failureDetails: TlsRptFailureDetail[];
}

export interface TlsRptReport {
  organizationName: string;
  /** ISO 8601 UTC date-times as in the report. */
  dateRange: { startDatetime: string; endDatetime: string };
  contactInfo: string;
  reportId: string;
  policies: TlsRptPolicyResult[];
}

/** One SMTP session's TLS outcome, as the delivery code records it. */
export interface TlsSessionOutcome {
  /** When the session ran, ms since the epoch. */
  at: number;
  policy: TlsRptPolicyRef;
  result:
    | { kind: 'success' }
    | {
        kind: 'failure';
        resultType: string;
        sendingMtaIp?: string;
        receivingMxHostname?: string;
        receivingMxHelo?: string;
        receivingIp?: string;
        failureReasonCode?: string;
        additionalInformation?: string;
      };
}

/**
 * The collector port: counts sessions per policy so a daily report can be produced. The gateway persists it
 * later; MemoryTlsRptCollector is the in-memory implementation.
 */
export interface TlsRptCollector {
  record(outcome: TlsSessionOutcome): Promise<void>;
  /** Policy domains with sessions in [start, end) (ms). */
  domains(start: number, end: number): Promise<string[]>;
  /** Aggregated results for one policy domain's sessions in [start, end). */
  collect(policyDomain: string, start: number, end: number): Promise<TlsRptPolicyResult[]>;
  /** Forgets sessions before `before` (after their report went out). */
  prune(before: number): Promise<void>;
}
