// The DMARC aggregate report model (RFC 9990 §2 and Appendix A; RFC 7489 Appendix C for older reports): what we
// parse from others and what we generate, in one shape. XML element names are the RFC's; the model uses camelCase
// and is converted at the edge (parse/generate).
//
// Enumerated values are kept as received (lower-cased) when they are outside the RFC's lists, so a report with a
// value we do not know is still someone's data: the parser flags it with a warning, the writer refuses it.

/** p, sp and np (RFC 9990 `DispositionType`). */
export const DMARC_POLICIES = ['none', 'quarantine', 'reject'] as const;
/** What was applied (RFC 9990 `ActionDispositionType`; `pass` is new in RFC 9990). */
export const DMARC_DISPOSITIONS = ['none', 'pass', 'quarantine', 'reject'] as const;
/** The DMARC-aligned results in policy_evaluated. */
export const DMARC_ALIGNED_RESULTS = ['pass', 'fail'] as const;
/** DKIM results (RFC 8601 §2.7.1). */
export const DMARC_DKIM_RESULTS = ['none', 'pass', 'fail', 'policy', 'neutral', 'temperror', 'permerror'] as const;
/** SPF results (RFC 8601 §2.7.2). */
export const DMARC_SPF_RESULTS = ['none', 'pass', 'fail', 'softfail', 'policy', 'neutral', 'temperror', 'permerror'] as const;
/** Policy override reasons: RFC 9990 lists five; RFC 7489 also had `forwarded` and `sampled_out`. */
export const DMARC_OVERRIDE_TYPES = ['local_policy', 'mailing_list', 'other', 'policy_test_mode', 'trusted_forwarder', 'forwarded', 'sampled_out'] as const;
/** The override types RFC 9990's schema accepts (the writer's list). */
export const RFC9990_OVERRIDE_TYPES = ['local_policy', 'mailing_list', 'other', 'policy_test_mode', 'trusted_forwarder'] as const;
export const DMARC_DISCOVERY_METHODS = ['psl', 'treewalk'] as const;

/** RFC 9990's namespace, and the one older reports sometimes carry. */
export const DMARC_NS_RFC9990 = 'urn:ietf:params:xml:ns:dmarc-2.0';
export const DMARC_NS_LEGACY = 'http://dmarc.org/dmarc-xml/0.1';

/** A known value, or the value as received (lower-cased, trimmed) when the report used one outside the list. */
export type Known<T extends string> = T | (string & { readonly __unlisted?: never });

export type DmarcPolicy = (typeof DMARC_POLICIES)[number];
export type DmarcDisposition = (typeof DMARC_DISPOSITIONS)[number];
export type DmarcAlignedResult = (typeof DMARC_ALIGNED_RESULTS)[number];
export type DmarcDkimResult = (typeof DMARC_DKIM_RESULTS)[number];
export type DmarcSpfResult = (typeof DMARC_SPF_RESULTS)[number];
export type DmarcOverrideType = (typeof DMARC_OVERRIDE_TYPES)[number];
export type DmarcDiscoveryMethod = (typeof DMARC_DISCOVERY_METHODS)[number];

export interface DmarcReportMetadata {
  orgName: string;
  email: string;
  extraContactInfo?: string;
  reportId: string;
  /** Unix seconds, as in the report. */
  dateRange: { begin: number; end: number };
  /** `error` elements (RFC 7489 allows several, RFC 9990 one). */
  errors: string[];
  /** RFC 9990 `generator`: the reporting software. */
  generator?: string;
}

export interface DmarcPolicyPublished {
  /** The domain whose DMARC record was used. */
  domain: string;
  adkim?: Known<'r' | 's'>;
  aspf?: Known<'r' | 's'>;
  p?: Known<DmarcPolicy>;
  sp?: Known<DmarcPolicy>;
  /** RFC 9990: policy for non-existent subdomains. */
  np?: Known<DmarcPolicy>;
  /** RFC 9990 `testing` (the record's `t` tag). Also read from a `t` element. */
  testing?: Known<'y' | 'n'>;
  /** RFC 9990 `discovery_method`. */
  discoveryMethod?: Known<DmarcDiscoveryMethod>;
  /** DMARCbis drafts' `psd` (not in RFC 9990's schema: parsed, not written). */
  psd?: string;
  fo?: string;
  /** RFC 7489 `pct` (gone from RFC 9990: parsed, not written). */
  pct?: number;
}

export interface DmarcOverrideReason {
  type: Known<DmarcOverrideType>;
  comment?: string;
}

export interface DmarcDkimAuthResult {
  domain: string;
  /** Required by RFC 9990, often missing in RFC 7489 reports. */
  selector?: string;
  result: Known<DmarcDkimResult>;
  humanResult?: string;
}

export interface DmarcSpfAuthResult {
  domain: string;
  /** `mfrom` (RFC 9990) or `helo` (RFC 7489). */
  scope?: string;
  result: Known<DmarcSpfResult>;
  humanResult?: string;
}

export interface DmarcReportRecord {
  /** As received (the parser warns when it is not an IP address). */
  sourceIp: string;
  count: number;
  policyEvaluated: {
    disposition?: Known<DmarcDisposition>;
    dkim?: Known<DmarcAlignedResult>;
    spf?: Known<DmarcAlignedResult>;
    reasons: DmarcOverrideReason[];
  };
  identifiers: { headerFrom: string; envelopeFrom?: string; envelopeTo?: string };
  authResults: { dkim: DmarcDkimAuthResult[]; spf: DmarcSpfAuthResult[] };
}

export interface DmarcAggregateReport {
  /** The `version` element: "1.0" in RFC 9990 reports, absent in RFC 7489 ones. */
  version?: string;
  /** The namespace of the `feedback` element, when it has one. */
  namespace?: string;
  metadata: DmarcReportMetadata;
  policyPublished: DmarcPolicyPublished;
  records: DmarcReportRecord[];
}
