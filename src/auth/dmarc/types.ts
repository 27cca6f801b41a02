// DMARC types: the parsed policy record and the evaluation's closed result. RFC 9989 (DMARCbis), with an
// RFC 7489 compatibility mode. Reason and issue codes are stable and documented in docs/dmarc.md.

import type { DnsResolver } from '../../core/dns/types.js';
import type { PublicSuffixList } from './psl.js';

/** Which specification drives discovery and the organizational domain. Default `rfc9989`. */
export type DmarcMode = 'rfc9989' | 'rfc7489';

/** Domain Owner Assessment Policy values (RFC 9989 §4.7 `p`, `sp`, `np`). */
export type DmarcPolicy = 'none' | 'quarantine' | 'reject';

/** Identifier alignment modes (`adkim`, `aspf`): relaxed or strict (RFC 9989 §4.4). */
export type AlignmentMode = 'relaxed' | 'strict';

/** The five DMARC results, in the RFC's words (RFC 9989 §9.2, RFC 8601). */
export type DmarcResultCode = 'pass' | 'fail' | 'none' | 'temperror' | 'permerror';

// ---- the record ----

/** One reporting URI from `rua` / `ruf` (RFC 9989 §4.6, §4.8). */
export interface DmarcReportUri {
  /** The URI as written, without any `!size` suffix. */
  uri: string;
  /** Lower-case scheme, e.g. `mailto`, `https`. */
  scheme: string;
  /** For `mailto:` URIs, the address. */
  address?: string;
  /** The obsolete `!size` suffix in bytes (RFC 7489 §6.2; obs-dmarc-report-size in RFC 9989, to be ignored). */
  maxBytes?: number;
  offset: number;
}

/**
 * Problems found while parsing a record. The record still parses (RFC 9989 §4.8: "Syntax errors in the
 * remainder of the record MUST be discarded in favor of default values (if any) or ignored outright");
 * each issue says where, why and how to fix it.
 * - `syntax`: a part that is not `tag=value` (kept out of the record).
 * - `invalid-value`: a known tag with a value outside its grammar; the default is used.
 * - `invalid-policy`: `p`, `sp` or `np` with an unknown value (§4.10.1 then decides: p=none or no DMARC).
 * - `missing-policy`: no `p` tag.
 * - `invalid-uri`: an `rua`/`ruf` entry that is not a URI (dropped).
 * - `legacy-tag`: `pct`, `rf` or `ri`: RFC 7489 tags RFC 9989 removed (§C.5.2); `pct` counts in RFC 7489 mode only.
 * - `legacy-size`: a `!size` suffix on a reporting URI (removed by RFC 9989 §C.4; ignored).
 * - `duplicate-tag`: a tag given twice; the first one counts.
 * - `unknown-tag`: a tag DMARC does not define (ignored, §4.7).
 * - `fo-without-ruf`: `fo` is ignored without `ruf` (§4.7).
 * - `psd-rua-ruf`: a `psd=y` record with `ruf` (§10.2: PSD records MUST NOT include ruf).
 */
export type DmarcIssueCode =
  | 'syntax'
  | 'invalid-value'
  | 'invalid-policy'
  | 'missing-policy'
  | 'invalid-uri'
  | 'legacy-tag'
  | 'legacy-size'
  | 'duplicate-tag'
  | 'unknown-tag'
  | 'fo-without-ruf'
  | 'psd-rua-ruf';

export interface DmarcRecordIssue {
  code: DmarcIssueCode;
  /** `error`: the record is broken here; `warning`: a value was discarded or is risky; `info`: legacy or ignored. */
  severity: 'error' | 'warning' | 'info';
  /** The tag concerned, when there is one. */
  tag?: string;
  /** Character offset in the record text. */
  offset: number;
  message: string;
  /** What to publish instead. */
  fix: string;
}

/** A tag as written, in order. */
export interface DmarcTag {
  name: string;
  value: string;
  offset: number;
}

export interface DmarcRecord {
  /** The record text (character-strings joined without separator, RFC 9989 §4.5). */
  text: string;
  /** `p`, when present and valid. */
  p?: DmarcPolicy;
  /** Whether `p` was present and valid, absent, or present with a bad value. */
  pStatus: 'valid' | 'absent' | 'invalid';
  sp?: DmarcPolicy;
  np?: DmarcPolicy;
  /** True when `sp` or `np` was present with a bad value (§4.10.1 treats the record as p=none or no DMARC). */
  subPolicyInvalid: boolean;
  psd: 'y' | 'n' | 'u';
  /** `t=y`: the Domain Owner is testing (RFC 9989 §4.7). */
  testing: boolean;
  adkim: AlignmentMode;
  aspf: AlignmentMode;
  rua: DmarcReportUri[];
  ruf: DmarcReportUri[];
  /** Failure reporting options, default ['0']. */
  fo: string[];
  /** RFC 7489 tags that RFC 9989 removed, when present and valid. */
  legacy: { pct?: number; rf?: string[]; ri?: number };
  tags: DmarcTag[];
  issues: DmarcRecordIssue[];
}

