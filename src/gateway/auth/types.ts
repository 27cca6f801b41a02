// Inbound authentication as the gateway applies it: the settings (from the config's `inboundAuth` section),
// the verdict a message gets, and what the DATA stage hands to the Authentication-Results sink.

import type { VerifyResult } from '../../auth/pipeline/index.js';

/**
 * How far DMARC is enforced on inbound mail:
 * - `reject-and-quarantine`: p=reject failures get 550 5.7.1, p=quarantine failures go to the queue's hold;
 * - `quarantine-only`: both go to hold (a p=reject failure is never refused: a softer start);
 * - `report-only`: nothing is refused or held; the Authentication-Results field still says what failed.
 */
export type DmarcEnforcement = 'reject-and-quarantine' | 'quarantine-only' | 'report-only';

/** The gateway's inbound authentication settings, resolved (every default filled in). */
export interface InboundAuthSettings {
  /** Our authserv-id (RFC 8601 §2.5): the name in the Authentication-Results field we add and protect. */
  authservId: string;
  enforceDmarc: DmarcEnforcement;
  /**
   * DMARC temperror (a DNS failure decided the verdict): `accept` the message (with dmarc=temperror in its
   * Authentication-Results) or `defer` it with 451 4.4.3 so the sender retries.
   */
  onTempError: 'accept' | 'defer';
  /** ARC sealers whose ARC-Authentication-Results are believed when DMARC fails (RFC 8617 §7.2). */
  trustedArcSealers: string[];
  /** CIDRs of filters in front of us: SPF is checked against the first hop outside them. */
  trustedHops: string[];
  dmarcMode: 'rfc9989' | 'rfc7489';
}

/**
 * What the gateway does with a verified message, with a stable reason code for the trace:
 * - `accept`: `dmarc-pass`, `dmarc-none`, `dmarc-fail` (p=none), `dmarc-permerror`, `dmarc-temperror`,
 *   `arc-trusted-forwarder`, `dmarc-report-only` (failed a reject/quarantine policy, enforcement off);
 * - `quarantine`: `dmarc-quarantine`, `dmarc-reject-quarantined` (p=reject under quarantine-only);
 * - `reject`: `dmarc-reject`;
 * - `defer`: `dmarc-temperror-deferred` (onTempError: defer).
 */
export interface InboundAuthVerdict {
  action: 'accept' | 'quarantine' | 'reject' | 'defer';
  reason: string;
  /** The Author Domain ('' when none could be extracted). */
  domain: string;
  /** For `quarantine`: the queue's hold reason, starting with `quarantine:`. */
  hold?: string;
}

/** What the DATA stage computed for one message, for the sink that stamps it. */
export interface InboundAuthOutcome {
  result: VerifyResult;
  verdict: InboundAuthVerdict;
}
