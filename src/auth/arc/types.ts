// ARC (RFC 8617) result types and reason codes. Reason codes are stable: the CLI, the JSON output and
// docs/arc.md use them.

import type { AuthResultEntry } from '../auth-results/index.js';
import type { DkimReason } from '../dkim/index.js';

/** The chain validation status, in RFC 8617's words (§4.1.3 cv=, §5.2). */
export type ArcChainStatus = 'none' | 'pass' | 'fail';

/**
 * Why a chain got its status (RFC 8617 §5.2 step in brackets).
 *  none: `no-arc-sets` (no ARC header field at all)
 *  pass: `verified`
 *  fail: `header-too-large` (the header block is over the limit),
 *        `too-many-sets` (more than 50 sets, or more ARC fields than 50 sets can hold) [step 1],
 *        `instance-missing` / `instance-invalid` (an ARC field without a usable i=, or i= outside 1..50) [§4.2.1],
 *        `chain-marked-failed` (the newest ARC-Seal already says cv=fail) [step 2],
 *        `duplicate-header` (two AARs, AMSs or ASs with one instance) [step 3.a],
 *        `incomplete-set` (an instance lacks its AAR, AMS or AS) [step 3.a],
 *        `instance-gap` (instances are not 1..N) [step 3.b],
 *        `cv-invalid` (an older seal says cv=fail, instance 1 is not cv=none, a later one not cv=pass) [step 3.c],
 *        `ams-invalid` (the newest ARC-Message-Signature does not verify) [step 4],
 *        `seal-invalid` (an ARC-Seal does not verify) [step 6]
 */
export type ArcReason =
  | 'no-arc-sets'
  | 'verified'
  | 'header-too-large'
  | 'too-many-sets'
  | 'instance-missing'
  | 'instance-invalid'
  | 'chain-marked-failed'
  | 'duplicate-header'
  | 'incomplete-set'
  | 'instance-gap'
  | 'cv-invalid'
  | 'ams-invalid'
  | 'seal-invalid';

/** The verdict on one ARC-Message-Signature or ARC-Seal, in DKIM's words; `none` means it was not checked. */
export type ArcSignatureVerdict = 'pass' | 'fail' | 'neutral' | 'policy' | 'permerror' | 'temperror' | 'none';

/**
 * Why one signature got its verdict: the DKIM reason codes (docs/dkim.md) plus
 *  `not-checked`: the chain failed its structure checks, so no signature was verified;
 *  `ams-signs-arc-seal`: the AMS h= lists ARC-Seal (RFC 8617 §4.1.2 MUST NOT);
 *  `seal-has-h-tag`: the ARC-Seal has an h= tag (RFC 8617 §4.1.3: it signs a fixed set).
 */
export type ArcSignatureReason = DkimReason | 'not-checked' | 'ams-signs-arc-seal' | 'seal-has-h-tag';

export interface ArcSignatureCheck {
  result: ArcSignatureVerdict;
  reason: ArcSignatureReason;
  /** What happened, for a person. */
  detail: string;
  /** Key size in bits, when the key was loaded. */
  keyBits?: number;
}

/** An instance's ARC-Authentication-Results: the earlier hop's view, for local policy (trusted sealers). */
export interface ArcAuthResultsView {
  /** The authserv-id, '' when it could not be read. */
  authservId: string;
  /** The results, when the value parses as RFC 8601 (see src/auth/auth-results). */
  results?: AuthResultEntry[];
  /** The field value as written (after the colon, unfolded, trimmed). */
  raw: string;
  /** Why `results` is missing: the parser's message. */
  parseError?: string;
}

/** One ARC set as found, with what verification said about it. */
export interface ArcInstance {
  instance: number;
  /** The ARC-Seal's d= (lower case): the sealer. '' when unknown. */
  domain: string;
  /** The ARC-Seal's s=. '' when unknown. */
  selector: string;
  /** The ARC-Seal's cv= as written (lower case), '' when unknown. */
  cv: string;
  /** The ARC-Message-Signature's d= and s=. */
  amsDomain: string;
  amsSelector: string;
  aar: ArcAuthResultsView;
  amsResult: ArcSignatureCheck;
  asResult: ArcSignatureCheck;
}

/** The result of validating a message's ARC chain (RFC 8617 §5.2). */
export interface ArcValidationResult {
  cv: ArcChainStatus;
  reason: ArcReason;
  /** What happened, for a person. */
  detail: string;
  /** The instance whose set made the chain fail, when one did. */
  failedInstance?: number;
  /**
   * RFC 8617 §5.2 step 5 "oldest-pass", given when cv=pass: 0 when every AMS verifies, else the lowest
   * instance from which every AMS up to the newest verifies (the sets below it were changed in transit).
   */
  oldestPass?: number;
  /** True when the failure came from a DNS error (key unavailable): trying later may give another answer. */
  temporary?: boolean;
  /** The sets by instance, oldest (1) first; only instances with a usable number appear. */
  instances: ArcInstance[];
  /** `line-endings-normalized` when bare LFs were turned into CRLF before validating. */
  warnings: string[];
}

/** A sealing request that cannot work: a programmer or configuration error (stable `code`, docs/arc.md). */
export class ArcError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'ArcError';
    this.code = code;
  }
}
