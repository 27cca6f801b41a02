// SPF types: the parsed record (a typed value built once per record text) and the check's closed result.
// RFC 7208. Reason codes are documented in docs/spf.md.

import type { DnsResolver } from '../../core/dns/types.js';
import type { Clock } from '../../core/clock.js';
import type { IpNetwork } from './ip.js';

/** The seven SPF results, in the RFC's words (RFC 7208 §2.6). */
export type SpfResultCode = 'pass' | 'fail' | 'softfail' | 'neutral' | 'none' | 'temperror' | 'permerror';

/** Mechanism qualifiers (RFC 7208 §4.6.2). */
export type SpfQualifier = '+' | '-' | '~' | '?';

/**
 * Why a check ended as it did. Stable codes: code against these, not against `detail`.
 * - `matched-mechanism`: a mechanism matched; the result is its qualifier's (§4.6.2).
 * - `default-neutral`: nothing matched and there is no redirect (§4.7).
 * - `no-record`: no SPF record at the domain (§4.5) → none.
 * - `invalid-domain`: the domain is not a usable FQDN: empty or over-long label, single label,
 *   domain literal (§4.3) → none.
 * - `multiple-records`: more than one `v=spf1` record (§4.5) → permerror.
 * - `syntax-error`: the record does not parse (§4.6, §12) → permerror.
 * - `lookup-limit`: more than 10 DNS-querying terms (§4.6.4) → permerror.
 * - `void-lookup-limit`: more than 2 DNS-querying terms answered NXDOMAIN/NODATA (§4.6.4) → permerror.
 * - `mx-limit`: an `mx` target has more than 10 MX records (§4.6.4) → permerror.
 * - `include-none`: an `include` target has no SPF record or is not a valid domain (§5.2) → permerror.
 * - `redirect-none`: a `redirect` target has no SPF record or is not a valid domain (§6.1) → permerror.
 * - `dns-timeout` / `dns-servfail` / `dns-error`: a DNS query failed (§2.6.6, §4.4, §5) → temperror.
 * - `macro-limit`: a macro expansion exceeded mailflow's size bounds (hostile input, §7) → permerror.
 * - `invalid-ip`: the client IP given by the caller is not an IP address → permerror (never treat as pass).
 * - `time-limit`: the whole check took longer than `timeoutMs` (§4.6.4: at least 20 s) → temperror.
 */
export type SpfReason =
  | 'matched-mechanism'
  | 'default-neutral'
  | 'no-record'
  | 'invalid-domain'
  | 'multiple-records'
  | 'syntax-error'
  | 'lookup-limit'
  | 'void-lookup-limit'
  | 'mx-limit'
  | 'include-none'
  | 'redirect-none'
  | 'dns-timeout'
  | 'dns-servfail'
  | 'dns-error'
  | 'macro-limit'
  | 'invalid-ip'
  | 'time-limit';

export interface SpfCheckInput {
  /** Client IP address text (IPv4, IPv6, or IPv4-mapped IPv6). */
  ip: string;
  /** MAIL FROM address, '' for the null sender. */
  sender: string;
  /** HELO/EHLO name. */
  helo: string;
  /** The checking host's name, for `%{r}` (RFC 7208 §7.3). */
  receiver?: string;
  /** Which identity to check; default `mailfrom` (RFC 7208 §2.3, §2.4). */
  identity?: 'mailfrom' | 'helo';
}

export interface SpfCheckOptions {
  resolver: DnsResolver;
  /** For `%{t}`; defaults to the system clock. */
  clock?: Clock;
  /** Macro-string used when a fail has no usable `exp=` (RFC 7208 §6.2). */
  defaultExplanation?: string;
  /** DNS-querying terms allowed per check; default 10 (RFC 7208 §4.6.4). */
  maxLookups?: number;
  /** Void lookups allowed per check; default 2 (RFC 7208 §4.6.4). */
  maxVoidLookups?: number;
  /** Bound on the whole check in ms; default 20,000 (RFC 7208 §4.6.4). 0 disables it. */
  timeoutMs?: number;
}

export interface SpfTrailEntry {
  /** The domain whose record holds the term. */
  domain: string;
  /** The term as written, e.g. 'include:_spf.x', 'ip4:1.2.3.0/24', 'redirect=x'. */
  term: string;
  matched: boolean;
  /** For include/redirect: the nested result; for a deciding term: the result it gave. */
  result?: SpfResultCode;
  /** 0 for the checked domain, +1 per include/redirect. */
  depth: number;
  note?: string;
}

