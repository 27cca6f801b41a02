// The in-memory TLS-RPT collector: sessions aggregated per UTC day, policy and failure detail, bounded.

import type { TlsRptCollector, TlsRptFailureDetail, TlsRptPolicyResult, TlsSessionOutcome } from './types.js';

const DAY_MS = 86_400_000;
/** Distinct failure details kept per policy and day; further ones only count in the summary (RFC 8460 §4.4 allows it). */
export const MAX_FAILURE_DETAILS = 1_000;
/** Distinct (day, policy) buckets kept; the oldest are dropped first. */
export const MAX_BUCKETS = 100_000;

interface Bucket {
  day: number;
  result: TlsRptPolicyResult;
  details: Map<string, TlsRptFailureDetail>;
}

export class MemoryTlsRptCollector implements TlsRptCollector {
  private readonly buckets = new Map<string, Bucket>();

  record(outcome: TlsSessionOutcome): Promise<void> {
    const day = Math.floor(outcome.at / DAY_MS) * DAY_MS;
    const policy = structuredClone(outcome.policy);
    policy.policyDomain = policy.policyDomain.toLowerCase();
    const key = JSON.stringify([day, policy.policyType, policy.policyTypeText ?? '', policy.policyDomain, policy.policyString, policy.mxHost]);
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = { day, result: { policy, summary: { totalSuccessfulSessionCount: 0, totalFailureSessionCount: 0 }, failureDetails: [] }, details: new Map() };
      this.buckets.set(key, bucket);
      while (this.buckets.size > MAX_BUCKETS) {
        const oldest = this.buckets.keys().next().value;
        if (oldest === undefined) break;
        this.buckets.delete(oldest);
      }
    }
    const { result } = outcome;
    if (result.kind === 'success') {
      bucket.result.summary.totalSuccessfulSessionCount++;
      return Promise.resolve();
    }
    bucket.result.summary.totalFailureSessionCount++;
    const { kind: _kind, ...fields } = result;
    const detailKey = JSON.stringify(Object.entries(fields).sort());
    const existing = bucket.details.get(detailKey);
    if (existing) existing.failedSessionCount++;
    else if (bucket.details.size < MAX_FAILURE_DETAILS) bucket.details.set(detailKey, { ...fields, failedSessionCount: 1 });
    return Promise.resolve();
  }

  domains(start: number, end: number): Promise<string[]> {
    const found = new Set<string>();
    for (const bucket of this.buckets.values()) if (bucket.day >= start && bucket.day < end) found.add(bucket.result.policy.policyDomain);
    return Promise.resolve([...found].sort());
  }

  collect(policyDomain: string, start: number, end: number): Promise<TlsRptPolicyResult[]> {
    const merged = new Map<string, TlsRptPolicyResult>();
    const domain = policyDomain.toLowerCase();
    for (const bucket of this.buckets.values()) {
      if (bucket.day < start || bucket.day >= end || bucket.result.policy.policyDomain !== domain) continue;
      const p = bucket.result.policy;
      const key = JSON.stringify([p.policyType, p.policyTypeText ?? '', p.policyString, p.mxHost]);
      const into = merged.get(key) ?? { policy: structuredClone(p), summary: { totalSuccessfulSessionCount: 0, totalFailureSessionCount: 0 }, failureDetails: [] };
      into.summary.totalSuccessfulSessionCount += bucket.result.summary.totalSuccessfulSessionCount;
      into.summary.totalFailureSessionCount += bucket.result.summary.totalFailureSessionCount;
      for (const detail of bucket.details.values()) {
        const { failedSessionCount, ...rest } = detail;
        const same = into.failureDetails.find((d) => JSON.stringify(Object.entries({ ...d, failedSessionCount: 0 }).sort()) === JSON.stringify(Object.entries({ ...rest, failedSessionCount: 0 }).sort()));
        if (same) same.failedSessionCount += failedSessionCount;
        else into.failureDetails.push({ ...detail });
      }
      merged.set(key, into);
    }
    return Promise.resolve([...merged.values()]);
  }

  prune(before: number): Promise<void> {
    for (const [key, bucket] of this.buckets) if (bucket.day + DAY_MS <= before) this.buckets.delete(key);
    return Promise.resolve();
  }
}
