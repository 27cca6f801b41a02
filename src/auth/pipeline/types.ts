// The message verification pipeline's options and its result: every verdict (SPF, DKIM, ARC, DMARC), the
// local policies applied on top, the disposition and the Authentication-Results header to add.
// Reason codes are stable and documented in docs/verify.md.

import type { Clock } from '../../core/clock.js';
import type { DnsResolver } from '../../core/dns/types.js';
import type { ArcValidationResult } from '../arc/index.js';
import type { DkimKeyCache, DkimVerifyResult } from '../dkim/index.js';
import type { DmarcMode, DmarcPolicy, DmarcResult, PublicSuffixList } from '../dmarc/index.js';
import type { SpfResult } from '../spf/index.js';

export interface VerifyMessageOptions {
  /** The SMTP client's IP address (the connection that delivered the message to us). */
  ip: string;
  /** The HELO/EHLO name the client gave. */
  helo: string;
  /** The MAIL FROM address, '' for the null sender (angle brackets are accepted). */
  mailFrom: string;
  /**
   * The DNS port. Unless it is already a CachingResolver, the pipeline wraps it in one for this call so
   * that SPF, DKIM, ARC and DMARC share their lookups.
   */
  resolver: DnsResolver;
  /** For signature times, SPF %{t} and the per-call cache; default the system clock. */
  clock?: Clock;
  /** Our authserv-id: the name in the Authentication-Results header we add (RFC 8601 §2.5). */
  authservId: string;
  /** DMARC mode; default `rfc9989`. */
  mode?: DmarcMode;
  /** RFC 7489 mode: the Public Suffix List; default the shipped data file. */
  psl?: PublicSuffixList;
  /**
   * ARC sealers (ARC-Seal d= domains, exact match, case-insensitive) whose ARC-Authentication-Results we
   * believe: a DMARC fail is overridden when their AAR shows a pass (local policy, RFC 8617 §7.2).
   */
  trustedArcSealers?: readonly string[];
  /**
   * CIDRs (or single addresses) of the filters in front of us ("enhanced filtering"): SPF is evaluated
   * against the first hop outside them, read from the Received fields they wrote.
   */
  trustedHops?: readonly string[];
  /** Loaded DKIM/ARC keys by record text; default the process-wide cache. */
  keyCache?: DkimKeyCache;
  /** For `pct` sampling in RFC 7489 mode; default Math.random. */
  random?: () => number;
}

/**
 * Which hop SPF was evaluated against, and why.
 * - `connection`: the SMTP client itself (no trusted hops configured, or the client is not one).
 * - `first-untrusted`: the first hop outside the trusted ranges, from the Received field at `receivedIndex`
 *   (0 = topmost), written by a trusted hop.
 * - `unreadable`: a Received field written by a trusted hop records no client IP: no hop, SPF permerror.
 * - `all-trusted`: every recorded hop is trusted (the message started inside): no hop, SPF permerror.
 * - `too-many-hops`: more than MAX_TRUSTED_HOPS trusted hops: no hop, SPF permerror.
 */
export type HopReason = 'connection' | 'first-untrusted' | 'unreadable' | 'all-trusted' | 'too-many-hops';

export interface SpfHop {
  /** The IP SPF was evaluated against ('' when no hop could be chosen). */
  ip: string;
  /** The HELO name used ('' when the Received field did not record one). */
  helo: string;
  /** The Received field (0 = topmost) the hop was read from; null for the SMTP connection itself. */
  receivedIndex: number | null;
  reason: HopReason;
  /** For people; wording not stable. */
  detail: string;
  /** The host that wrote that Received field (its `by` clause), when known. */
  by?: string;
  /** The trusted hops walked past, newest first. */
  trustedPath: string[];
}

export interface SpfVerdict extends SpfResult {
  hop: SpfHop;
}

/**
 * The trusted-ARC-sealer local policy (RFC 8617 §7.2). Stable codes:
 * - `arc-trusted-forwarder`: applied: DMARC failed, the chain validated (cv=pass), the newest sealer is
 *   trusted and a trusted instance's AAR shows spf, dkim or dmarc pass → disposition none.
 * - `dmarc-not-failed`: DMARC did not fail; nothing to override.
 * - `no-trusted-sealers`: no sealer is configured.
 * - `chain-not-pass`: the ARC chain is none or fail.
 * - `sealer-not-trusted`: the newest ARC-Seal's d= is not on the list.
 * - `no-pass-in-aar`: the trusted instances' AARs show no spf, dkim or dmarc pass.
 */
export type ArcPolicyReason = 'arc-trusted-forwarder' | 'dmarc-not-failed' | 'no-trusted-sealers' | 'chain-not-pass' | 'sealer-not-trusted' | 'no-pass-in-aar';

export interface ArcPolicyDecision {
  applied: boolean;
  reason: ArcPolicyReason;
  detail: string;
  /** The instance whose AAR was believed. */
  instance?: number;
  /** That instance's sealer (ARC-Seal d=). */
  sealer?: string;
  /** The AAR results that counted, e.g. `dmarc=pass`, `dkim=pass header.d=contoso.example`. */
  evidence?: string[];
  /** The trusted instances walked, newest first. */
  trustedInstances?: number[];
}

export interface ArcVerdict extends ArcValidationResult {
  /** The trusted-sealer local policy. */
  policy: ArcPolicyDecision;
}

/**
 * Why the message gets its disposition. Stable codes:
 * `dmarc-pass`, `dmarc-fail` (the DMARC policy applies: action is its disposition after t=y/pct),
 * `dmarc-none` (no policy), `dmarc-temperror` (retry later: `temporary` is set), `dmarc-permerror`,
 * `arc-trusted-forwarder` (a DMARC fail overridden by the trusted-sealer policy).
 */
export type DispositionReason = 'dmarc-pass' | 'dmarc-fail' | 'dmarc-none' | 'dmarc-temperror' | 'dmarc-permerror' | 'arc-trusted-forwarder';

export interface Disposition {
  action: DmarcPolicy;
  reason: DispositionReason;
  detail: string;
  /** The policy DMARC asked for, when a local policy changed it. */
  overridden?: DmarcPolicy;
  /** A DNS failure decided: the receiver should defer (4xx) rather than act. */
  temporary?: true;
}

export interface VerifyResult {
  spf: SpfVerdict;
  dkim: DkimVerifyResult;
  arc: ArcVerdict;
  dmarc: DmarcResult;
  disposition: Disposition;
  /** The header field to add, `Authentication-Results: …`, folded with CRLF, without a final CRLF. */
  authenticationResults: string;
}

/** An option that cannot work (a bad CIDR, an empty authserv-id): a configuration error, stable `code`. */
export class VerifyOptionsError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'VerifyOptionsError';
    this.code = code;
  }
}