/** Why a text is not a DMARC record at all (RFC 9989 §4.7 `v`: such records "MUST be ignored"). */
export type DmarcParseErrorCode = 'not-dmarc' | 'bad-version';

export interface DmarcParseError {
  code: DmarcParseErrorCode;
  message: string;
  offset: number;
}

export type DmarcParseResult = { ok: true; value: DmarcRecord } | { ok: false; error: DmarcParseError };

// ---- discovery ----

export interface DmarcDiscoveryOptions {
  resolver: DnsResolver;
  /** Default `rfc9989`. */
  mode?: DmarcMode;
  /** RFC 7489 mode: the Public Suffix List; default the shipped data file (share/public_suffix_list.dat). */
  psl?: PublicSuffixList;
}

/** Where the applied record was found (RFC 9989 §4.10.1). */
export type DmarcPolicySource = 'domain' | 'organizational' | 'psd';

/** One `_dmarc` TXT query of a discovery, in the order asked. */
export interface DmarcQueryLogEntry {
  name: string;
  outcome: 'record' | 'none' | 'multiple' | 'error';
}

/**
 * Why discovery or evaluation ended as it did. Stable codes.
 * - `aligned-dkim` / `aligned-spf`: an authenticated identifier is aligned → pass (§5.3.5).
 * - `not-aligned`: a policy applies and no identifier aligned → fail (§5.3.5).
 * - `no-record`: no DMARC record for the Author Domain, its Organizational Domain or PSD → none (§4.10.1).
 * - `multiple-records`: the Author Domain publishes more than one DMARC record → none (§4.10 step 2; see docs).
 * - `no-policy`: the record has no valid `p` (or a bad `sp`/`np`) and no valid `rua` → none (§4.10.1).
 * - `no-from`: no From header field → permerror (§4.2, §5.3.1).
 * - `multiple-from`: more than one From header field (RFC 5322 §3.6) → permerror.
 * - `no-author-domain`: the From field holds no parsable address → permerror.
 * - `invalid-author-domain`: the From domain is not a valid domain name (IDNA, IP literal) → permerror.
 * - `too-many-authors`: more distinct author domains than MAX_AUTHOR_DOMAINS → permerror (§11.5).
 * - `record-syntax`: RFC 7489 mode only: the record does not follow the grammar → permerror (RFC 7489 §11.2).
 * - `dns-timeout` / `dns-servfail` / `dns-error`: a required DNS query failed → temperror (§5.3.6).
 * - `query-limit`: mailflow's per-evaluation DNS budget ran out before a required answer → temperror.
 */
export type DmarcReason =
  | 'aligned-dkim'
  | 'aligned-spf'
  | 'not-aligned'
  | 'no-record'
  | 'multiple-records'
  | 'no-policy'
  | 'no-from'
  | 'multiple-from'
  | 'no-author-domain'
  | 'invalid-author-domain'
  | 'too-many-authors'
  | 'record-syntax'
  | 'dns-timeout'
  | 'dns-servfail'
  | 'dns-error'
  | 'query-limit';

/** A found policy: the record that applies and where it came from. */
export interface DmarcPolicyRecord {
  /** The DMARC Policy Domain (RFC 9989 §3.2.5): where the record was found. */
  domain: string;
  /** The raw record text. */
  record: string;
  parsed: DmarcRecord;
  source: DmarcPolicySource;
}

export type DmarcDiscovery =
  | {
      kind: 'found';
      authorDomain: string;
      policy: DmarcPolicyRecord;
      /** The Author Domain's Organizational Domain, when discovery had to determine it. */
      organizationalDomain?: string;
      queries: DmarcQueryLogEntry[];
    }
  | { kind: 'none'; authorDomain: string; reason: 'no-record' | 'multiple-records'; detail: string; queries: DmarcQueryLogEntry[] }
  | { kind: 'permerror'; authorDomain: string; reason: 'record-syntax'; detail: string; record: string; queries: DmarcQueryLogEntry[] }
  | {
      kind: 'temperror';
      authorDomain: string;
      reason: 'dns-timeout' | 'dns-servfail' | 'dns-error' | 'query-limit';
      detail: string;
      queries: DmarcQueryLogEntry[];
    };

// ---- evaluation ----

/** SPF as DMARC sees it: the result for the RFC5321.MailFrom identity and its domain (RFC 9989 §4.4.2). */
export interface DmarcSpfInput {
  result: 'pass' | 'fail' | 'softfail' | 'neutral' | 'none' | 'temperror' | 'permerror';
  /** The MAIL FROM domain checked; for a null sender, the HELO name (RFC 7208 §2.4, RFC 9989 §3.2.4). */
  domain: string;
  /**
   * Which identity SPF checked. Only `mailfrom` can align (RFC 9989 §4.4.2: "DMARC relies solely on SPF
   * validation of the MAIL FROM identity"); a `helo` result is reported and ignored. Default `mailfrom`.
   */
  identity?: 'mailfrom' | 'helo';
}

