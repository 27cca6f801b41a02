// From verifyMessage's disposition to what the gateway does, under the configured enforcement. Pure: the
// stage (stage.ts) turns the verdict into a policy decision and the sink (sink.ts) into a hold.

import type { VerifyResult } from '../../auth/pipeline/index.js';
import type { InboundAuthSettings, InboundAuthVerdict } from './types.js';

/**
 * The verdict for a verified message. A DMARC failure whose policy applies (after t=y, pct and the
 * trusted-ARC-sealer override, all decided by verifyMessage) is rejected or quarantined as `enforceDmarc`
 * allows; a temperror is accepted or deferred as `onTempError` says; everything else is accepted.
 */
export function decideInbound(result: VerifyResult, settings: Pick<InboundAuthSettings, 'enforceDmarc' | 'onTempError'>): InboundAuthVerdict {
  const { disposition, dmarc } = result;
  const domain = dmarc.fromDomain;
  if (disposition.temporary === true) {
    return settings.onTempError === 'defer' ? { action: 'defer', reason: 'dmarc-temperror-deferred', domain } : { action: 'accept', reason: disposition.reason, domain };
  }
  if (disposition.action === 'none') return { action: 'accept', reason: disposition.reason, domain };
  if (settings.enforceDmarc === 'report-only') return { action: 'accept', reason: 'dmarc-report-only', domain };
  if (disposition.action === 'reject' && settings.enforceDmarc === 'reject-and-quarantine') return { action: 'reject', reason: 'dmarc-reject', domain };
  const requested = dmarc.policy?.requested ?? disposition.action;
  const testing = dmarc.testing ? ' t=y' : '';
  const downgraded = disposition.action === 'reject' ? ` (enforceDmarc ${settings.enforceDmarc})` : '';
  return {
    action: 'quarantine',
    reason: disposition.action === 'reject' ? 'dmarc-reject-quarantined' : 'dmarc-quarantine',
    domain,
    hold: `quarantine: dmarc p=${requested}${testing} for ${printable(domain)}${downgraded}`,
  };
}

/** The 550 text: the Author Domain and why DMARC failed (its stable reason code), printable ASCII only. */
export function rejectText(result: VerifyResult): string {
  return `Message rejected: the DMARC policy of ${printable(result.dmarc.fromDomain)} is reject and the message failed DMARC (${result.dmarc.reason})`;
}

/** The 451 text for a deferred temperror. */
export function deferText(result: VerifyResult): string {
  return `DNS failure while checking DMARC for ${printable(result.dmarc.fromDomain)}, try again later`;
}

/** Text that goes into an SMTP reply or a hold reason: printable ASCII, bounded (a domain is at most 253). */
function printable(text: string): string {
  return text.replace(/[^\x21-\x7e]/g, '?').slice(0, 253) || '(no domain)';
}
