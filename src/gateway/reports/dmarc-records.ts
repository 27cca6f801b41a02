// What the gateway keeps of each verified inbound message for DMARC aggregate reports (RFC 9990 §2.1): one
// row per distinct (UTC day, policy domain, source IP, identifiers, disposition, DMARC-aligned results,
// authentication results), counted. The port the SQLite store implements, and the mapping from the inbound
// stage's outcome to a row.

import type { DmarcReportRecord } from '../../reports/dmarc/types.js';
import type { InboundAuthOutcome } from '../auth/types.js';

/** One message's report data, without its count (the store sums identical rows). */
export interface DmarcRecordRow {
  /** The DMARC Policy Domain whose record applied, or the Author Domain when none did. */
  policyDomain: string;
  record: Omit<DmarcReportRecord, 'count'>;
}

/** The collector port: recording is synchronous-cheap (batched), reads flush first. */
export interface DmarcRecordStore {
  /** Counts one message received at `at` (ms). */
  record(row: DmarcRecordRow, at: number): void;
  /** Policy domains with rows in [start, end). */
  domains(start: number, end: number): Promise<string[]>;
  /** The domain's records in [start, end), identical rows summed. */
  collect(policyDomain: string, start: number, end: number): Promise<DmarcReportRecord[]>;
  /** Deletes rows of days that ended before `before`. */
  prune(before: number): Promise<void>;
}

/**
 * The report row for a message the inbound stage verified, or undefined when there is nothing to report: no
 * Author Domain (DMARC permerror for a missing From), or a deferred message (the sender will try again).
 */
export function dmarcRowFor(outcome: InboundAuthOutcome, sourceIp: string, mailFrom: string): DmarcRecordRow | undefined {
  const { result, verdict } = outcome;
  const dmarc = result.dmarc;
  if (dmarc.fromDomain === '' || verdict.action === 'defer') return undefined;
  const reasons: DmarcReportRecord['policyEvaluated']['reasons'] = [];
  if (verdict.reason === 'arc-trusted-forwarder') reasons.push({ type: 'trusted_forwarder', comment: 'arc' });
  else if (verdict.reason === 'dmarc-report-only') reasons.push({ type: 'local_policy', comment: 'enforcement off' });
  else if (verdict.reason === 'dmarc-reject-quarantined') reasons.push({ type: 'local_policy', comment: 'reject quarantined' });
  if (dmarc.testing && dmarc.result === 'fail') reasons.push({ type: 'policy_test_mode' });
  const disposition = verdict.action === 'reject' ? 'reject' : verdict.action === 'quarantine' ? 'quarantine' : dmarc.result === 'pass' ? 'pass' : 'none';
  const spf = dmarc.alignment.spf;
  const envelopeFrom = mailFrom.includes('@') ? mailFrom.slice(mailFrom.lastIndexOf('@') + 1).toLowerCase() : spf.domain;
  return {
    policyDomain: (dmarc.policy?.domain ?? dmarc.fromDomain).toLowerCase(),
    record: {
      sourceIp,
      policyEvaluated: {
        disposition,
        dkim: dmarc.alignment.dkim.some((d) => d.aligned) ? 'pass' : 'fail',
        spf: spf.aligned ? 'pass' : 'fail',
        reasons,
      },
      identifiers: { headerFrom: dmarc.fromDomain, ...(envelopeFrom === '' ? {} : { envelopeFrom }) },
      authResults: {
        dkim: dmarc.alignment.dkim.map((d) => ({ domain: d.domain, ...(d.selector === undefined ? {} : { selector: d.selector }), result: d.result })),
        spf: [{ domain: spf.domain || result.spf.domain || envelopeFrom, scope: 'mfrom', result: result.spf.result }],
      },
    },
  };
}