export interface SpfResult {
  result: SpfResultCode;
  reason: SpfReason;
  /** A sentence for people; its wording is not stable. */
  detail: string;
  identity: 'mailfrom' | 'helo';
  /** The domain checked (the identity's domain). */
  domain: string;
  /** The sender used for macros: MAIL FROM, or postmaster@HELO. */
  sender: string;
  /** The term that decided, when one did. */
  mechanism?: string;
  /** Only on fail: the expanded `exp=` text or the default explanation. */
  explanation?: string;
  /** DNS-querying terms counted against the limit of 10. */
  lookups: number;
  /** Void lookups counted against the limit of 2. */
  voidLookups: number;
  trail: SpfTrailEntry[];
}

// ---- parsed records ----

/** Macro letters (RFC 7208 §7.2). c, r and t are only valid in explanation text. */
export type MacroLetter = 's' | 'l' | 'o' | 'd' | 'i' | 'p' | 'v' | 'h' | 'c' | 'r' | 't';

export interface MacroExpand {
  letter: MacroLetter;
  /** Upper-case letter: URL-escape the value (§7.3). */
  upper: boolean;
  /** Rightmost parts to keep; 0 = all. */
  digits: number;
  reverse: boolean;
  /** Split characters; '' means the default '.'. */
  delimiters: string;
}

/** A literal piece (with %%, %_, %- already resolved) or a macro to expand. */
export type MacroSegment = string | MacroExpand;

export interface MacroString {
  /** The text as written. */
  source: string;
  segments: MacroSegment[];
  /** The expansion when the string has no macro letters (precomputed: no per-evaluation work). */
  literal: string | undefined;
  /** True when a `%{p}` appears: the evaluator resolves the validated name first. */
  needsPtr: boolean;
}

interface TermBase {
  /** The term as written in the record. */
  text: string;
  /** Character offset of the term in the record text. */
  offset: number;
}

export type SpfMechanism =
  | (TermBase & { kind: 'all'; qualifier: SpfQualifier })
  | (TermBase & { kind: 'include'; qualifier: SpfQualifier; domain: MacroString })
  | (TermBase & { kind: 'a' | 'mx'; qualifier: SpfQualifier; domain: MacroString | undefined; cidr4: number; cidr6: number })
  | (TermBase & { kind: 'ptr'; qualifier: SpfQualifier; domain: MacroString | undefined })
  | (TermBase & { kind: 'ip4' | 'ip6'; qualifier: SpfQualifier; network: IpNetwork })
  | (TermBase & { kind: 'exists'; qualifier: SpfQualifier; domain: MacroString });

export type SpfMechanismKind = SpfMechanism['kind'];

export interface SpfModifier extends TermBase {
  /** Lower-case modifier name. */
  name: string;
  /** Parsed value: a domain-spec for redirect/exp, a macro-string for unknown modifiers. */
  value: MacroString;
}

export interface SpfRecord {
  /** The record text as published (character-strings joined). */
  text: string;
  /** Mechanisms in evaluation order. */
  mechanisms: SpfMechanism[];
  redirect: SpfModifier | undefined;
  exp: SpfModifier | undefined;
  /** Modifiers other than redirect/exp: kept for linting, ignored in evaluation (RFC 7208 §6). */
  unknownModifiers: SpfModifier[];
  /** How many terms cause DNS lookups (include, a, mx, ptr, exists, redirect). */
  dnsTermCount: number;
}

/** Stable codes for record syntax errors. */
export type SpfSyntaxCode =
  | 'not-spf'
  | 'non-ascii'
  | 'invalid-character'
  | 'unknown-mechanism'
  | 'invalid-mechanism'
  | 'invalid-modifier'
  | 'duplicate-modifier'
  | 'invalid-domain-spec'
  | 'invalid-macro'
  | 'invalid-ip4'
  | 'invalid-ip6'
  | 'invalid-cidr';

export interface SpfSyntaxError {
  code: SpfSyntaxCode;
  message: string;
  /** Character offset in the record text where the problem is. */
  offset: number;
}

export type SpfParseResult = { ok: true; value: SpfRecord } | { ok: false; error: SpfSyntaxError };

/** Options for the linter. */
export interface SpfLintOptions {
  resolver: DnsResolver;
}
