// From a TLS policy decision and what the connection did, to the one session outcome TLS-RPT counts
// (RFC 8460 §4.3, §4.4). The delivery engine calls this once per session attempt.

import type { SmtpTlsOutcome } from '../tls-policy/connect.js';
import type { TlsPolicyDecision } from '../tls-policy/types.js';
import type { TlsSessionOutcome } from '../../reports/tlsrpt/types.js';

export interface SessionOutcomeInput {
  decision: TlsPolicyDecision;
  /** What connectSmtpTls returned; absent when the MX was not tried (decision.blocked). */
  outcome?: SmtpTlsOutcome;
  /** Session time, ms. */
  at: number;
  sendingMtaIp?: string;
  receivingIp?: string;
}

/**
 * The session outcome to record, or undefined when there is nothing to report: a local mandatory rule (not the
 * recipient's published policy), or a failure that is not about TLS (connection refused, 5xx banner).
 */
export function sessionOutcome(input: SessionOutcomeInput): TlsSessionOutcome | undefined {
  const { decision } = input;
  if (decision.reportAs === undefined) return undefined;
  const policy = {
    policyType: decision.reportAs,
    policyString: decision.policyString ?? [],
    policyDomain: decision.domain,
    mxHost: decision.reportAs === 'sts' ? (decision.requirements.sts?.mx ?? []) : decision.reportAs === 'tlsa' ? [decision.mxHost] : [],
  };
  const where = {
    receivingMxHostname: decision.mxHost,
    ...(input.sendingMtaIp ? { sendingMtaIp: input.sendingMtaIp } : {}),
    ...(input.receivingIp ? { receivingIp: input.receivingIp } : {}),
  };
  if (decision.blocked) {
    return { at: input.at, policy, result: { kind: 'failure', resultType: decision.blocked.resultType, ...where, additionalInformation: decision.blocked.detail } };
  }
  const outcome = input.outcome;
  if (outcome === undefined) return undefined;
  const failure = outcome.ok ? outcome.reportFailure : outcome.failure;
  if (failure === undefined) {
    // A policy problem found before connecting (unusable TLSA set) makes the session a failure even if TLS worked.
    const before = decision.policyFailures.find((f) => f.resultType === 'tlsa-invalid');
    if (before) return { at: input.at, policy, result: { kind: 'failure', resultType: before.resultType, ...where, additionalInformation: before.detail } };
    return { at: input.at, policy, result: { kind: 'success' } };
  }
  if (failure.resultType === undefined) return undefined;
  return {
    at: input.at,
    policy,
    result: { kind: 'failure', resultType: failure.resultType, ...where, additionalInformation: failure.detail.slice(0, 200), failureReasonCode: failure.stage },
  };
}