/** One DKIM signature's verification result (RFC 9989 §5.3.3: result, `d=` and `s=`). */
export interface DmarcDkimInput {
  result: 'pass' | 'fail' | 'neutral' | 'none' | 'policy' | 'temperror' | 'permerror';
  domain: string;
  selector?: string;
  /**
   * Body octets the signature does not cover because of `l=` (RFC 6376 §8.2), as the DKIM verifier
   * reports it. Carried into the alignment report so that policy can distrust a partial-body signature.
   */
  underSized?: number;
}

export interface DmarcInput {
  /** The Author Domain, when the caller already extracted it. Give this or `from`. */
  fromDomain?: string;
  /** The raw From header field values, one per field, without the `From:` name (RFC 5322 §3.6.2). */
  from?: string[];
  spf?: DmarcSpfInput;
  dkim?: DmarcDkimInput[];
  /**
   * The ARC chain validation result (RFC 8617), when the caller has one. It never changes the DMARC
   * verdict; it is reported (result and Authentication-Results comment) for local policy overrides
   * (RFC 9989 §5.4, RFC 8617 §7.2).
   */
  arc?: { result: 'pass' | 'fail' | 'none' };
}

export interface DmarcEvaluateOptions extends DmarcDiscoveryOptions {
  /** For `pct` sampling in RFC 7489 mode: returns a number in [0, 1). Default Math.random. */
  random?: () => number;
}

export interface SpfAlignment {
  aligned: boolean;
  mode: AlignmentMode;
  /** The SPF-authenticated domain considered ('' when there was none). */
  domain: string;
  /** The SPF result given. */
  result: DmarcSpfInput['result'] | 'none';
  /** The identifier's Organizational Domain, when alignment had to determine it. */
  orgDomain?: string;
  /** Why it did or did not align: `no-spf`, `not-pass`, `helo-identity`, `invalid-domain`, `identical`, `same-org`, `different-org`, `strict-mismatch`, `dns-error`, `not-checked`. */
  note: string;
}

export interface DkimAlignment {
  aligned: boolean;
  mode: AlignmentMode;
  domain: string;
  selector?: string;
  result: DmarcDkimInput['result'];
  orgDomain?: string;
  /** From the input: body octets not covered because of `l=`. */
  underSized?: number;
  /** As for SpfAlignment, plus `limit`: beyond MAX_DKIM_DOMAINS, not checked. */
  note: string;
}

/** The policy side of an evaluation (present whenever a record applied). */
export interface DmarcAppliedPolicy extends DmarcPolicyRecord {
  p: DmarcPolicy;
  sp?: DmarcPolicy;
  np?: DmarcPolicy;
  /** Which tag gave the policy for this Author Domain (RFC 9989 §4.10.1). */
  selectedBy: 'p' | 'sp' | 'np';
  /** The policy the tag asks for, before `t=y` or `pct`. */
  requested: DmarcPolicy;
  adkim: AlignmentMode;
  aspf: AlignmentMode;
  /** The Author Domain's Organizational Domain, when it had to be determined (relaxed alignment, discovery). */
  organizationalDomain?: string;
  /** Whether the Author Domain exists (checked only when `np` could apply). */
  authorDomainExists?: boolean;
  /** RFC 7489 mode with pct < 100: the sample and whether the policy was applied. */
  pct?: { value: number; applied: boolean };
}

export interface DmarcResult {
  result: DmarcResultCode;
  reason: DmarcReason;
  /** A sentence for people; its wording is not stable. */
  detail: string;
  mode: DmarcMode;
  /** The Author Domain (A-label, lower case); '' when none could be extracted. */
  fromDomain: string;
  policy?: DmarcAppliedPolicy;
  /** What to do with this message: `none` unless it failed and the applied policy says otherwise. */
  disposition: DmarcPolicy;
  /** The policy that applies to a failing message after `t=y` (RFC 9989) or `pct` (RFC 7489); absent without a policy. */
  appliedPolicy?: DmarcPolicy;
  /** True when the record has `t=y` (RFC 9989 §4.7): the applied policy is one step weaker than requested. */
  testing: boolean;
  alignment: { spf: SpfAlignment; dkim: DkimAlignment[] };
  /** The ARC result given as input, reported only. */
  arc?: 'pass' | 'fail' | 'none';
  /** Per-author results when the From field named several author domains (RFC 9989 §11.5). */
  authors?: DmarcResult[];
  /** Record issues (with fixes) and evaluation notes. */
  warnings: string[];
  /** The `_dmarc` queries made, in order. */
  queries: DmarcQueryLogEntry[];
}
