// The trusted-ARC-sealer local policy (RFC 8617 §7.2, RFC 9989 §5.4 "local policy"): when DMARC fails
// because an intermediary broke SPF or DKIM, a receiver may believe what a sealer it trusts recorded
// before the break (its ARC-Authentication-Results) and not apply the Domain Owner's policy.
//
// Which instances count: the chain must validate (cv=pass), so every seal is intact and each AAR is what its
// sealer wrote. The newest sealer handed the message on (to us or to our trusted hops) and must be trusted;
// walking down from it, each instance whose sealer is trusted may be believed; the first untrusted sealer
// ends the walk (an untrusted sealer could have relayed a message it made up). The newest believed AAR that
// shows spf, dkim or dmarc pass applies the override.

import type { AuthResultEntry } from '../auth-results/index.js';
import type { ArcValidationResult } from '../arc/index.js';
import type { DmarcResult } from '../dmarc/index.js';
import type { ArcPolicyDecision } from './types.js';

/** The AAR methods whose pass the policy accepts, strongest first. */
const EVIDENCE_METHODS = ['dmarc', 'dkim', 'spf'] as const;

/** A trusted sealer list in the form compared: lower case, no trailing dot. */
export function normalizeSealers(sealers: readonly string[]): Set<string> {
  return new Set(sealers.map((s) => String(s).trim().toLowerCase().replace(/\.$/, '')).filter((s) => s !== ''));
}

/**
 * Decides whether the trusted-sealer policy overrides a DMARC fail. Returns the decision with a stable
 * reason; `applied: true` only for reason `arc-trusted-forwarder`. Pure; never throws.
 */
export function evaluateTrustedArc(arc: ArcValidationResult, dmarc: DmarcResult, trusted: ReadonlySet<string>): ArcPolicyDecision {
  if (dmarc.result !== 'fail') return { applied: false, reason: 'dmarc-not-failed', detail: `DMARC is ${dmarc.result}: no override needed` };
  if (trusted.size === 0) return { applied: false, reason: 'no-trusted-sealers', detail: 'no trusted ARC sealers are configured' };
  if (arc.cv !== 'pass') return { applied: false, reason: 'chain-not-pass', detail: `the ARC chain is ${arc.cv} (${arc.reason}): nothing in it can be believed` };
  const newest = arc.instances[arc.instances.length - 1];
  if (newest === undefined || !trusted.has(newest.domain)) {
    return { applied: false, reason: 'sealer-not-trusted', detail: `the newest ARC-Seal (i=${newest?.instance ?? '?'}) is by ${newest?.domain || 'an unknown domain'}, not a trusted sealer` };
  }
  const walked: number[] = [];
  for (let k = arc.instances.length - 1; k >= 0; k--) {
    const set = arc.instances[k]!;
    if (!trusted.has(set.domain)) break;
    walked.push(set.instance);
    const evidence = passes(set.aar.results ?? []);
    if (evidence.length > 0) {
      return {
        applied: true,
        reason: 'arc-trusted-forwarder',
        detail: `DMARC failed, but trusted sealer ${set.domain} (ARC i=${set.instance}) recorded ${evidence.join(', ')} before forwarding: local policy applies no DMARC action`,
        instance: set.instance,
        sealer: set.domain,
        evidence,
        trustedInstances: walked,
      };
    }
  }
  return {
    applied: false,
    reason: 'no-pass-in-aar',
    detail: `the trusted sealers' ARC-Authentication-Results (i=${walked.join(', ')}) show no spf, dkim or dmarc pass`,
    trustedInstances: walked,
  };
}

/** The AAR results that count as evidence, rendered `method=pass prop=value`. */
function passes(results: readonly AuthResultEntry[]): string[] {
  const out: string[] = [];
  for (const method of EVIDENCE_METHODS) {
    for (const entry of results) {
      if (entry.method !== method || entry.result !== 'pass') continue;
      const props = entry.props.filter((p) => `${p.ptype}.${p.property}` !== 'header.b').map((p) => `${p.ptype}.${p.property}=${p.value}`);
      out.push([`${method}=pass`, ...props].join(' '));
    }
  }
  return out;
}
